// Two CI runs on the git backend, as root on this machine (local transport,
// a private runtime ROOT): racing syncs of the same commit never both apply,
// and a saved plan is applied exactly once — the second time it is stale.
import {execFileSync, spawn} from 'node:child_process'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {GitStateBackend} from '../../src/state/git-backend.js'
import {bin} from '../cli/helpers/run.js'
import {buildBusyboxLayout} from '../fixtures/busybox-image.js'
import {tempDirs} from '../fixtures/tmp-dirs.js'
import {appYaml, localSite, localSkipReason, nodeYaml, type LocalSite} from '../sync/_local.js'

const skip = localSkipReason()
const tmp = tempDirs('tsctl-sync-git-', test)
let site: LocalSite
let runners: string[] = []
let remote = ''
const env = {...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com'}
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim()

interface Run {
  code: number
  stdout: string
  stderr: string
}
/** tsctl in a runner's clone with the git backend on origin, without waiting. */
function start(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const e: NodeJS.ProcessEnv = {...process.env, TSCTL_ROOT: site.root, TSCTL_STATE_BACKEND: 'git'}
    for (const k of ['FORCE_COLOR', 'NO_COLOR', 'TSCTL_DEBUG', 'TSCTL_NOW']) delete e[k]
    const c = spawn(process.execPath, [bin, ...args], {cwd, env: e, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    c.stdout.on('data', (d) => (stdout += d))
    c.stderr.on('data', (d) => (stderr += d))
    c.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
  })
}

test.before(async () => {
  if (skip) return
  site = await localSite({'nodes.yaml': nodeYaml, 'app.yaml': appYaml()})
  const d = tmp()
  remote = join(d, 'remote.git')
  git(d, 'init', '-q', '--bare', '-b', 'main', remote)
  git(site.repo.dir, 'push', '-q', remote, 'main')
  runners = []
  for (const name of ['runner-a', 'runner-b']) {
    const c = join(d, name)
    git(d, 'clone', '-q', '-b', 'main', remote, c)
    await buildBusyboxLayout(join(c, 'images', 'busybox'))
    runners.push(c)
  }
})

test.after(async () => {
  if (skip) return
  const left = await site.cleanup()
  assert.equal(left, [], 'nothing of the runtime ROOT is left')
})

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('sync on the git backend')
} else {
  test('two runners sync the same commit at once: one applies (exit 0), the other is refused with exit 3 naming the holder; 2 pods, not 4', async () => {
    const [a, b] = await Promise.all(runners.map((r) => start(r, ['sync', '-o', 'json', '--timeout', '60s'])))
    const codes = [a.code, b.code].sort()
    assert.equal(codes, [0, 3], `a: ${a.code} ${a.stderr}\nb: ${b.code} ${b.stderr}`)
    const loser = a.code === 3 ? a : b
    assert.match(loser.stderr, /state is locked by "tsctl sync" by \S+ \(pid \d+ on \S+\) since .*, applying [0-9a-f]{12}, expires /)
    assert.is(JSON.parse(loser.stdout).exitCode, 3)
    const pods = (await site.pods()).filter((p) => p.phase === 'Running' || p.phase === 'Pending')
    assert.is(pods.length, 2)
    const state = await new GitStateBackend({repo: runners[0], renew: false}).read()
    assert.ok(state)
    assert.is(state.appliedCommit?.sha, git(runners[0], 'rev-parse', 'HEAD'))
    assert.is(await new GitStateBackend({repo: runners[0]}).lockInfo(), null, 'the winner unlocked')
  })

  test('a saved plan from one runner is applied by the other; applying it again is refused as stale (exit 2)', async () => {
    const [a, b] = runners
    git(a, 'pull', '-q', '--ff-only')
    site.repo.write({'app.yaml': appYaml({replicas: 3})})
    git(site.repo.dir, 'add', '-A')
    git(site.repo.dir, 'commit', '-qm', 'scale web to 3')
    git(site.repo.dir, 'push', '-q', remote, 'main')
    git(a, 'pull', '-q', '--ff-only')
    git(b, 'pull', '-q', '--ff-only')
    const planPath = join(tmp(), 'plan.json')
    const d = await start(a, ['diff', '--offline', '--out', planPath, '-o', 'json'])
    assert.is(d.code, 1, d.stderr)
    assert.equal(JSON.parse(d.stdout).actions.map((x: {type: string}) => x.type), ['create'])
    const first = await start(b, ['sync', '--plan', planPath, '-o', 'json', '--timeout', '60s'])
    assert.is(first.code, 0, first.stderr)
    const pods = (await site.pods()).filter((p) => p.phase === 'Running' || p.phase === 'Pending')
    assert.is(pods.length, 3)
    const again = await start(b, ['sync', '--plan', planPath, '--timeout', '60s'])
    assert.is(again.code, 2, again.stderr)
    assert.match(again.stderr, /error: stale plan: the state moved from serial \d+ to \d+ since the plan was made; run tsctl diff --out again/)
    assert.is(await new GitStateBackend({repo: b}).lockInfo(), null, 'the refused sync released the lock')
  })
}

test.run()
