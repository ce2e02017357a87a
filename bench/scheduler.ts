/**
 * `npm run bench`: how fast the scheduler places a synthetic fleet's pods,
 * and how much `tsctl --version` costs over bare Node.
 *
 * Each fleet size runs in its own child process (so peak RSS is that size's
 * alone): a fresh snapshot, then 10,000 pods from Deployments, StatefulSets
 * and a DaemonSet, each scheduled and assumed in turn, the way a reconcile
 * pass does. The fleet and the pods come from a seeded PRNG, so every run
 * schedules the same input. Output: one line per measurement,
 *
 *   bench scheduler nodes=1000 pods=10000 pods_per_s=… pass_ms=… peak_rss_mb=… …
 *   bench scheduler-growth nodes=100->1000 nodes_x_pods_ratio=10 warm_cpu_ratio=… per_node_pod_ns=…
 *   bench reconcile nodes=1000 pods=… first_pass_ms=… …   (bench/reconcile.js, the whole pass)
 *   bench cli tsctl_ms=… node_ms=… overhead_ms=…
 *
 * `pass_ms` is the first pass in a fresh process (what one `tsctl` run
 * pays, JIT warm-up included); `warm_pass_ms` is the median of the next
 * passes in the same process.
 */
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {loadavg} from 'node:os'
import {fileURLToPath} from 'node:url'
import type {KubeObject} from '../src/manifests/object.js'
import type {SchedulerNode} from '../src/reconcile/scheduler/types.js'
import {createSnapshot, schedulePod} from '../src/reconcile/scheduler/schedule.js'

const POD_COUNT = 10_000
const SIZES = [100, 1000, 5000]
const WARM_PASSES = 3

/** mulberry32: a small seeded PRNG, so the fleet is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]
const pad = (n: number, w = 5) => String(n).padStart(w, '0')
const zones = ['zone-a', 'zone-b', 'zone-c', 'zone-d', 'zone-e']

/** Mixed capacities, zone/rack/disk labels, a few dedicated, spot, cordoned and not-ready nodes. */
function fleet(count: number): SchedulerNode[] {
  const r = prng(count * 7919)
  const nodes: SchedulerNode[] = []
  const every = Math.max(1, Math.ceil(count / 1000))
  for (let i = 0; i < count; i++) {
    const size = pick(r, [
      {cpu: '4', memory: '16Gi'},
      {cpu: '8', memory: '32Gi'},
      {cpu: '16', memory: '64Gi'},
      {cpu: '32', memory: '128Gi'},
    ])
    const labels: Record<string, string> = {
      'topology.kubernetes.io/zone': zones[i % zones.length],
      rack: `rack-${pad(Math.floor(i / 20), 3)}`,
      disk: r() < 0.4 ? 'ssd' : 'hdd',
    }
    if (i % every === 0) labels['monitoring'] = 'yes'
    const taints = []
    const roll = r()
    if (roll < 0.05) taints.push({key: 'dedicated', value: 'batch', effect: 'NoSchedule'})
    else if (roll < 0.1) taints.push({key: 'spot', value: 'true', effect: 'PreferNoSchedule'})
    nodes.push({name: `node-${pad(i)}`, labels, taints, unschedulable: r() < 0.02, ready: r() >= 0.01, allocatable: {...size, pods: 110}})
  }
  return nodes
}

function podOf(name: string, labels: Record<string, string>, owner: {kind: string; name: string; uid: string}, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name, namespace: 'default', uid: `uid-${name}`, labels, ownerReferences: [{apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: owner.uid, controller: true}]},
    spec,
  }
}

function resources(r: () => number) {
  return {requests: {cpu: pick(r, ['100m', '250m', '500m', '1', '2']), memory: pick(r, ['128Mi', '256Mi', '512Mi', '1Gi', '2Gi'])}}
}

/** The pods a pass would schedule: a monitoring DaemonSet, StatefulSets with claims, and Deployments filling up to 10,000. */
function workload(nodes: SchedulerNode[]): KubeObject[] {
  const r = prng(42)
  const pods: KubeObject[] = []
  // DaemonSet: pinned per node with matchFields, as the DaemonSet controller does.
  const dsOwner = {kind: 'DaemonSet', name: 'node-exporter', uid: 'ds-node-exporter'}
  for (const n of nodes) {
    if (n.labels?.['monitoring'] !== 'yes') continue
    pods.push(
      podOf(`node-exporter-${n.name}`, {app: 'node-exporter'}, dsOwner, {
        containers: [{name: 'exporter', resources: {requests: {cpu: '50m', memory: '64Mi'}}, ports: [{containerPort: 9100, hostPort: 9100}]}],
        tolerations: [{operator: 'Exists'}],
        affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: 'metadata.name', operator: 'In', values: [n.name]}]}]}}},
      }),
    )
  }
  // StatefulSets: 3-5 replicas, a claim each, one replica per host.
  for (let s = 0; pods.length < POD_COUNT * 0.15; s++) {
    const name = `db-${s}`
    const owner = {kind: 'StatefulSet', name, uid: `sts-${name}`}
    const replicas = 3 + Math.floor(r() * 3)
    const res = resources(r)
    for (let k = 0; k < replicas; k++)
      pods.push(
        podOf(`${name}-${k}`, {app: name, 'statefulset.kubernetes.io/pod-name': `${name}-${k}`}, owner, {
          containers: [{name: 'db', resources: res}],
          initContainers: [{name: 'init', resources: {requests: {cpu: '1', memory: '64Mi'}}}],
          volumes: [{name: 'data', persistentVolumeClaim: {claimName: `data-${name}-${k}`}}],
          affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: name}}, topologyKey: 'kubernetes.io/hostname'}]}},
        }),
      )
  }
  // Deployments: a mix of plain, nodeSelector, zone spread and preferred anti-affinity.
  for (let d = 0; pods.length < POD_COUNT; d++) {
    const name = `web-${d}`
    const hash = `h${d}`
    const owner = {kind: 'ReplicaSet', name: `${name}-${hash}`, uid: `rs-${name}`}
    const replicas = Math.min(POD_COUNT - pods.length, 5 + Math.floor(r() * 40))
    const labels = {app: name, 'pod-template-hash': hash}
    const spec: Record<string, unknown> = {containers: [{name: 'app', resources: resources(r)}]}
    const kind = r()
    if (kind < 0.25) spec.nodeSelector = {disk: 'ssd'}
    else if (kind < 0.5)
      spec.topologySpreadConstraints = [
        {maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: {matchLabels: {app: name}}},
        {maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: {matchLabels: {app: name}}},
      ]
    else if (kind < 0.7)
      spec.affinity = {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, podAffinityTerm: {labelSelector: {matchLabels: {app: name}}, topologyKey: 'kubernetes.io/hostname'}}]}}
    else if (kind < 0.8) spec.tolerations = [{key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule'}]
    for (let k = 0; k < replicas; k++) pods.push(podOf(`${name}-${hash}-${pad(k)}`, labels, owner, spec))
  }
  return pods
}

function pass(nodes: SchedulerNode[], pods: KubeObject[]): {ms: number; cpuMs: number; scheduled: number; unschedulable: number} {
  const started = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  const snap = createSnapshot(nodes, [])
  let scheduled = 0
  for (const pod of pods) {
    const res = schedulePod(snap, pod)
    if (res.ok) {
      snap.assume(pod, res.node)
      scheduled++
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  const cpu = process.cpuUsage(cpu0)
  return {ms, cpuMs: (cpu.user + cpu.system) / 1000, scheduled, unschedulable: pods.length - scheduled}
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Child mode: one fleet size, one line. */
function one(size: number): void {
  const nodes = fleet(size)
  const pods = workload(nodes)
  const cold = pass(nodes, pods)
  const warm: number[] = []
  const warmCpu: number[] = []
  for (let k = 0; k < WARM_PASSES; k++) {
    const p = pass(nodes, pods)
    warm.push(p.ms)
    warmCpu.push(p.cpuMs)
  }
  const rssMB = process.resourceUsage().maxRSS / 1024
  const line = [
    `bench scheduler nodes=${size} pods=${pods.length}`,
    `pods_per_s=${Math.round((pods.length / cold.ms) * 1000)}`,
    `pass_ms=${cold.ms.toFixed(1)}`,
    `peak_rss_mb=${rssMB.toFixed(1)}`,
    `pass_cpu_ms=${cold.cpuMs.toFixed(1)}`,
    `warm_pods_per_s=${Math.round((pods.length / median(warm)) * 1000)}`,
    `warm_pass_ms=${median(warm).toFixed(1)}`,
    `warm_pass_cpu_ms=${median(warmCpu).toFixed(1)}`,
    `load_avg=${loadavg()[0].toFixed(2)}`,
    `scheduled=${cold.scheduled} unschedulable=${cold.unschedulable}`,
  ]
  process.stdout.write(line.join(' ') + '\n')
}

function spawnMs(args: string[]): number {
  const started = process.hrtime.bigint()
  const res = spawnSync(process.execPath, args, {stdio: 'ignore'})
  if (res.status !== 0) throw new Error(`node ${args.join(' ')} exited ${res.status}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

function cli(): void {
  const runJs = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
  const tsctl: number[] = []
  const bare: number[] = []
  // Interleaved, so both see the same machine load.
  for (let k = 0; k < 15; k++) {
    tsctl.push(spawnMs([runJs, '--version']))
    bare.push(spawnMs(['-e', '0']))
  }
  const t = median(tsctl)
  const b = median(bare)
  process.stdout.write(`bench cli tsctl_ms=${t.toFixed(1)} node_ms=${b.toFixed(1)} overhead_ms=${(t - b).toFixed(1)}\n`)
}

/**
 * The scheduler in context: bench/reconcile.js (the whole pure pass —
 * controllers, scheduling, plan — at 100 and 1,000 nodes) in its own
 * process, its `bench reconcile …` lines passed through. About 5 s.
 */
function reconcileLines(): void {
  const script = fileURLToPath(new URL('./reconcile.js', import.meta.url))
  const res = spawnSync(process.execPath, [script], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']})
  if (res.status !== 0) throw new Error(`bench/reconcile.js exited ${res.status}`)
  process.stdout.write(res.stdout)
}

function main(): void {
  const self = fileURLToPath(import.meta.url)
  // --passes N SIZE: just run N passes (for a profiler), print nothing.
  const pp = process.argv.indexOf('--passes')
  if (pp >= 0) {
    const nodes = fleet(Number(process.argv[pp + 2]))
    const pods = workload(nodes)
    for (let k = 0; k < Number(process.argv[pp + 1]); k++) {
      if (process.env.BENCH_CHUNKS) {
        const snap = createSnapshot(nodes, [])
        let t = process.hrtime.bigint()
        const out: string[] = []
        pods.forEach((pod, n) => {
          const res = schedulePod(snap, pod)
          if (res.ok) snap.assume(pod, res.node)
          if (n % 1000 === 999) {
            const now = process.hrtime.bigint()
            out.push((Number(now - t) / 1e6).toFixed(0))
            t = now
          }
        })
        process.stdout.write(`pass ${k} chunks_ms=${out.join(',')}\n`)
      } else {
        const p = pass(nodes, pods)
        process.stdout.write(`pass ${k} wall_ms=${p.ms.toFixed(0)} cpu_ms=${p.cpuMs.toFixed(0)}\n`)
      }
    }
    return
  }
  // --digest SIZE [clone]: a hash of every result (node, scores, messages) and the claims, to check that
  // a speed-up changed no placement: compare it before and after.
  const dg = process.argv.indexOf('--digest')
  if (dg >= 0) {
    const nodes = fleet(Number(process.argv[dg + 1]))
    // `clone`: every pod its own objects, as the controllers hand them over (no shared spec).
    const pods = process.argv[dg + 2] === 'clone' ? workload(nodes).map((p) => JSON.parse(JSON.stringify(p)) as KubeObject) : workload(nodes)
    const snap = createSnapshot(nodes, [])
    const h = createHash('sha256')
    for (const pod of pods) {
      const res = schedulePod(snap, pod)
      h.update(JSON.stringify(res) + '\n')
      if (res.ok) snap.assume(pod, res.node)
    }
    h.update(JSON.stringify(snap.claims()))
    process.stdout.write(`digest nodes=${process.argv[dg + 1]} ${h.digest('hex')}\n`)
    return
  }
  const at = process.argv.indexOf('--one')
  if (at >= 0) return one(Number(process.argv[at + 1]))
  const passMs = new Map<number, number>()
  for (const size of SIZES) {
    const res = spawnSync(process.execPath, [self, '--one', String(size)], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']})
    if (res.status !== 0) throw new Error(`bench for ${size} nodes exited ${res.status}`)
    process.stdout.write(res.stdout)
    // Growth is judged on CPU time: on a shared machine wall time mostly measures the neighbours.
    const ms = /warm_pass_cpu_ms=([\d.]+)/.exec(res.stdout)
    if (ms) passMs.set(size, Number(ms[1]))
  }
  // Pods are fixed, so nodes×pods grows as nodes do; linear growth means warm_cpu_ratio ≈ that ratio.
  // (At 100 nodes most pods do not fit and fail fast, so 1000→5000 is the fairer pair.)
  for (const [a, b] of [
    [100, 1000],
    [1000, 5000],
    [100, 5000],
  ]) {
    const ratio = (passMs.get(b) ?? NaN) / (passMs.get(a) ?? NaN)
    process.stdout.write(`bench scheduler-growth nodes=${a}->${b} nodes_x_pods_ratio=${b / a} warm_cpu_ratio=${ratio.toFixed(2)} per_node_pod_ns=${(((passMs.get(b) ?? NaN) * 1e6) / (b * POD_COUNT)).toFixed(1)}\n`)
  }
  reconcileLines()
  cli()
}

main()
