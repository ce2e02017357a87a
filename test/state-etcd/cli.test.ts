// The etcd backend through the real CLI (bin/run.js → dist/): tsctl.yaml's
// state: and TSCTL_ETCD_*, state show of any backend, state migrate
// file → etcd → file (and git) byte-identical, state unlock of a lease lock,
// errors that name the endpoint (exit 2 / 4), never a stack or a password.
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {FileStateBackend} from '../../src/state/file-backend.js'
import {assertOutput} from '../cli/helpers/output-schema.js'
import {cleanup, tempDir, tsctl} from '../cli/helpers/run.js'
import {etcdHooks, etcdSkipReason, freePort} from '../fixtures/etcd.js'
import {TempRepo} from '../manifests/git-repo.js'
import {bigState, freshPrefix} from './_helpers.js'

const skip = etcdSkipReason()
const etcd = skip ? () => ({endpoints: [] as string[]}) : etcdHooks(test)
const holderJs = fileURLToPath(new URL('./fixtures/holder.js', import.meta.url))
const children = new Set<ChildProcessWithoutNullStreams>()
const repos: TempRepo[] = []
test.after.each(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  children.clear()
})
test.after(() => {
  cleanup()
  for (const r of repos) r.remove()
})

const hostPort = () => etcd().endpoints[0].replace('http://', '')
const envFor = (prefix: string): Record<string, string> => ({TSCTL_STATE_BACKEND: 'etcd', TSCTL_ETCD_ENDPOINTS: hostPort(), TSCTL_ETCD_PREFIX: prefix, TSCTL_ETCD_TTL: '2'})
const noStack = (s: string) => assert.not.match(s, /\n\s+at /, 'no stack trace')

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('etcd CLI')
} else {
  test('migrate file → etcd → file is byte-identical, serial and lineage kept; state show reads each; a second migrate is refused', async () => {
    const d = tempDir()
    const a = join(d, 'a.json')
    const s = bigState(300, 'lineage-mig')
    s.serial = 42
    s.appliedCommit = {sha: 'b'.repeat(40), subject: 'web: more memory', author: 'Ada', date: '2026-12-07T00:00:00Z'}
    await new FileStateBackend(a).write(s)
    const p = freshPrefix()
    const to = `etcd://${hostPort()}${p}`
    const m1 = tsctl(['state', 'migrate', '--state', a, '--to', to, '-o', 'json'], {cwd: d})
    assert.is(m1.code, 0, m1.stderr)
    const doc = JSON.parse(m1.stdout)
    assertOutput('state-migrate', doc)
    assert.equal([doc.serial, doc.lineage, doc.objects], [42, 'lineage-mig', 302])
    const show = tsctl(['state', 'show', '--from', to, '-o', 'json'], {cwd: d})
    assert.is(show.code, 0, show.stderr)
    const shown = JSON.parse(show.stdout)
    assertOutput('state-show', shown)
    assert.equal([shown.state.serial, shown.state.lineage, shown.backend], [42, 'lineage-mig', `etcd ${hostPort()} ${p}`])
    // the same through TSCTL_STATE_BACKEND=etcd + TSCTL_ETCD_*
    const viaEnv = tsctl(['state', 'show'], {cwd: d, env: envFor(p)})
    assert.is(viaEnv.code, 0, viaEnv.stderr)
    assert.match(viaEnv.stdout, /42/)
    const b = join(d, 'b.json')
    const m2 = tsctl(['state', 'migrate', '--from', to, '--to', `file:${b}`], {cwd: d})
    assert.is(m2.code, 0, m2.stderr)
    assert.match(m2.stdout, /Migrated serial 42 \(lineage lineage-mig, 302 objects\)/)
    assert.ok(readFileSync(a).equals(readFileSync(b)), 'file → etcd → file is byte-identical')
    const again = tsctl(['state', 'migrate', '--state', a, '--to', to], {cwd: d})
    assert.is(again.code, 2)
    assert.match(again.stderr, /already at serial 42/)
    noStack(again.stderr)
  })

  test('migrate to the git backend and back is byte-identical too', async () => {
    const repo = new TempRepo()
    repos.push(repo)
    repo.commit('first', {'README': 'x'})
    const s = bigState(20, 'lineage-git')
    s.serial = 7
    const a = join(repo.dir, 'a.json')
    await new FileStateBackend(a).write(s)
    const m1 = tsctl(['state', 'migrate', '--state', a, '--to', 'git:.#refs/tsctl/mig'], {cwd: repo.dir})
    assert.is(m1.code, 0, m1.stderr)
    const p = freshPrefix()
    const m2 = tsctl(['state', 'migrate', '--from', 'git:.#refs/tsctl/mig', '--to', `etcd://${hostPort()}${p}`], {cwd: repo.dir})
    assert.is(m2.code, 0, m2.stderr)
    const b = join(repo.dir, 'b.json')
    const m3 = tsctl(['state', 'migrate', '--from', `etcd://${hostPort()}${p}`, '--to', `file:${b}`], {cwd: repo.dir})
    assert.is(m3.code, 0, m3.stderr)
    assert.ok(readFileSync(a).equals(readFileSync(b)), 'file → git → etcd → file is byte-identical')
  })

  test('tsctl.yaml state: {backend: etcd, endpoints, prefix, ttl} is used without flags; a password in it is exit 2 at file:line', async () => {
    const p = freshPrefix()
    const repo = new TempRepo()
    repos.push(repo)
    repo.commit('etcd state', {'tsctl.yaml': `state:\n  backend: etcd\n  endpoints: [${hostPort()}]\n  prefix: ${p}\n  ttl: 2s\n`})
    const d = tempDir()
    const s = bigState(2, 'lineage-yaml')
    s.serial = 3
    await new FileStateBackend(join(d, 's.json')).write(s)
    assert.is(tsctl(['state', 'migrate', '--state', join(d, 's.json'), '--to', `etcd://${hostPort()}${p}`], {cwd: d}).code, 0)
    const show = tsctl(['state', 'show', '-o', 'json'], {cwd: repo.dir})
    assert.is(show.code, 0, show.stderr)
    assert.is(JSON.parse(show.stdout).state.lineage, 'lineage-yaml')
    // --state still wins over tsctl.yaml
    const file = tsctl(['state', 'show', '-o', 'json', '--state', join(d, 'none.json')], {cwd: repo.dir})
    assert.is(JSON.parse(file.stdout).state, null)
    const bad = new TempRepo()
    repos.push(bad)
    bad.commit('bad', {'tsctl.yaml': `state:\n  backend: etcd\n  endpoints: [${hostPort()}]\n  auth:\n    user: tsctl\n    password: hunter2\n`})
    const r = tsctl(['state', 'show'], {cwd: bad.dir})
    assert.is(r.code, 2)
    assert.match(r.stderr, /tsctl\.yaml:6:\d+: state\.auth\.password: tsctl\.yaml is committed: it must not hold a password/)
    assert.not.match(r.stderr, /hunter2/)
    noStack(r.stderr)
  })

  test('an unreachable endpoint is exit 4 naming it; a bad endpoint is exit 2; a missing password variable is exit 2', async () => {
    const d = tempDir()
    const port = await freePort()
    const r = tsctl(['state', 'show'], {cwd: d, env: {TSCTL_STATE_BACKEND: 'etcd', TSCTL_ETCD_ENDPOINTS: `127.0.0.1:${port}`, TSCTL_ETCD_TIMEOUT_MS: '1000'}})
    assert.is(r.code, 4, r.stderr)
    assert.match(r.stderr, new RegExp(`etcd 127\\.0\\.0\\.1:${port} /tsctl/default: cannot reach etcd while reading the state`))
    noStack(r.stderr)
    const j = tsctl(['state', 'show', '-o', 'json'], {cwd: d, env: {TSCTL_STATE_BACKEND: 'etcd', TSCTL_ETCD_ENDPOINTS: `127.0.0.1:${port}`, TSCTL_ETCD_TIMEOUT_MS: '1000'}})
    assertOutput('error', JSON.parse(j.stdout))
    const bad = tsctl(['state', 'show'], {cwd: d, env: {TSCTL_STATE_BACKEND: 'etcd', TSCTL_ETCD_ENDPOINTS: 'not an endpoint'}})
    assert.is(bad.code, 2)
    assert.match(bad.stderr, /TSCTL_ETCD_ENDPOINTS: "not an endpoint" is not an etcd endpoint/)
    const pw = tsctl(['state', 'show'], {cwd: d, env: {TSCTL_STATE_BACKEND: 'etcd', TSCTL_ETCD_ENDPOINTS: hostPort(), TSCTL_ETCD_USER: 'tsctl'}})
    assert.is(pw.code, 2)
    assert.match(pw.stderr, /etcd user "tsctl" needs a password in \$TSCTL_ETCD_PASSWORD/)
    const none = tsctl(['state', 'show'], {cwd: d, env: {TSCTL_STATE_BACKEND: 'etcd'}})
    assert.is(none.code, 2)
    assert.match(none.stderr, /the etcd state backend needs endpoints/)
  })

  test('state unlock: a live lease lock is exit 3 naming its holder; --force removes it; show names the holder', async () => {
    const p = freshPrefix()
    const c = spawn(process.execPath, [holderJs, etcd().endpoints[0], p, '30'], {stdio: ['pipe', 'pipe', 'pipe']})
    children.add(c)
    const line = await createInterface({input: c.stdout})[Symbol.asyncIterator]().next()
    assert.match(String(line.value), /^locked /)
    const d = tempDir()
    const show = tsctl(['state', 'show', '-o', 'json'], {cwd: d, env: envFor(p)})
    assert.is(show.code, 0, show.stderr)
    const doc = JSON.parse(show.stdout)
    assertOutput('state-show', doc)
    assert.equal([doc.lock.pid, doc.lock.ttlSeconds], [c.pid, 30])
    const u = tsctl(['state', 'unlock'], {cwd: d, env: envFor(p)})
    assert.is(u.code, 3)
    assert.match(u.stderr, new RegExp(`state is locked by "tsctl sync" by \\S+ \\(pid ${c.pid} on .*lease TTL 30s.*state unlock --force`))
    const f = tsctl(['state', 'unlock', '--force', '-o', 'json'], {cwd: d, env: envFor(p)})
    assert.is(f.code, 0, f.stderr)
    assertOutput('state-unlock', JSON.parse(f.stdout))
    assert.is(JSON.parse(f.stdout).lock.pid, c.pid)
    assert.match(tsctl(['state', 'unlock'], {cwd: d, env: envFor(p)}).stdout, /not locked/)
  })
}

test.run()
