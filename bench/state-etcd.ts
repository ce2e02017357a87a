// npm run bench:state-etcd — the three state backends side by side, and the
// failover of highly available watchers on etcd. Starts its own etcd
// (Debian's /usr/bin/etcd, one member on 127.0.0.1) and stops it after.
// Prints one line per figure (medians, ms; noisy 2-core VM):
//   bench state backend=file|git|etcd objects=N read_ms=… write_ms=… delta_write_ms=… [delta_write_nohint_ms=…] state_kb=…
//   bench failover ttl_ms=… takeover_ms=… (median of ROUNDS kills; max too)
// write: the whole state (etcd: into an empty prefix, every key, split into
// transactions under etcd's limits). delta_write: the write after one action
// (one pod's status changed, one event added), with the write hint naming the
// changed object (StateBackend.write(state, {changed})), as sync's StateWriter
// passes it: git writes the whole state anyway; file writes the whole file
// but re-serialises only that object and does not re-read its own file;
// etcd sends only the changed keys. delta_write_nohint_ms: etcd's same write
// without the hint (every object serialised and compared; what a write after
// a reconcile costs). git: the bare repo
// itself (update-ref), as bench:state-git's where=local.
// failover: two watcher processes (EtcdLeadership + the lease lock + a state
// write every 100 ms, as a rollout's actions); the leader is kill -9'ed;
// takeover_ms runs from the kill to the first state write of the new leader.
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Etcd3} from 'etcd3'
import type {StateBackend, WriteHint} from '../src/state/backend.js'
import {EtcdStateBackend} from '../src/state/etcd-backend.js'
import {EtcdLeadership} from '../src/state/etcd-leader.js'
import {FileStateBackend} from '../src/state/file-backend.js'
import {GitStateBackend} from '../src/state/git-backend.js'
import {emptyState, type State} from '../src/state/model.js'
import {startEtcd} from '../test/fixtures/etcd.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const TTL_S = Number(process.env.BENCH_TTL_S ?? 2)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (x: number) => x.toFixed(1)

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

function bigState(n: number): State {
  const s = emptyState('bench')
  for (let i = 0; i < n; i++) {
    const name = `web-${String(i).padStart(5, '0')}`
    s.objects[`Pod/default/${name}`] = {apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: 'default', uid: `uid-${i}`, labels: {app: 'web'}}, spec: {nodeName: `node-${i % 100}`, containers: [{name: 'web', image: 'busybox:1.36'}]}, status: {phase: 'Running'}}
  }
  return s
}

/** One action's worth of change: a pod's status and one event. Returns the changed object key. */
function oneAction(s: State, round: number): string {
  const key = `Pod/default/web-${String(round % Object.keys(s.objects).length).padStart(5, '0')}`
  ;(s.objects[key] as unknown as {status: {phase: string; restarts?: number}}).status = {phase: 'Running', restarts: round}
  s.events.push({time: new Date(1_800_000_000_000 + round).toISOString(), type: 'Normal', reason: 'Started', object: key, message: `started (round ${round})`})
  if (s.events.length > 1000) s.events.shift()
  s.serial++
  return key
}

async function benchBackend(name: string, objects: number, make: (round: number) => StateBackend, fresh: boolean): Promise<void> {
  const reads: number[] = []
  const writes: number[] = []
  const deltas: number[] = []
  const deltasNoHint: number[] = []
  let state = bigState(objects)
  for (let r = 0; r < ROUNDS; r++) {
    // whole write: etcd into an empty prefix (fresh backend) each round
    const b = make(fresh ? r : 0)
    state = bigState(objects)
    state.serial = fresh ? 1 : r + 1 + 2 * ROUNDS * r
    writes.push(await time(() => b.write(state)))
    reads.push(await time(() => b.read()))
    const key = oneAction(state, r)
    deltas.push(await time(() => b.write(state, {changed: [key]} satisfies WriteHint)))
    if (name === 'etcd') {
      oneAction(state, r + 1)
      deltasNoHint.push(await time(() => b.write(state)))
    }
    ;(b as {close?: () => void}).close?.()
  }
  const kb = JSON.stringify(state, null, 2).length / 1024
  process.stdout.write(`bench state backend=${name} objects=${objects} read_ms=${fmt(median(reads))} write_ms=${fmt(median(writes))} delta_write_ms=${fmt(median(deltas))}${deltasNoHint.length ? ` delta_write_nohint_ms=${fmt(median(deltasNoHint))}` : ''} state_kb=${kb.toFixed(0)}\n`)
}

/** The child: a watcher that, while leading, holds the lease lock and writes the state every 100 ms. */
async function watcher(endpoints: string, prefix: string): Promise<void> {
  const b = new EtcdStateBackend({config: {endpoints: endpoints.split(','), prefix, ttlSeconds: TTL_S, timeoutMs: 3000}})
  const gate = new EtcdLeadership(b)
  const ac = new AbortController()
  for (;;) {
    await gate.acquire(ac.signal, () => {})
    try {
      await b.lock('bench watch')
      while (gate.isLeader()) {
        const s = (await b.read()) ?? emptyState('bench-failover')
        s.serial++
        await b.write(s)
        await new Promise((r) => setTimeout(r, 100))
      }
    } catch {
      // lost the leadership or the lock (or the lock still held by the dead leader): stand by / retry
      await b.unlock().catch(() => {})
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

async function failover(endpoints: string[]): Promise<void> {
  const prefix = '/tsctl/bench-failover'
  const self = fileURLToPath(import.meta.url)
  const c = new Etcd3({hosts: endpoints})
  const children = new Set<ChildProcess>()
  const startOne = () => {
    const ch = spawn(process.execPath, [self, '--watcher', endpoints.join(','), prefix], {stdio: 'ignore'})
    children.add(ch)
    return ch
  }
  const takeovers: number[] = []
  try {
    startOne()
    startOne()
    const writerOf = async () => {
      const v = await c.get(`${prefix}/meta/write`).string()
      return v ? (JSON.parse(v) as {pid: number}).pid : undefined
    }
    for (let r = 0; r < Math.max(3, Math.ceil(ROUNDS / 3)); r++) {
      let leader: number | undefined
      for (let i = 0; i < 200 && !(leader = await writerOf()); i++) await new Promise((res) => setTimeout(res, 50))
      if (!leader) throw new Error('no watcher ever wrote')
      await new Promise((res) => setTimeout(res, 500))
      leader = (await writerOf())!
      const first = new Promise<number>((resolve) => {
        const w = c.watch().key(`${prefix}/meta/write`).create()
        void w.then((watch) =>
          watch.on('put', (kv) => {
            if ((JSON.parse(kv.value.toString()) as {pid: number}).pid !== leader) {
              resolve(performance.now())
              void watch.cancel()
            }
          }),
        )
      })
      await new Promise((res) => setTimeout(res, 200)) // the watch is established
      const victim = [...children].find((ch) => ch.pid === leader)!
      const t0 = performance.now()
      victim.kill('SIGKILL')
      children.delete(victim)
      takeovers.push((await first) - t0)
      startOne() // two watchers again for the next round
    }
  } finally {
    for (const ch of children) ch.kill('SIGKILL')
    c.close()
  }
  process.stdout.write(`bench failover ttl_ms=${TTL_S * 1000} takeover_ms=${fmt(median(takeovers))} takeover_max_ms=${fmt(Math.max(...takeovers))} rounds=${takeovers.length}\n`)
}

if (process.argv[2] === '--watcher') {
  await watcher(process.argv[3], process.argv[4])
} else {
  const dir = mkdtempSync(join(tmpdir(), 'tsctl-bench-state-etcd-'))
  const etcd = await startEtcd()
  try {
    const bare = join(dir, 'state.git')
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare])
    for (const objects of [100, 10_000]) {
      await benchBackend('file', objects, () => new FileStateBackend(join(dir, `state-${objects}.json`)), false)
      await benchBackend('git', objects, () => new GitStateBackend({repo: bare, remote: '.', ref: `refs/tsctl/bench-${objects}`, renew: false}), false)
      await benchBackend('etcd', objects, (r) => new EtcdStateBackend({config: {endpoints: etcd.endpoints, prefix: `/tsctl/bench-${objects}-${r}`, ttlSeconds: TTL_S, timeoutMs: 10_000}}), true)
    }
    await failover(etcd.endpoints)
  } finally {
    await etcd.stop()
    rmSync(dir, {recursive: true, force: true})
  }
}
