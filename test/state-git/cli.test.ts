// The CLI on the git backend: state show (masked), state unlock (exit 3
// naming the holder, --force), flag conflicts, an unreachable state remote.
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {GitStateBackend} from '../../src/state/git-backend.js'
import {emptyState} from '../../src/state/model.js'
import {assertOutput} from '../cli/helpers/output-schema.js'
import {tsctl} from '../cli/helpers/run.js'
import {tempDirs} from '../fixtures/tmp-dirs.js'

const tmp = tempDirs('tsctl-state-git-cli-', test)
const env = {...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com'}
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim()
const SECRET = Buffer.from('s3cr3t-do-not-print').toString('base64')

function clone(): {remote: string; dir: string} {
  const d = tmp()
  const remote = join(d, 'remote.git')
  git(d, 'init', '-q', '--bare', '-b', 'main', remote)
  const dir = join(d, 'clone')
  git(d, 'clone', '-q', remote, dir)
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'first')
  git(dir, 'push', '-q', 'origin', 'HEAD:main')
  return {remote, dir}
}

test('state show reads the state from the remote ref, masks Secrets, and shows the lock with commit and expiry', async () => {
  const {dir} = clone()
  const b = new GitStateBackend({repo: dir, renew: false})
  const s = emptyState('L-cli')
  s.serial = 4
  s.objects['Secret/default/db'] = {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db', namespace: 'default'}, data: {password: SECRET}}
  await b.write(s)
  await b.lock('tsctl sync')
  try {
    const r = tsctl(['state', 'show', '--state-backend', 'git', '-o', 'json'], {cwd: dir})
    assert.is(r.code, 0, r.stderr)
    const doc = JSON.parse(r.stdout)
    assertOutput('state-show', doc)
    assert.is(doc.backend, 'git origin refs/tsctl/state')
    assert.is(doc.state.serial, 4)
    assert.is(doc.state.objects['Secret/default/db'].data.password, '(sensitive)')
    assert.is(doc.lock.operation, 'tsctl sync')
    assert.match(doc.lock.expires, /^\d{4}-\d\d-\d\dT/)
    assert.is(doc.lock.commit, git(dir, 'rev-parse', 'HEAD'))
    const t = tsctl(['state', 'show', '--state-remote', 'origin'], {cwd: dir})
    assert.is(t.code, 0, t.stderr)
    assert.match(t.stdout, /^Lock: +held: "tsctl sync" by .*, applying [0-9a-f]{12}, expires \d{4}-/m)
    for (const out of [r.stdout, t.stdout, t.stderr]) assert.not.match(out, SECRET)
  } finally {
    await b.unlock()
  }
})

test('state unlock: a live holder is exit 3 with the --force hint; --force removes it', async () => {
  const {dir} = clone()
  const holder = new GitStateBackend({repo: dir, renew: false})
  const info = await holder.lock('tsctl sync')
  const r = tsctl(['state', 'unlock', '--state-backend', 'git'], {cwd: dir})
  assert.is(r.code, 3, r.stdout + r.stderr)
  assert.match(r.stderr, `lock id ${info.id}`)
  assert.match(r.stderr, 'tsctl state unlock --force')
  const f = tsctl(['state', 'unlock', '--state-backend', 'git', '--force', '-o', 'json'], {cwd: dir})
  assert.is(f.code, 0, f.stderr)
  const doc = JSON.parse(f.stdout)
  assertOutput('state-unlock', doc)
  assert.is(doc.lock.id, info.id)
  assert.is(await holder.lockInfo(), null)
  const again = tsctl(['state', 'unlock', '--state-backend', 'git'], {cwd: dir})
  assert.is(again.code, 0)
  assert.match(again.stdout, 'The state is not locked.')
})

test('flag conflicts and an unreachable state remote are exit 2 without a stack trace', () => {
  const {dir} = clone()
  const both = tsctl(['state', 'show', '--state', 'x.json', '--state-backend', 'git'], {cwd: dir})
  assert.is(both.code, 2)
  assert.match(both.stderr, '--state names a state file, but the state backend is git')
  const mixed = tsctl(['state', 'show', '--state-backend', 'file', '--state-ref', 'refs/tsctl/x'], {cwd: dir})
  assert.is(mixed.code, 2)
  assert.match(mixed.stderr, 'belong to the git backend')
  const gone = tsctl(['state', 'show', '--state-remote', 'https://tok:ghs_SECRET@127.0.0.1:9/none.git'], {cwd: dir})
  assert.is(gone.code, 2, gone.stderr)
  assert.match(gone.stderr, /cannot read refs\/tsctl\/state from https:\/\/\*\*\*@127\.0\.0\.1:9\/none\.git/)
  assert.not.match(gone.stderr, 'ghs_SECRET')
  assert.not.match(gone.stderr, /\n\s+at /)
})

test.run()
