// The same scenario — sync, diff, a rolling update, rollout history, rollout
// undo — run with the file backend and with the etcd backend, as root on
// this machine (local transport, a private runtime ROOT): the exit codes,
// revisions, subjects and pods are the same. Then two real syncs racing on
// etcd: one applies, the other exits 3 naming the holder.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {assertOutput} from '../cli/helpers/output-schema.js'
import {etcdHooks, etcdSkipReason} from '../fixtures/etcd.js'
import {appYaml, localSite, localSkipReason, nodeYaml, syncJson, type LocalSite, type Run} from '../sync/_local.js'
import {freshPrefix} from './_helpers.js'

const skip = localSkipReason() ?? etcdSkipReason()
const etcd = skip ? () => ({endpoints: [] as string[]}) : etcdHooks(test)
const sites: LocalSite[] = []
test.after(async () => {
  for (const s of sites) assert.equal(await s.cleanup(), [], 'nothing of the runtime ROOT is left')
})

interface Outcome {
  codes: Record<string, number>
  revisions: {revision: number; subject: string}[]
  pods: number
  appliedIsHead: boolean
  serialGrew: boolean
}

/** The scenario on a fresh site whose tsctl runs with ENV (the backend choice). */
async function scenario(env: Record<string, string>): Promise<Outcome> {
  const site = await localSite({'nodes.yaml': nodeYaml, 'app.yaml': appYaml({replicas: 2})})
  sites.push(site)
  Object.assign(site.env, env)
  const codes: Record<string, number> = {}
  const run = (name: string, args: string[]): Run => {
    const r = site.tsctl(args)
    codes[name] = r.code
    return r
  }
  const s1 = run('sync 1', ['sync', '-o', 'json', '--timeout', '60s'])
  assert.ok(syncJson(s1).converged, s1.stderr)
  run('diff after sync', ['diff'])
  site.repo.commit('web: say hi', {'app.yaml': appYaml({replicas: 2, cmd: 'echo hi; exec sleep 3600'})})
  run('diff of a change', ['diff'])
  const s2 = run('sync 2', ['sync', '-o', 'json', '--timeout', '60s'])
  assert.ok(syncJson(s2).converged, s2.stderr)
  const h = run('history', ['rollout', 'history', 'deploy/web', '-o', 'json'])
  const hist = JSON.parse(h.stdout)
  assertOutput('rollout-history', hist)
  const u = run('undo', ['rollout', 'undo', 'deploy/web', '--timeout', '60s'])
  assert.is(u.code, 0, u.stderr + u.stdout)
  const show = run('show', ['state', 'show', '-o', 'json'])
  const doc = JSON.parse(show.stdout)
  assertOutput('state-show', doc)
  const pods = (await site.pods()).filter((p) => p.phase === 'Running' || p.phase === 'Pending')
  return {
    codes,
    revisions: (hist.revisions as {revision: number; commit: {subject: string} | null}[]).map((r) => ({revision: r.revision, subject: r.commit?.subject ?? ""})),
    pods: pods.length,
    appliedIsHead: doc.state.appliedCommit?.sha === site.repo.git('rev-parse', 'HEAD'),
    serialGrew: doc.state.serial > 2,
  }
}

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('sync on the etcd backend')
} else {
  test('sync, diff, rolling update, rollout history and undo: the etcd backend behaves exactly as the file backend', async () => {
    const file = await scenario({})
    const prefix = freshPrefix()
    const onEtcd = await scenario({TSCTL_STATE_BACKEND: 'etcd', TSCTL_ETCD_ENDPOINTS: etcd().endpoints.join(','), TSCTL_ETCD_PREFIX: prefix, TSCTL_ETCD_TTL: '2'})
    assert.equal(file.codes, {'sync 1': 0, 'diff after sync': 0, 'diff of a change': 1, 'sync 2': 0, history: 0, undo: 0, show: 0})
    assert.equal(onEtcd, file)
    assert.equal(file.revisions.map((r) => r.subject), ['first', 'web: say hi'])
    assert.is(file.pods, 2)
  })

  test('two syncs at once on etcd: one applies (exit 0), the other exits 3 naming the holder and its lease; 2 pods, not 4', async () => {
    const site = await localSite({'nodes.yaml': nodeYaml, 'app.yaml': appYaml({replicas: 2})})
    sites.push(site)
    Object.assign(site.env, {TSCTL_STATE_BACKEND: 'etcd', TSCTL_ETCD_ENDPOINTS: etcd().endpoints.join(','), TSCTL_ETCD_PREFIX: freshPrefix(), TSCTL_ETCD_TTL: '2'})
    const run = () =>
      new Promise<Run>((resolve) => {
        const c = site.spawnTsctl(['sync', '-o', 'json', '--timeout', '60s'])
        let stdout = ''
        let stderr = ''
        c.stdout!.on('data', (d) => (stdout += d))
        c.stderr!.on('data', (d) => (stderr += d))
        c.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
      })
    const [a, b] = await Promise.all([run(), run()])
    assert.equal([a.code, b.code].sort(), [0, 3], `a: ${a.code} ${a.stderr}\nb: ${b.code} ${b.stderr}`)
    const loser = a.code === 3 ? a : b
    assert.match(loser.stderr, /state is locked by "tsctl sync" by \S+ \(pid \d+ on \S+\) since .*, applying [0-9a-f]{12}, lease TTL 2s/)
    assert.is(JSON.parse(loser.stdout).exitCode, 3)
    const pods = (await site.pods()).filter((p) => p.phase === 'Running' || p.phase === 'Pending')
    assert.is(pods.length, 2)
  })
}

test.run()
