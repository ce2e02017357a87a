import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {after, before} from '../unit/render/fixtures.js'
import {assertOutput, repoRoot} from './helpers/output-schema.js'
import {cleanup, tempDir, tsctl, tsctlTty} from './helpers/run.js'

test.after(cleanup)


/** A repo made by `tsctl init`, with the fixture state written where the commands look for it. */
function repoWithState(state = before()): string {
  const dir = tempDir()
  const r = tsctl(['init', dir], {cwd: dir})
  assert.is(r.code, 0, r.stderr)
  mkdirSync(join(dir, '.tsctl'), {recursive: true, mode: 0o700})
  writeFileSync(join(dir, '.tsctl', 'state.json'), JSON.stringify(state), {mode: 0o600})
  return dir
}

const noStack = (s: string) => assert.not.match(s, /\n\s+at .+:\d+:\d+/, 'no stack trace for a user mistake')

test('init scaffolds a committed repo with .tsctl/ ignored; a second init refuses (exit 2)', () => {
  const dir = tempDir()
  const r = tsctl(['init', 'fleet', '-o', 'json'], {cwd: dir})
  assert.is(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  assertOutput('init', doc)
  const repo = join(dir, 'fleet')
  for (const f of ['tsctl.yaml', '.gitignore', 'manifests/nodes.yaml', 'manifests/hello.yaml']) assert.ok(existsSync(join(repo, f)), f)
  assert.match(readFileSync(join(repo, '.gitignore'), 'utf8'), /^\.tsctl\/$/m)
  const log = spawnSync('git', ['log', '--format=%H %s'], {cwd: repo, encoding: 'utf8'}).stdout.trim().split('\n')
  assert.equal(log, [`${doc.commit} tsctl init`])
  assert.is(spawnSync('git', ['status', '--porcelain'], {cwd: repo, encoding: 'utf8'}).stdout, '')
  const again = tsctl(['init', 'fleet'], {cwd: dir})
  assert.is(again.code, 2)
  assert.match(again.stderr, 'refusing to overwrite existing files')
  noStack(again.stderr)
})

test('validate accepts what init made (exit 0)', () => {
  const dir = tempDir()
  assert.is(tsctl(['init', dir], {cwd: dir}).code, 0)
  const r = tsctl(['validate'], {cwd: dir})
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^Valid: \d+ objects at [0-9a-f]{7} "tsctl init"/)
  const j = tsctl(['validate', '-o', 'json'], {cwd: dir})
  assert.is(j.code, 0, j.stderr)
  assertOutput('validate', JSON.parse(j.stdout))
})

test('validate of a broken manifest lists diagnostics and exits 2; -o json gives error.json', () => {
  const dir = tempDir()
  assert.is(tsctl(['init', dir], {cwd: dir}).code, 0)
  writeFileSync(join(dir, 'manifests', 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\ndata: {a: 1\n')
  spawnSync('git', ['add', '.'], {cwd: dir})
  spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'bad'], {cwd: dir})
  const r = tsctl(['validate'], {cwd: dir})
  assert.is(r.code, 2)
  assert.match(r.stderr, /manifests\/bad\.yaml:\d+:\d+/)
  noStack(r.stderr)
  const j = tsctl(['validate', '-o', 'json'], {cwd: dir})
  assert.is(j.code, 2)
  const doc = JSON.parse(j.stdout)
  assertOutput('error', doc)
  assert.ok(doc.diagnostics.length >= 1)
})

test('a reference to a Secret the commit does not hold is a warning (exit 0); --strict makes it exit 2', () => {
  const dir = tempDir()
  assert.is(tsctl(['init', dir], {cwd: dir}).code, 0)
  writeFileSync(join(dir, 'manifests', 'uses-secret.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: tool\nspec:\n  containers:\n    - name: c\n      image: busybox\n      env:\n        - name: TOKEN\n          valueFrom:\n            secretKeyRef: {name: api-creds, key: token}\n')
  spawnSync('git', ['add', '.'], {cwd: dir})
  spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'secret kept elsewhere'], {cwd: dir})
  const r = tsctl(['validate'], {cwd: dir})
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /^warning: manifests\/uses-secret\.yaml:12:\d+: Pod\/default\/tool: spec\.containers\[0\]\.env\[0\]\.valueFrom\.secretKeyRef\.name: Secret "api-creds" does not exist in namespace default: the pod waits/m)
  assert.match(r.stdout, /1 warning/)
  const strict = tsctl(['validate', '--strict'], {cwd: dir})
  assert.is(strict.code, 2)
  assert.match(strict.stderr, /error: manifests\/uses-secret\.yaml:12:\d+: .*Secret "api-creds" does not exist/)
  assert.match(strict.stderr, /1 warning with --strict/)
  noStack(strict.stderr)
  const j = tsctl(['validate', '--strict', '-o', 'json'], {cwd: dir})
  assert.is(j.code, 2)
  assertOutput('error', JSON.parse(j.stdout))
})

test('diff of a fresh repo shows changes (exit 1) in text, markdown and schema-valid json', () => {
  const dir = tempDir()
  assert.is(tsctl(['init', dir], {cwd: dir}).code, 0)
  const t = tsctl(['diff', '--offline'], {cwd: dir})
  assert.is(t.code, 1, t.stderr)
  assert.match(t.stdout, /^Plan: \d+ to create, 0 to replace, 0 to delete, 0 unchanged\.$/m)
  assert.not.match(t.stdout, '\x1b[')
  const m = tsctl(['diff', '-o', 'markdown'], {cwd: dir})
  assert.is(m.code, 1)
  assert.match(m.stdout, '### tsctl diff')
  const j = tsctl(['diff', '-o', 'json'], {cwd: dir})
  assert.is(j.code, 1)
  assertOutput('diff', JSON.parse(j.stdout))
  const tty = tsctlTty(['diff'], {cwd: dir})
  if (tty) {
    assert.match(tty.stdout, '\x1b[32m')
    assert.not.match(tsctlTty(['diff'], {cwd: dir, env: {NO_COLOR: '1'}})!.stdout, '\x1b[')
  }
})

test('diff against the state its own end state left reports no changes (exit 0)', async () => {
  const dir = tempDir()
  assert.is(tsctl(['init', dir], {cwd: dir}).code, 0)
  // the modules are reached by path so this file compiles before they land on main
  const mod = (rel: string) => import(pathToFileURL(join(repoRoot, 'dist', 'src', rel)).href)
  const {loadDesired} = await mod('manifests/load.js')
  const {converge} = await mod('reconcile/converge.js')
  const {observedFromState} = await mod('reconcile/assume.js')
  const {emptyState} = await import('../../src/state/model.js')
  const now = Date.parse('2026-11-20T12:00:00Z') // the TSCTL_NOW the CLI runs with
  const desired = await loadDesired({repo: dir, ref: 'HEAD'})
  const s0 = emptyState('lineage-cli-test')
  const end = converge({desired, state: s0, observed: observedFromState(s0, now), now})
  mkdirSync(join(dir, '.tsctl'), {recursive: true, mode: 0o700})
  writeFileSync(join(dir, '.tsctl', 'state.json'), JSON.stringify({...end.final.state, serial: 1}), {mode: 0o600})
  const r = tsctl(['diff', '--offline'], {cwd: dir})
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /^Plan: 0 to create, 0 to replace, 0 to delete, 2 unchanged\.$/m)
  const j = tsctl(['diff', '--offline', '-o', 'json'], {cwd: dir})
  assert.is(j.code, 0)
  const doc = JSON.parse(j.stdout)
  assertOutput('diff', doc)
  assert.is(doc.changes, false)
  // and the state-reading commands see the pods the pass placed
  const pods = tsctl(['get', 'pods', '-o', 'wide'], {cwd: dir})
  assert.is(pods.code, 0, pods.stderr)
  assert.is(pods.stdout.trim().split('\n').length, 3)
  assert.match(tsctl(['rollout', 'history', 'deploy/hello'], {cwd: dir}).stdout, /\n1\s+[0-9a-f]{7}\s+tsctl init\s/)
})

test('get pods: kubectl table from the state, -o wide, -A, -l, -o name', () => {
  const dir = repoWithState(after())
  const r = tsctl(['get', 'pods'], {cwd: dir})
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/)
  assert.match(r.stdout, /web-5f4e3d2c-uvwxy\s+0\/1\s+Pending\s+0\s+60m/)
  const wide = tsctl(['get', 'po', '-A', '-o', 'wide'], {cwd: dir})
  assert.match(wide.stdout, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+IMAGES\n/)
  // the fixture's pods carry no pins: images as written
  assert.match(wide.stdout, /\ndefault\s+db-0\s+.*\s+node-a\s+postgres:16\.2\n/)
  const names = tsctl(['get', 'pods', '-l', 'app=db', '-o', 'name'], {cwd: dir})
  assert.is(names.stdout, 'pod/db-0\n')
  const none = tsctl(['get', 'pods', '-n', 'other'], {cwd: dir})
  assert.is(none.code, 0)
  assert.is(none.stdout, '')
  assert.match(none.stderr, 'No resources found in namespace other.')
})

test('get -o json follows schemas/output/get.json; secrets are masked in every format', () => {
  const dir = repoWithState()
  const list = tsctl(['get', 'deploy', '-o', 'json'], {cwd: dir})
  assert.is(list.code, 0, list.stderr)
  const doc = JSON.parse(list.stdout)
  assertOutput('get', doc)
  assert.is(doc.kind, 'List')
  assert.is(doc.items[0].metadata.name, 'web')
  const one = JSON.parse(tsctl(['get', 'deploy/web', '-o', 'json'], {cwd: dir}).stdout)
  assertOutput('get', one)
  assert.is(one.kind, 'Deployment')
  for (const fmt of [[], ['-o', 'json'], ['-o', 'yaml'], ['-o', 'wide']]) {
    const s = tsctl(['get', 'secrets', ...fmt], {cwd: dir})
    assert.is(s.code, 0)
    assert.not.match(s.stdout, 'b2xkLXNlY3JldA', `secret value leaked with ${fmt.join(' ')}`)
  }
  assert.match(tsctl(['get', 'secret/db', '-o', 'yaml'], {cwd: dir}).stdout, 'password: (sensitive)')
})

test('get of something missing or unknown exits 2 with a message, no stack', () => {
  const dir = repoWithState()
  const missing = tsctl(['get', 'pods/nope'], {cwd: dir})
  assert.is(missing.code, 2)
  assert.match(missing.stderr, 'error: pods "nope" not found in namespace default')
  noStack(missing.stderr)
  const unknown = tsctl(['get', 'widgets'], {cwd: dir})
  assert.is(unknown.code, 2)
  assert.match(unknown.stderr, 'unknown resource type "widgets"')
  const badFlag = tsctl(['get', 'pods', '--bogus'], {cwd: dir})
  assert.is(badFlag.code, 2)
  const badSel = tsctl(['get', 'pods', '-l', 'a in (b'], {cwd: dir})
  assert.is(badSel.code, 2)
})

test('describe pod shows node, containers (with the digest each image is pinned to) and events; get pods -o wide the short digest; -o json follows its schema', () => {
  const digest = 'sha256:' + '5e'.repeat(32)
  const st = before()
  st.objects['Pod/default/web-6b7c8d9f-abcde']!.metadata.annotations = {'tsctl.io/image-digests': JSON.stringify({'busybox:1.36': digest})}
  const dir = repoWithState(st)
  const r = tsctl(['describe', 'pod/web-6b7c8d9f-abcde'], {cwd: dir})
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^Name:\s+web-6b7c8d9f-abcde$/m)
  assert.match(r.stdout, /^Node:\s+node-a\/198\.18\.0\.11$/m)
  assert.match(r.stdout, `    Image:          busybox:1.36\n    Image ID:       docker.io/library/busybox@${digest}\n`)
  assert.match(r.stdout, /Normal\s+Scheduled\s+60m\s+tsctl\s+Successfully assigned/)
  assert.match(tsctl(['describe', 'pod/web-6b7c8d9f-fghij'], {cwd: dir}).stdout, /^    Image ID:$/m, 'an unpinned image has an empty Image ID')
  const wide = tsctl(['get', 'pods', '-o', 'wide'], {cwd: dir})
  assert.match(wide.stdout, /^web-6b7c8d9f-abcde\s+.*\s+node-a\s+busybox:1\.36@sha256:5e5e5e5e5e5e$/m)
  assert.match(wide.stdout, /^web-6b7c8d9f-fghij\s+.*\s+node-b\s+busybox:1\.36$/m)
  const j = tsctl(['describe', 'secret', 'db', '-o', 'json'], {cwd: dir})
  assert.is(j.code, 0, j.stderr)
  assertOutput('describe', JSON.parse(j.stdout))
  assert.not.match(j.stdout, 'b2xkLXNlY3JldA')
})

test('rollout history lists revisions with commits; --revision shows one; -o json follows its schema', () => {
  const dir = repoWithState(after())
  const r = tsctl(['rollout', 'history', 'deploy/web'], {cwd: dir})
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^deployment\.apps\/web\nREVISION\s+COMMIT\s+SUBJECT\s+AUTHOR\s+DATE\n1\s+0f9e8d7\s+first deploy of web/)
  assert.match(r.stdout, /\n2\s+1a2b3c4\s+web: busybox 1\.37, 3 replicas\s+Alice/)
  const one = tsctl(['rollout', 'history', 'deploy/web', '--revision', '2'], {cwd: dir})
  assert.is(one.code, 0, one.stderr)
  assert.match(one.stdout, 'image: busybox:1.37')
  const j = tsctl(['rollout', 'history', 'deployment', 'web', '-o', 'json'], {cwd: dir})
  assertOutput('rollout-history', JSON.parse(j.stdout))
  assert.is(tsctl(['rollout', 'history', 'deploy/web', '--revision', '9'], {cwd: dir}).code, 2)
  assert.is(tsctl(['rollout', 'history', 'svc/web'], {cwd: dir}).code, 2)
})

test('state show: summary, whole state as json with secrets masked, --state override', () => {
  const dir = repoWithState()
  const r = tsctl(['state', 'show'], {cwd: dir})
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^Serial:\s+7$/m)
  assert.match(r.stdout, /^Lock:\s+none$/m)
  const j = tsctl(['state', 'show', '-o', 'json'], {cwd: dir})
  const doc = JSON.parse(j.stdout)
  assertOutput('state-show', doc)
  assert.is(doc.state.objects['Secret/default/db'].data.password, '(sensitive)')
  assert.not.match(j.stdout, 'b2xkLXNlY3JldA')
  const elsewhere = join(tempDir(), 'other.json')
  writeFileSync(elsewhere, JSON.stringify({...before(), serial: 42}))
  assert.match(tsctl(['state', 'show', '--state', elsewhere], {cwd: dir}).stdout, /^Serial:\s+42$/m)
  const none = tsctl(['state', 'show', '--state', join(dir, 'missing.json')], {cwd: dir})
  assert.is(none.code, 0)
  assert.match(none.stdout, 'none yet')
})

test('a damaged or newer state is exit 2 naming the file, no stack', () => {
  const dir = repoWithState()
  writeFileSync(join(dir, '.tsctl', 'state.json'), '{"version": 1, "serial": ')
  const r = tsctl(['get', 'pods'], {cwd: dir})
  assert.is(r.code, 2)
  assert.match(r.stderr, join(dir, '.tsctl', 'state.json'))
  noStack(r.stderr)
  writeFileSync(join(dir, '.tsctl', 'state.json'), JSON.stringify({...before(), version: 7}))
  const newer = tsctl(['state', 'show', '-o', 'json'], {cwd: dir})
  assert.is(newer.code, 2)
  assertOutput('error', JSON.parse(newer.stdout))
  assert.match(newer.stderr, 'written by a newer tsctl')
})

test('state unlock: a live holder is exit 3 naming it; --force removes it; a stale lock goes with a warning', async () => {
  const dir = repoWithState()
  const lock = join(dir, '.tsctl', 'state.json.lock')
  // a live holder on this host: a child process we start and stop
  const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'})
  try {
    writeFileSync(lock, JSON.stringify({operation: 'tsctl sync', holder: 'carol@' + hostname(), pid: holder.pid, host: hostname(), created: '2026-11-20T11:59:00Z', id: 'lock-1'}), {mode: 0o600})
    const r = tsctl(['state', 'unlock'], {cwd: dir})
    assert.is(r.code, 3)
    assert.match(r.stderr, `state is locked by "tsctl sync" by carol@${hostname()} (pid ${holder.pid} on ${hostname()})`)
    assert.match(r.stderr, 'tsctl state unlock --force')
    noStack(r.stderr)
    const j = tsctl(['state', 'unlock', '-o', 'json'], {cwd: dir})
    assert.is(j.code, 3)
    const err = JSON.parse(j.stdout)
    assertOutput('error', err)
    assert.is(err.exitCode, 3)
    assert.match(tsctl(['state', 'show'], {cwd: dir}).stdout, /^Lock:\s+held: "tsctl sync" by carol@/m)
    const f = tsctl(['state', 'unlock', '--force', '-o', 'json'], {cwd: dir})
    assert.is(f.code, 0, f.stderr)
    const doc = JSON.parse(f.stdout)
    assertOutput('state-unlock', doc)
    assert.is(doc.lock.id, 'lock-1')
    assert.not.ok(existsSync(lock))
  } finally {
    holder.kill('SIGKILL')
  }
  await new Promise((r) => holder.once('exit', r))
  // the same lock now names a dead pid on this host: stale
  writeFileSync(lock, JSON.stringify({operation: 'tsctl sync', holder: 'carol@' + hostname(), pid: holder.pid, host: hostname(), created: '2026-11-20T11:59:00Z', id: 'lock-2'}), {mode: 0o600})
  const s = tsctl(['state', 'unlock'], {cwd: dir})
  assert.is(s.code, 0, s.stderr)
  assert.match(s.stderr, `warning: removing a stale state lock`)
  assert.match(s.stdout, 'Unlocked: removed the lock held by')
  assert.not.ok(existsSync(lock))
  const again = tsctl(['state', 'unlock'], {cwd: dir})
  assert.is(again.code, 0)
  assert.is(again.stdout, 'The state is not locked.\n')
})

test('colour only on a TTY and never with NO_COLOR', () => {
  const dir = repoWithState()
  const piped = tsctl(['get', 'widgets'], {cwd: dir})
  assert.not.match(piped.stderr, '\x1b[')
  const tty = tsctlTty(['get', 'widgets'], {cwd: dir})
  if (!tty) {
    console.log('SKIP: no `script` (util-linux) to run under a pseudo-terminal')
    return
  }
  assert.match(tty.stdout, '\x1b[31merror:\x1b[39m')
  const noColor = tsctlTty(['get', 'widgets'], {cwd: dir, env: {NO_COLOR: '1'}})!
  assert.match(noColor.stdout, 'error: unknown resource type')
  assert.not.match(noColor.stdout, '\x1b[')
})

test('--help of every command shows examples; state file written by tests stays 0600', () => {
  const dir = repoWithState()
  for (const cmd of [['validate'], ['diff'], ['get'], ['describe'], ['rollout', 'history'], ['state', 'show'], ['state', 'unlock'], ['init']]) {
    const r = tsctl([...cmd, '--help'], {cwd: dir})
    assert.is(r.code, 0, cmd.join(' '))
    assert.match(r.stdout, 'EXAMPLES', cmd.join(' '))
    assert.match(r.stdout, `$ tsctl ${cmd.join(' ')}`, cmd.join(' '))
  }
  assert.is(statSync(join(dir, '.tsctl', 'state.json')).mode & 0o777, 0o600)
})

test.run()
