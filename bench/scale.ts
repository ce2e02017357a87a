/**
 * `npm run bench:scale`: `sync()` at 10, 100 and 1,000 hosts with 10 pods
 * each, against simulated hosts (bench/sim-transport.ts) that answer the real
 * runtime protocol from memory. The sync loop, reconcile, the scheduler, the
 * executor, RuntimeClient, bundles, image resolution (`oci:images/busybox`
 * from the repo) and the file state backend are the real ones, in-process;
 * the manifests repo is a real git repo in a temp dir.
 *
 * Per size, 10 pods on each host: a Deployment `many` of hosts×9 small
 * pods (spread by the scheduler's defaults) and a Deployment `roll` of
 * `hosts` pods, one per host (topologySpreadConstraints maxSkew 1 on the
 * hostname, matchLabelKeys pod-template-hash, so each revision spreads on
 * its own), maxSurge/maxUnavailable 25%.
 *   setup    the first sync makes all of it (timed apart: first_sync_ms);
 *   no-op    the same commit again: wall ms, this process's CPU ms
 *            (process.cpuUsage), peak RSS sampled every 20 ms (after a GC);
 *   rollout  `roll`'s template changes: wall ms to convergence, and the
 *            passes (observe → reconcile → execute) it took.
 *
 *   bench scale hosts=N pods=P noop_ms=… noop_cpu_ms=… rollout_ms=… rollout_passes=… peak_rss_mb=… rtt_ms=30
 *   bench scale growth noop_wall_x=<noop_ms(1000)/noop_ms(100)> noop_cpu_x=… rollout_x=…
 *
 * plus `bench scale detail …` lines (the first sync, the no-op's split, a
 * warm no-op, verb counts, the rollout's timeline). Each `sync()` gets new
 * transports, as a new `tsctl sync` process would: every host is connected
 * to once, through the real Limiter's start-up pacing (8 at once, 10 ms
 * apart), before its first command; `noop_warm_ms` reuses them, as `tsctl
 * watch` does. Every sync is bounded (BENCH_BUDGET_S for the setup,
 * BENCH_PHASE_S for each timed one): past it the size prints
 * `stopped_after_s=… phase=…` instead of its figures.
 *
 * The bars of the "speed at fleet scale" issue, printed here, not asserted:
 * at 1,000 hosts a no-op ≤ 5 s wall and ≤ 1 GiB RSS; a rollout ≤ 30 s at
 * 30 ms RTT.
 *
 * What the simulation leaves out — read the figures as a lower bound:
 * - bandwidth: a command's stdin (bundles, image layers) costs nothing on the
 *   wire; only the round trip is paid, once per command;
 * - sshd's start rate and the hosts' side of a connection (MaxStartups,
 *   key exchange CPU): a connection set-up is 3 round trips (BENCH_CONNECT_MS);
 * - host CPU and the real runtime: `status` answers from memory, `apply`
 *   starts nothing (pods are Running and Ready at once, no image unpacking,
 *   no grace periods waited for), so readiness never holds a rollout back;
 * - the CLI's own process costs: the start of tsctl (node, oclif, loading
 *   modules) and the `ssh` child process SshTransport spawns for every
 *   command (a fork of the node process each, on the main thread);
 * - jitter, packet loss, retries, slow or unreachable hosts;
 * - nothing of the sim is free for the CLI's figures: it answers in this
 *   process, so its own CPU (status text, reading bundles) is in the CPU ms.
 *
 * Both templates carry an annotation `bench.tsctl.io/seed`, chosen so that
 * no two pods of a ReplicaSet get the same name (collisionFreeSeed).
 *
 * Env: BENCH_SIZES (default 10,100,1000), BENCH_RTT_MS (30), BENCH_CONCURRENCY
 * (32), BENCH_CONNECT_MS (3 × RTT; 0: no connection cost), BENCH_BUDGET_S
 * (300: the setup sync), BENCH_PHASE_S (120: each timed sync),
 * BENCH_PROFILE=1 (top 10 functions by self time of the largest size's
 * no-op and rollout; or a list of phases: first,noop,rollout;
 * BENCH_PROFILE_DIR keeps the .cpuprofile files).
 */
import {mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {Session} from 'node:inspector/promises'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'
import {loadDesired} from '../src/manifests/load.js'
import type {Desired} from '../src/manifests/desired.js'
import type {KubeObject} from '../src/manifests/object.js'
import {nameSuffix} from '../src/reconcile/hash.js'
import {reconcile} from '../src/reconcile/reconcile.js'
import {FileStateBackend} from '../src/state/file-backend.js'
import {emptyState, type State} from '../src/state/model.js'
import {sync, type SyncEvent, type SyncResult} from '../src/sync/sync.js'
import {buildBusyboxLayout} from '../test/fixtures/busybox-image.js'
import {TempRepo} from '../test/manifests/git-repo.js'
import {SimFleet, type SimHosts} from './sim-transport.js'

const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number)
const RTT = Number(process.env.BENCH_RTT_MS ?? 30)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)
const CONNECT_MS = process.env.BENCH_CONNECT_MS === undefined ? 3 * RTT : Number(process.env.BENCH_CONNECT_MS)
const BUDGET_S = Number(process.env.BENCH_BUDGET_S ?? 300)
const PHASE_S = Number(process.env.BENCH_PHASE_S ?? 120)
const PROFILE = new Set(process.env.BENCH_PROFILE === '1' ? ['noop', 'rollout'] : (process.env.BENCH_PROFILE ?? '').split(',').filter(Boolean))
const PER_HOST = 10

// A collection before each timed sync, so its RSS is not the previous sync's garbage.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** A template annotation the bench may vary: see collisionFreeSeed. */
const SEED = 'bench.tsctl.io/seed'

const nodesYaml = (n: number) =>
  Array.from({length: n}, (_, i) => `apiVersion: v1
kind: Node
metadata:
  name: sim-${i + 1}
spec:
  address: 127.0.0.1
  capacity:
    cpu: "16"
    memory: 64Gi
    pods: "110"
`).join('---\n')

/** Small pods, spread by the scheduler's defaults: about PER_HOST on each host. */
const manyYaml = (replicas: number, seed = 0) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: many
spec:
  replicas: ${replicas}
  strategy:
    rollingUpdate:
      maxSurge: 100%
  selector:
    matchLabels:
      app: many
  template:
    metadata:
      labels:
        app: many
      annotations:
        ${SEED}: "${seed}"
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: main
          image: oci:images/busybox
          command: ["sleep", "100000"]
          resources:
            requests:
              cpu: 10m
              memory: 4Mi
`

/** One pod per host: each revision spreads over the hostnames on its own (pod-template-hash). */
const rollYaml = (replicas: number, version: string, seed = 0) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: roll
spec:
  replicas: ${replicas}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
  selector:
    matchLabels:
      app: roll
  template:
    metadata:
      labels:
        app: roll
      annotations:
        ${SEED}: "${seed}"
    spec:
      terminationGracePeriodSeconds: 0
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: DoNotSchedule
          labelSelector:
            matchLabels:
              app: roll
          matchLabelKeys: [pod-template-hash]
      containers:
        - name: main
          image: oci:images/busybox
          command: ["sleep", "100000"]
          env:
            - name: VERSION
              value: "${version}"
          resources:
            requests:
              cpu: 10m
              memory: 4Mi
`

/** A stop of the size's run: past its budget, with what was measured so far. */
class Stopped extends Error {
  constructor(readonly phase: string) {
    super(`stopped in ${phase}`)
  }
}

interface Timed {
  result: SyncResult
  ms: number
  cpuMs: number
  peakRssMb: number
  events: {type: SyncEvent['type']; t: number; n?: number}[]
}

/** Top functions and files by self time, from a V8 CPU profile. */
function profileSummary(profile: {nodes: {id: number; hitCount?: number; callFrame: {functionName: string; url: string; lineNumber: number}}[]; startTime: number; endTime: number; samples?: number[]}): string[] {
  const total = profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0) || 1
  const ms = (profile.endTime - profile.startTime) / 1000
  const byFn = new Map<string, number>()
  const byFile = new Map<string, number>()
  const root = process.cwd()
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0
    if (!hits) continue
    const {functionName, url, lineNumber} = node.callFrame
    const file = url ? relative(root, url.replace(/^file:\/\//, '')) : '(native)'
    const fn = `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits)
    byFile.set(file, (byFile.get(file) ?? 0) + hits)
  }
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([f, h]) => `  ${((h / total) * 100).toFixed(1).padStart(5)}% ${((h / total) * ms).toFixed(0).padStart(6)} ms  ${f}`)
  return ['top functions (self time):', ...top(byFn, 10), 'top files (self time):', ...top(byFile, 8)]
}

async function timedSync(label: string, opts: Parameters<typeof sync>[0], deadline: number, profile: boolean): Promise<Timed> {
  gc()
  const events: Timed['events'] = []
  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  let session: Session | undefined
  if (profile) {
    session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', {interval: 500})
    await session.post('Profiler.start')
  }
  const cpu0 = process.cpuUsage()
  const t0 = Date.now()
  let result: SyncResult
  try {
    result = await sync({
      ...opts,
      timeoutMs: Math.max(1_000, deadline - Date.now()),
      shouldStop: () => Date.now() > deadline,
      onEvent: (e) => {
        if (e.type === 'observed' || e.type === 'pass-started' || e.type === 'waiting' || e.type === 'converged' || e.type === 'sync-started') {
          events.push({type: e.type, t: e.time - t0, ...(e.type === 'pass-started' ? {n: e.actions} : {})})
        }
      },
    })
  } finally {
    clearInterval(sampler)
  }
  const ms = Date.now() - t0
  const cpu = process.cpuUsage(cpu0)
  peak = Math.max(peak, process.memoryUsage().rss)
  if (session) {
    const {profile: p} = await session.post('Profiler.stop')
    session.disconnect()
    if (process.env.BENCH_PROFILE_DIR) writeFileSync(join(process.env.BENCH_PROFILE_DIR, `scale-${label}.cpuprofile`), JSON.stringify(p))
    console.log(`# profile ${label}:\n${profileSummary(p as Parameters<typeof profileSummary>[0]).join('\n')}`)
  }
  if (!result.converged) {
    if (Date.now() >= deadline - 1_000) {
      const why = collisionsIn(result.state)
      if (why.length) console.log(`# ${label}: pod name collision (src/reconcile/controllers/replicaset.ts): ${why.join('; ')}`)
      throw new Stopped(label)
    }
    const why = collisionsIn(result.state)
    if (why.length) console.log(`# ${label}: pod name collision (src/reconcile/controllers/replicaset.ts): ${why.join('; ')}`)
    throw new Error(`${label}: exit ${result.exitCode}, not converged: ${result.message ?? ''} ${result.failedNodes.slice(0, 3).map((f) => `${f.node}: ${f.error}`).join('; ')}`)
  }
  return {result, ms, cpuMs: Math.round((cpu.user + cpu.system) / 1000), peakRssMb: Math.round(peak / 2 ** 20), events}
}

/** Slots of 0..SLOTS-1 whose pod name (`<rs>-<nameSuffix(rsUid, slot)>`, replicaset.ts) an earlier slot already has. */
function slotCollisions(rsUid: string, slots: number): number[] {
  const seen = new Set<string>()
  const out: number[] = []
  for (let i = 0; i < slots; i++) {
    const n = nameSuffix(rsUid, i)
    if (seen.has(n)) out.push(i)
    seen.add(n)
  }
  return out
}

/** ReplicaSets of STATE that cannot reach their replicas: two of their slots name the same pod. */
function collisionsIn(state: State): string[] {
  const out: string[] = []
  for (const o of Object.values(state.objects)) {
    const replicas = (o.spec as {replicas?: number} | undefined)?.replicas ?? 0
    if (o.kind !== 'ReplicaSet' || !replicas) continue
    const c = slotCollisions(o.metadata.uid ?? '', replicas)
    if (c.length) out.push(`${o.metadata.name}: ${c.length} slot(s) share a pod name with a lower slot (first: ${c[0]})`)
  }
  return out
}

/**
 * The first seed (template annotation SEED) whose ReplicaSets, for every
 * VERSIONS, give SLOTS distinct pod names. Pod names are a 5-character hash
 * of (ReplicaSet UID, slot): past about 1,000 replicas two slots share a
 * name now and then (27^5 names: ~3% at 1,000, ~97% at 10,000), the later
 * pod overwrites the earlier in the state and the sync waits for it until
 * --timeout. Names are deterministic, so a pure reconcile of the Deployment
 * alone (1 replica: the template, hence the UID, is the same) finds a seed
 * that avoids it. Bounded; undefined when none of TRIES does.
 */
function collisionFreeSeed(desired: Desired, name: string, slots: number, versions: (string | undefined)[], tries = 1000): number | undefined {
  const entry = desired.objects.find((d) => d.object.kind === 'Deployment' && d.object.metadata.name === name)
  if (!entry) throw new Error(`no Deployment ${name} in the commit`)
  const rsUid = (seed: number, version: string | undefined): string => {
    const o = structuredClone(entry.object) as KubeObject & {spec: {replicas: number; template: {metadata: {annotations: Record<string, string>}; spec: {containers: {env?: {name: string; value: string}[]}[]}}}}
    o.spec.replicas = 1
    o.spec.template.metadata.annotations[SEED] = String(seed)
    if (version !== undefined) for (const e of o.spec.template.spec.containers[0].env ?? []) if (e.name === 'VERSION') e.value = version
    const r = reconcile({desired: {...desired, objects: [{...entry, object: o}]}, state: emptyState('bench'), observed: {nodes: {}}, now: Date.now()})
    const rs = Object.values(r.state.objects).find((x) => x.kind === 'ReplicaSet' && x.metadata.name.startsWith(`${name}-`))
    if (!rs?.metadata.uid) throw new Error(`reconcile made no ReplicaSet for ${name}`)
    return rs.metadata.uid
  }
  for (let seed = 0; seed < tries; seed++) if (versions.every((v) => slotCollisions(rsUid(seed, v), slots).length === 0)) return seed
  return undefined
}

/** `o@ms` observed, `x@ms:N` executing N actions, `w@ms` waiting, `c@ms` converged (ms from the sync's start). */
const timeline = (ev: Timed['events']) =>
  ev.filter((e) => e.type !== 'sync-started').map((e) => `${e.type === 'observed' ? 'o' : e.type === 'pass-started' ? 'x' : e.type === 'waiting' ? 'w' : 'c'}@${e.t}${e.n !== undefined ? `:${e.n}` : ''}`).join(',')

const changes = (r: SyncResult) => Object.values(r.summary).reduce((n, s) => n + s.created + s.replaced + s.deleted, 0)

interface SizeResult {
  noopMs: number
  noopCpuMs: number
  rolloutMs: number
}

async function runSize(hosts: number, profile: Set<string>): Promise<SizeResult | undefined> {
  const started = Date.now()
  // the setup sync gets the size's budget; each timed sync after it its own bound
  let deadline = started + BUDGET_S * 1000
  const pods = hosts * PER_HOST
  const manyReplicas = hosts * (PER_HOST - 1)
  const repo = new TempRepo()
  const stateDir = mkdtempSync(join(tmpdir(), 'tsctl-bench-scale-state-'))
  const fleet = new SimFleet(Array.from({length: hosts}, (_, i) => `sim-${i + 1}`), {rttMs: RTT, concurrency: CONCURRENCY, connectMs: CONNECT_MS})
  const backend = new FileStateBackend(join(stateDir, 'state.json'))
  const base = {repo: repo.dir, backend, concurrency: CONCURRENCY}
  let phase = 'setup'
  const got: string[] = []
  try {
    repo.write({'tsctl.yaml': 'manifests:\n  - manifests/\n', '.gitignore': '.tsctl/\nimages/\n'})
    await buildBusyboxLayout(join(repo.dir, 'images', 'busybox'))
    const probe = repo.commit('probe', {'manifests/nodes.yaml': nodesYaml(hosts), 'manifests/many.yaml': manyYaml(manyReplicas), 'manifests/roll.yaml': rollYaml(hosts, 'v1')})
    phase = 'seeds'
    const desired = await loadDesired({repo: repo.dir, ref: probe})
    const manySeed = collisionFreeSeed(desired, 'many', manyReplicas, [undefined])
    const rollSeed = collisionFreeSeed(desired, 'roll', hosts, ['v1', 'v2'])
    if (manySeed === undefined || rollSeed === undefined) console.log(`# hosts=${hosts}: no seed avoids a pod name collision; a sync may wait until its bound`)
    const c1 = repo.commit('many + roll v1', {'manifests/many.yaml': manyYaml(manyReplicas, manySeed ?? 0), 'manifests/roll.yaml': rollYaml(hosts, 'v1', rollSeed ?? 0)})

    phase = 'first-sync'
    const first = await timedSync(`first-${hosts}`, {...base, ref: c1, hosts: fleet.hosts()}, deadline, profile.has('first'))
    got.push(`first_sync_ms=${first.ms}`)
    const firstVerbs = fleet.stats.take()
    const placed = [...fleet.hostsByName.values()].reduce((n, h) => n + h.pods.size, 0)
    if (placed !== pods) throw new Error(`first sync placed ${placed} pods, expected ${pods}`)
    const spread = [...fleet.hostsByName.values()].filter((h) => [...h.pods.values()].filter((p) => p.name.startsWith('roll-')).length === 1).length
    if (spread !== hosts) throw new Error(`roll: ${spread} of ${hosts} hosts run exactly one of its pods`)

    phase = 'noop'
    deadline = Date.now() + PHASE_S * 1000
    fleet.stats.connects = 0
    const noopHosts: SimHosts = fleet.hosts()
    const noop = await timedSync(`noop-${hosts}`, {...base, ref: c1, hosts: noopHosts}, deadline, profile.has('noop'))
    if (changes(noop.result) !== 0 || noop.result.passes !== 1) throw new Error(`not a no-op: ${changes(noop.result)} changes, ${noop.result.passes} passes`)
    const noopVerbs = fleet.stats.take()
    const noopConnects = fleet.stats.connects
    got.push(`noop_ms=${noop.ms}`, `noop_cpu_ms=${noop.cpuMs}`)
    phase = 'noop-warm'
    deadline = Date.now() + PHASE_S * 1000
    const warm = await timedSync(`noop-warm-${hosts}`, {...base, ref: c1, hosts: noopHosts}, deadline, false)
    fleet.stats.take()

    phase = 'rollout'
    deadline = Date.now() + PHASE_S * 1000
    const c2 = repo.commit('roll v2', {'manifests/roll.yaml': rollYaml(hosts, 'v2', rollSeed ?? 0)})
    const roll = await timedSync(`rollout-${hosts}`, {...base, ref: c2, hosts: fleet.hosts()}, deadline, profile.has('rollout'))
    const rollVerbs = fleet.stats.take()

    const peak = Math.max(noop.peakRssMb, roll.peakRssMb)
    console.log(`bench scale hosts=${hosts} pods=${pods} noop_ms=${noop.ms} noop_cpu_ms=${noop.cpuMs} rollout_ms=${roll.ms} rollout_passes=${roll.result.passes} peak_rss_mb=${peak} rtt_ms=${RTT}`)
    const [s0, o1, d1] = noop.events.map((e) => e.t)
    console.log(
      `bench scale detail hosts=${hosts} first_sync_ms=${first.ms} first_passes=${first.result.passes} first_cpu_ms=${first.cpuMs} first_rss_mb=${first.peakRssMb} ` +
        `noop_rss_mb=${noop.peakRssMb} noop_split=load:${s0},observe:${o1 - s0},reconcile_and_compare:${d1 - o1},end:${noop.ms - d1} noop_connects=${noopConnects} ` +
        `noop_warm_ms=${warm.ms} noop_warm_cpu_ms=${warm.cpuMs} rollout_cpu_ms=${roll.cpuMs} rollout_actions=${changes(roll.result)} rollout_rss_mb=${roll.peakRssMb} ` +
        `state_kb=${Math.round(statSync(join(stateDir, 'state.json')).size / 1024)} max_rss_mb=${Math.round(process.resourceUsage().maxRSS / 1024)} ` +
        `seeds=${manySeed ?? 'none'},${rollSeed ?? 'none'} connect_ms=${CONNECT_MS} concurrency=${CONCURRENCY}`,
    )
    console.log(`bench scale detail hosts=${hosts} verbs first: ${firstVerbs} | noop: ${noopVerbs} | rollout: ${rollVerbs}`)
    console.log(`bench scale detail hosts=${hosts} rollout_timeline=${timeline(roll.events)}`)
    return {noopMs: noop.ms, noopCpuMs: noop.cpuMs, rolloutMs: roll.ms}
  } catch (e) {
    if (!(e instanceof Stopped)) throw e
    const s = ((Date.now() - started) / 1000).toFixed(0)
    const bound = phase === 'first-sync' ? `BENCH_BUDGET_S=${BUDGET_S}` : `BENCH_PHASE_S=${PHASE_S}`
    console.log(`bench scale hosts=${hosts} pods=${pods} ${got.join(' ')}${got.length ? ' ' : ''}stopped_after_s=${s} phase=${phase} (bound ${bound}) rtt_ms=${RTT}`)
    return undefined
  } finally {
    repo.remove()
    rmSync(stateDir, {recursive: true, force: true})
  }
}

// Bars (issue "speed at fleet scale"), for the reader: at 1,000 hosts no-op ≤ 5 s wall, ≤ 1 GiB RSS; rollout ≤ 30 s at 30 ms RTT.
console.log(`# bench scale: bars at 1,000 hosts: noop ≤ 5000 ms wall, ≤ 1024 MB RSS; rollout ≤ 30000 ms at 30 ms RTT (not asserted)`)
const results = new Map<number, SizeResult | undefined>()
const largest = Math.max(...SIZES)
for (const n of SIZES) results.set(n, await runSize(n, n === largest ? PROFILE : new Set()))
const a = results.get(100)
const b = results.get(1000)
const x = (f: (r: SizeResult) => number) => (a && b ? (f(b) / f(a)).toFixed(2) : 'n/a')
console.log(`bench scale growth noop_wall_x=${x((r) => r.noopMs)} noop_cpu_x=${x((r) => r.noopCpuMs)} rollout_x=${x((r) => r.rolloutMs)}`)
