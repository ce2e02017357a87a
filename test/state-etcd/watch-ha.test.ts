// Highly available `tsctl watch` on the etcd backend, end to end as root on
// this machine (local transport, a private runtime ROOT, lease TTL 2 s):
// three watchers elect one leader, the others report standby naming it; the
// leader kill -9'ed mid-rollout → a standby takes over within the TTL and
// finishes that commit, no commit applied twice, no duplicate or orphan pod;
// a SIGSTOPped leader that lost its lease writes nothing when resumed,
// notices, and stands by.
import type {ChildProcess} from 'node:child_process'
import {Etcd3} from 'etcd3'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {assertOutput} from '../cli/helpers/output-schema.js'
import {etcdHooks, etcdSkipReason} from '../fixtures/etcd.js'
import {localSite, localSkipReason, nodeYaml, type LocalSite} from '../sync/_local.js'
import {freshPrefix} from './_helpers.js'

const skip = localSkipReason() ?? etcdSkipReason()
const etcd = skip ? () => ({endpoints: [] as string[]}) : etcdHooks(test)
const TTL_MS = 2000
let site: LocalSite | undefined
let raw: Etcd3 | undefined
const watchers: Watcher[] = []
const prefix = freshPrefix()

/** 3 replicas, each Ready ~2 s after it starts: a rolling update (maxSurge 1, maxUnavailable 0) takes several steps. */
function app(cmd: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: oci:images/busybox
          command: ["sh", "-c", ${JSON.stringify(cmd)}]
          readinessProbe:
            exec: {command: ["true"]}
            initialDelaySeconds: 2
            periodSeconds: 1
`
}

interface Watcher {
  child: ChildProcess
  records: Record<string, unknown>[]
  err: () => string
}

function startWatcher(): Watcher {
  const child = site!.spawnTsctl(['watch', '-o', 'json', '--resync', '0', '--timeout', '120s', '--lock-timeout', '60s'])
  const records: Record<string, unknown>[] = []
  let buf = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => {
    buf += d
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      records.push(JSON.parse(buf.slice(0, i)))
      buf = buf.slice(i + 1)
    }
  })
  child.stderr!.on('data', (d: Buffer) => (err += d))
  const w = {child, records, err: () => err}
  watchers.push(w)
  return w
}

async function until(cond: () => boolean, what: string, ms = 90_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) {
      const dump = watchers.map((w) => `--- pid ${w.child.pid}\n${w.err()}\n${w.records.filter((r) => r.event !== 'sync').map((r) => JSON.stringify(r)).join('\n')}`).join('\n')
      throw new Error(`timed out waiting for ${what}\n${dump}`)
    }
    await new Promise((r) => setTimeout(r, 25))
  }
}

const has = (w: Watcher, pred: (r: Record<string, unknown>) => boolean) => w.records.some(pred)
const converged = (w: Watcher, sha: string) => has(w, (r) => r.event === 'pass.end' && r.commit === sha && r.converged === true)
const created = (w: Watcher, sha: string) =>
  has(w, (r) => r.event === 'sync' && r.commit === sha && (r.detail as {type?: string; action?: {type?: string}})?.type === 'action-done' && (r.detail as {action: {type: string}}).action.type === 'create')

/** The pods running on this machine, by template hash (the middle of web-<hash>-<suffix>). */
async function podsByHash(): Promise<{names: string[]; hashes: string[]}> {
  const pods = (await site!.pods()).filter((p) => p.phase === 'Running' || p.phase === 'Pending')
  const names = pods.map((p) => p.name).sort()
  return {names, hashes: [...new Set(names.map((n) => n.split('-').slice(-2, -1)[0]))]}
}

test.before(async () => {
  if (skip) return
  site = await localSite({'nodes.yaml': nodeYaml, 'app.yaml': app('exec sleep 3600')})
  Object.assign(site.env, {TSCTL_STATE_BACKEND: 'etcd', TSCTL_ETCD_ENDPOINTS: etcd().endpoints.join(','), TSCTL_ETCD_PREFIX: prefix, TSCTL_ETCD_TTL: String(TTL_MS / 1000)})
})

test.after(async () => {
  for (const w of watchers) {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill('SIGCONT')
      w.child.kill('SIGKILL')
    }
  }
  raw?.close()
  if (site) assert.equal(await site.cleanup(), [], 'nothing of the runtime ROOT is left')
})

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('HA watch')
} else {
  test('three watchers: one leads and applies the tip, two report standby naming it (-o json and text)', async () => {
    const ws = [startWatcher(), startWatcher(), startWatcher()]
    const first = site!.repo.git('rev-parse', 'HEAD')
    await until(() => ws.filter((w) => has(w, (r) => r.event === 'leader')).length === 1 && ws.filter((w) => has(w, (r) => r.event === 'standby')).length === 2, 'one leader, two standbys')
    const leader = ws.find((w) => has(w, (r) => r.event === 'leader'))!
    await until(() => converged(leader, first), 'the leader to apply the first commit')
    for (const w of ws.filter((x) => x !== leader)) {
      const s = w.records.find((r) => r.event === 'standby')!
      assertOutput('watch-record', s)
      assert.match(String(s.message), new RegExp(`^standby \\(leader: \\S+/${leader.child.pid}\\)$`))
      assert.equal((s.leader as {pid: number}).pid, leader.child.pid)
      assert.not.ok(has(w, (r) => r.event === 'pass.start'), 'a standby runs no pass')
    }
    assert.is((await podsByHash()).names.length, 3)
  })

  test('the leader kill -9\'ed mid-rollout: a standby takes over within the TTL, finishes that commit; nothing applied twice, no duplicate or orphan pod', async () => {
    const [a, b, c] = watchers
    const leader = [a, b, c].find((w) => has(w, (r) => r.event === 'leader'))!
    const standbys = [a, b, c].filter((w) => w !== leader)
    const first = site!.repo.git('rev-parse', 'HEAD')
    const before = await podsByHash()
    const second = site!.repo.commit('web: v2', {'app.yaml': app('echo v2; exec sleep 3600')})
    await until(() => created(leader, second), 'the leader to start the rollout (first new pod created)')
    leader.child.kill('SIGKILL')
    const killed = Date.now()
    await until(() => standbys.some((w) => has(w, (r) => r.event === 'leader')), 'a standby to take over', 20_000)
    const took = Date.now() - killed
    const next = standbys.find((w) => has(w, (r) => r.event === 'leader'))!
    const other = standbys.find((w) => w !== next)!
    assert.ok(took <= TTL_MS + 1500, `took over after ${took} ms (TTL ${TTL_MS} ms)`)
    await until(() => converged(next, second), 'the new leader to finish the rollout')
    assert.not.ok(has(next, (r) => r.event === 'pass.start' && r.commit === first), 'the first commit is not applied again')
    assert.not.ok(has(other, (r) => r.event === 'pass.start'), 'the other standby stayed standby')
    await until(() => has(other, (r) => r.event === 'standby' && (r.leader as {pid: number}).pid === next.child.pid), 'the other standby to name the new leader', 10_000)
    const after = await podsByHash()
    assert.is(after.names.length, 3, `3 pods, no duplicate: ${after.names}`)
    assert.is(after.hashes.length, 1, `one template, no orphan: ${after.names}`)
    assert.not.equal(after.hashes, before.hashes, 'the new template')
  })

  test('a SIGSTOPped leader that lost its lease writes nothing when resumed, notices, and stands by', async () => {
    const alive = watchers.filter((w) => w.child.exitCode === null && w.child.signalCode === null)
    const leader = alive.find((w) => has(w, (r) => r.event === 'leader'))!
    const standby = alive.find((w) => w !== leader)!
    const third = site!.repo.commit('web: v3', {'app.yaml': app('echo v3; exec sleep 3600')})
    await until(() => created(leader, third), 'the leader to start the rollout of v3')
    leader.child.kill('SIGSTOP')
    await until(() => has(standby, (r) => r.event === 'leader'), 'the standby to take over from the paused leader', 20_000)
    await until(() => converged(standby, third), 'the new leader to finish v3')
    // every state write records its writer: watch them from before the old leader wakes up
    raw = new Etcd3({hosts: etcd().endpoints})
    const writers: number[] = []
    const w = await raw.watch().key(`${prefix}/meta/write`).create()
    w.on('put', (kv) => writers.push(JSON.parse(kv.value.toString()).pid))
    const nLeaderRecords = leader.records.length
    leader.child.kill('SIGCONT')
    await until(() => leader.records.slice(nLeaderRecords).some((r) => r.event === 'standby' && (r.leader as {pid: number}).pid === standby.child.pid), 'the old leader to stand by behind the new one', 20_000)
    assert.ok(leader.records.slice(nLeaderRecords).some((r) => r.event === 'leadership.lost'), 'it says it lost the leadership')
    // give it time to try whatever it was about to write
    await new Promise((r) => setTimeout(r, 1500))
    if (process.env.TSCTL_TEST_DEBUG) console.log(leader.records.slice(nLeaderRecords).filter((r) => r.event !== 'sync' || (r.detail as {type: string}).type !== 'observed').map((r) => JSON.stringify(r)).join('\n'))
    // a positive control: the new leader's writes are seen by the same watch
    const fourth = site!.repo.commit('web: v4', {'app.yaml': app('echo v4; exec sleep 3600')})
    await until(() => converged(standby, fourth), 'the new leader to apply v4')
    await w.cancel()
    assert.ok(writers.includes(standby.child.pid!), `the new leader's writes are seen (writers: ${writers})`)
    assert.not.ok(writers.includes(leader.child.pid!), `the old leader wrote nothing (writers: ${writers})`)
    assert.not.ok(has(leader, (r) => r.event === 'pass.start' && r.commit === fourth), 'the old leader stays standby')
    const pods = await podsByHash()
    assert.is(pods.names.length, 3, `3 pods: ${pods.names}`)
    assert.is(pods.hashes.length, 1, `one template: ${pods.names}`)
  })
}

test.run()
