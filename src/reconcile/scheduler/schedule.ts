/**
 * The scheduler's entry points: build a Snapshot of the fleet, then place
 * pods one at a time (kube's scheduleOne without the queue and the binder):
 *
 *   PreFilter → Filter (first rejecting plugin names the node's reason)
 *   → PreScore → Score → NormalizeScore → × weight → sum → highest total
 *   → ties: highest tieHash(pod, node), then smallest node name.
 *
 * Every node is filtered and scored (no percentageOfNodesToScore), so the
 * answer does not depend on node order or on where a previous search
 * stopped. The static plugins (NodeUnschedulable, NodeName,
 * TaintToleration, NodeAffinity) run once per pod template — pods whose
 * tolerations, nodeName, nodeSelector and node affinity are equal — and
 * their verdicts are reused; that is exact, since nodes do not change within
 * a snapshot.
 *
 * Pure: no I/O, no clock, no randomness. Same snapshot and pod, same answer.
 */
import type {KubeObject} from '../../manifests/object.js'
import type {Candidates, CycleState, FilterPlugin, ScorePlugin, PreFilterResult, Template} from './framework.js'
import type {ClusterView} from './cluster-view.js'
import type {NodeInfo, PodInfo, SchedulerNode} from './types.js'
import {reasonId, reasonText} from './reasons.js'
import {tieHash} from './hash.js'
import {dynamicFilters, scorers, staticFilters, staticKeyed} from './registry.js'
import {Snapshot} from './snapshot.js'

export {Snapshot} from './snapshot.js'
export type {SchedulerNode} from './types.js'

/** Per-plugin weighted scores of the chosen node, and their sum. */
export interface NodeScores {
  total: number
  /** plugin name → normalised score × weight */
  plugins: Record<string, number>
}

/**
 * The outcome for one pod. On failure, `message` is kube-scheduler's
 * FailedScheduling text (`0/3 nodes are available: 1 node(s) had untolerated
 * taint {dedicated: batch}, 2 node(s) didn't match pod anti-affinity
 * rules.`) and `reasons` counts nodes per reason.
 */
export type ScheduleResult =
  | {ok: true; node: string; scores?: NodeScores; feasible: number}
  | {ok: false; message: string; reasons: Record<string, number>}

/** Build the scheduler's view of the fleet: nodes, pods already bound (spec.nodeName set), claim bindings (`namespace/claim` → node). */
export function createSnapshot(nodes: SchedulerNode[], boundPods: KubeObject[], claims?: Record<string, string>): Snapshot {
  return new Snapshot(nodes, boundPods, claims)
}

/** kube's NoNodeAvailableMsg, and its message when the cluster has no nodes at all. */
const noNodes = 'no nodes available to schedule pods'

class Cycle implements CycleState {
  pod!: PodInfo
  template!: Template
  readonly data = new Map<string, unknown>()
  hist = new Int32Array(64)
  touched: number[] = []
  /** set by explain(): every rejection of the node being examined */
  onReject?: (reason: number) => void

  constructor(readonly cluster: ClusterView) {}

  reject(reason: number): void {
    if (reason >= this.hist.length) {
      const grown = new Int32Array(Math.max(reason + 1, this.hist.length * 2))
      grown.set(this.hist)
      this.hist = grown
    }
    if (this.hist[reason]++ === 0) this.touched.push(reason)
    this.onReject?.(reason)
  }

  /** add `count` rejections for `reason` at once (the template's static verdicts) */
  count(reason: number, count: number): void {
    this.reject(reason)
    this.hist[reason] += count - 1
  }

  reset(pod: PodInfo): void {
    this.pod = pod
    this.data.clear()
    for (const r of this.touched) this.hist[r] = 0
    this.touched.length = 0
  }
}

interface Scratch {
  cycle: Cycle
  cand: Candidates
  total: Float64Array
  scores: Float64Array[]
  ran: Uint8Array
  /** the score arrays of the scorers that ran, then `zero`; their weights, then 0 */
  arrays: Float64Array[]
  weights: Float64Array
  /** all zeros: pads sumAndPick's fixed six inputs */
  zero: Float64Array
  /** the node-local scorers that ran (fused path), and their summed scores per candidate */
  localPlugins: ScorePlugin[]
  local: Float64Array
}

const scratchOf = new WeakMap<Snapshot, Scratch>()

function scratch(s: Snapshot): Scratch {
  let x = scratchOf.get(s)
  if (!x) {
    const n = s.nodes.length
    const zero = new Float64Array(n)
    x = {cycle: new Cycle(s), cand: {idx: new Int32Array(n), n: 0}, total: new Float64Array(n), scores: scorers.map(() => new Float64Array(n)), ran: new Uint8Array(scorers.length), arrays: [zero, zero, zero, zero, zero, zero], weights: new Float64Array(6), zero, localPlugins: [], local: new Float64Array(n)}
    scratchOf.set(s, x)
  }
  return x
}

const templateCacheSize = 256

/** The static plugins' verdicts for this pod's template, computed on first use. */
function templateFor(s: Snapshot, cycle: Cycle, cand: Candidates): Template {
  const pod = cycle.pod
  // Kept on the pod's SpecParts: replicas share it, so it is built once per template.
  let key = pod.parts.templateKey
  if (key === undefined) pod.parts.templateKey = key = staticKeyed.map((p) => p.staticKey!(pod)).join('\u0001')
  const cached = s.templates.get(key)
  if (cached) return cached
  const n = s.nodes.length
  const reasons = new Map<number, number>()
  // Every field set up front, so all templates share one hidden class.
  const template: {key: string; feasible: Int32Array; reasons: Map<number, number>; reasonIds: Int32Array; reasonCounts: Int32Array; unschedulable: string | undefined; memo: Map<string, unknown>} = {
    key,
    feasible: new Int32Array(0),
    reasons,
    reasonIds: new Int32Array(0),
    reasonCounts: new Int32Array(0),
    unschedulable: undefined,
    memo: new Map(),
  }
  cycle.template = template
  for (let i = 0; i < n; i++) cand.idx[i] = i
  cand.n = n
  // All PreFilters before any Filter, as kube: a PreFilterResult narrows the nodes the filters see.
  const active = []
  for (const p of staticFilters) {
    const r: PreFilterResult = p.preFilter?.(cycle)
    if (r === 'skip') continue
    active.push(p)
    if (r === undefined) continue
    if ('unschedulable' in r) {
      template.unschedulable = r.unschedulable
      cand.n = 0
      break
    }
    // Look the few named nodes up rather than walking every node (DaemonSet pods name one each).
    const named = [...r.nodeNames].map((name) => s.nodeIndex(name)).filter((i): i is number => i !== undefined)
    const inCand = cand.n === n ? null : new Set(Array.from(cand.idx.subarray(0, cand.n)))
    const kept = Int32Array.from(new Set(named.filter((i) => !inCand || inCand.has(i)))).sort()
    const absent = cand.n - kept.length
    if (absent > 0) reasons.set(reasonId(`node(s) didn't satisfy plugin(s) [${p.name}]`), absent)
    cand.idx.set(kept)
    cand.n = kept.length
  }
  if (!template.unschedulable) {
    const before = cycle.touched.length
    for (const p of active) if (cand.n > 0) p.filter(cycle, cand)
    for (const r of cycle.touched.slice(before)) reasons.set(r, (reasons.get(r) ?? 0) + cycle.hist[r])
  }
  template.feasible = cand.idx.slice(0, cand.n)
  template.reasonIds = Int32Array.from(reasons.keys())
  template.reasonCounts = Int32Array.from(reasons.values())
  // Full: start over. (Evicting the oldest through Map.keys() walks the deleted slots V8 leaves at the front: quadratic.)
  if (s.templates.size >= templateCacheSize) s.templates.clear()
  s.templates.set(key, template)
  return template
}

function failure(nodeCount: number, cycle: Cycle, preFilterMessage?: string): ScheduleResult {
  if (preFilterMessage !== undefined) return {ok: false, message: `0/${nodeCount} nodes are available: ${preFilterMessage}.`, reasons: {[preFilterMessage]: nodeCount}}
  const entries = cycle.touched.map((r) => [reasonText(r), cycle.hist[r]] as const)
  // kube sorts the "<count> <reason>" strings, so "10 …" comes before "2 …".
  const parts = entries.map(([text, count]) => `${count} ${text}`).sort()
  const reasons = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return {ok: false, message: `0/${nodeCount} nodes are available: ${parts.join(', ')}.`, reasons}
}

/** Run the filters; returns a pod-wide PreFilter message when one says no node fits. */
function runFilters(s: Snapshot, x: Scratch, info: PodInfo): string | undefined {
  const {cycle, cand} = x
  cycle.reset(info)
  const t = templateFor(s, cycle, cand)
  cycle.template = t
  cycle.reset(info)
  if (t.unschedulable) return t.unschedulable
  for (let k = 0; k < t.reasonIds.length; k++) cycle.count(t.reasonIds[k], t.reasonCounts[k])
  cand.idx.set(t.feasible)
  cand.n = t.feasible.length
  if (cand.n === 0) return undefined
  for (const p of dynamicFilters) {
    const r = p.preFilter?.(cycle)
    if (r === 'skip') continue
    if (r !== undefined && 'unschedulable' in r) return r.unschedulable
    if (r !== undefined) {
      const names = r.nodeNames
      const absent = reasonId(`node(s) didn't satisfy plugin(s) [${p.name}]`)
      let k = 0
      for (let j = 0; j < cand.n; j++) {
        const i = cand.idx[j]
        if (names.has(s.nodes[i].name)) cand.idx[k++] = i
        else cycle.reject(absent)
      }
      cand.n = k
    }
    p.filter(cycle, cand)
    if (cand.n === 0) break
  }
  return undefined
}

/**
 * Run the scorers into x.scores; x.ran[k] says whether scorer k ran,
 * x.arrays/x.weights list the arrays to sum. With `fuseLocal` (schedulePod),
 * the scorers with `nodeLocal` that ran are summed into one per-node cache
 * and one array (x.local) instead of one pass each; their x.scores stay
 * unfilled (schedulePod asks `nodeLocal.value` for the chosen node).
 */
function runScorers(x: Scratch, fuseLocal: boolean): void {
  const {cycle, cand, ran, arrays, weights, localPlugins} = x
  let m = 0
  let localKey = ''
  localPlugins.length = 0
  for (let k = 0; k < scorers.length; k++) {
    const p = scorers[k]
    ran[k] = 0
    if (p.preScore && !p.preScore(cycle, cand)) continue
    ran[k] = 1
    if (fuseLocal && p.nodeLocal) {
      localPlugins.push(p)
      localKey += `${k}:${p.nodeLocal.key(cycle.pod)};`
      continue
    }
    const buf = x.scores[k]
    p.score(cycle, cand, buf)
    p.normalize?.(cycle, cand, buf)
    arrays[m] = buf
    weights[m++] = p.weight
  }
  if (localPlugins.length > 0) {
    sumLocal(x, localKey)
    arrays[m] = x.local
    weights[m++] = 1
  }
  // Pad with the zero array: sumAndPick always reads six inputs (one loop shape, no per-count variants).
  for (; m < arrays.length; m++) {
    arrays[m] = x.zero
    weights[m] = 0
  }
}

/**
 * x.local[j] = Σ weight × nodeLocal.value over x.localPlugins, from a cache
 * per node version: replicas recompute only the nodes that changed, and the
 * node-local scorers (Fit, BalancedAllocation) cost one pass, not one each.
 */
function sumLocal(x: Scratch, key: string): void {
  const {cycle, cand, localPlugins, local} = x
  const {ver, val} = cycle.cluster.nodeValues('schedule/local', key)
  const version = cycle.cluster.resources.version
  const idx = cand.idx
  for (let j = 0; j < cand.n; j++) {
    const i = idx[j]
    if (ver[i] !== version[i]) {
      let v = 0
      for (let q = 0; q < localPlugins.length; q++) v += localPlugins[q].weight * localPlugins[q].nodeLocal!.value(cycle, i)
      val[i] = v
      ver[i] = version[i]
    }
    local[j] = val[i]
  }
}

/**
 * total[j] = Σ weights[k] × arrays[k][j] for the six scorer slots, and the
 * winning candidate position, in one pass: highest total; among equal
 * totals the larger tieHash(pod, node) (computed only for ties with the
 * running best); candidates are in name order, so on equal hashes the
 * earlier one — the smaller name — stays. Scores are integers, so the order
 * of the additions does not matter.
 */
function sumAndPick(x: Scratch, podHash: number, nodes: readonly NodeInfo[]): number {
  const {total, arrays, weights, cand} = x
  const idx = cand.idx
  const n = cand.n
  const a0 = arrays[0], a1 = arrays[1], a2 = arrays[2], a3 = arrays[3], a4 = arrays[4], a5 = arrays[5]
  const w0 = weights[0], w1 = weights[1], w2 = weights[2], w3 = weights[3], w4 = weights[4], w5 = weights[5]
  let best = 0
  let bestTotal = -Infinity
  // -1: the best's tie hash is not computed yet (hashes are unsigned 32-bit)
  let bestTie = -1
  for (let j = 0; j < n; j++) {
    const t = a0[j] * w0 + a1[j] * w1 + a2[j] * w2 + a3[j] * w3 + a4[j] * w4 + a5[j] * w5
    total[j] = t
    if (t > bestTotal) {
      best = j
      bestTotal = t
      bestTie = -1
    } else if (t === bestTotal) {
      if (bestTie === -1) bestTie = tieHash(podHash, nodes[idx[best]].hash)
      const h = tieHash(podHash, nodes[idx[j]].hash)
      if (h > bestTie) {
        best = j
        bestTie = h
      }
    }
  }
  return best
}

/**
 * Choose a node for the pod, or say why none fits. Does not assume: call
 * `snapshot.assume(pod, result.node)` to make the next pod see this one.
 * The pod should not itself be bound or assumed in the snapshot (it would
 * count against itself in spreading and affinity), as in kube, which only
 * schedules unbound pods.
 */
export function schedulePod(snapshot: Snapshot, pod: KubeObject): ScheduleResult {
  const nodes = snapshot.nodes
  if (nodes.length === 0) return {ok: false, message: noNodes, reasons: {}}
  const x = scratch(snapshot)
  const info = snapshot.info(pod)
  const pre = runFilters(snapshot, x, info)
  const {cycle, cand} = x
  if (pre !== undefined) return failure(nodes.length, cycle, pre)
  if (cand.n === 0) return failure(nodes.length, cycle)
  // kube skips scoring when one node is left: there is nothing to compare.
  if (cand.n === 1) return {ok: true, node: nodes[cand.idx[0]].name, feasible: 1}
  runScorers(x, true)
  const best = sumAndPick(x, info.hash, nodes)
  const total = x.total
  const plugins: Record<string, number> = {}
  for (let k = 0; k < scorers.length; k++) {
    if (!x.ran[k]) continue
    const p = scorers[k]
    plugins[p.name] = (p.nodeLocal ? p.nodeLocal.value(cycle, cand.idx[best]) : x.scores[k][best]) * p.weight
  }
  return {ok: true, node: nodes[cand.idx[best]].name, scores: {total: total[best], plugins}, feasible: cand.n}
}

/** One node's verdict for a pod, as `explain` reports it. */
export interface NodeVerdict {
  fits: boolean
  /** the filter that rejected the node, and its reasons */
  plugin?: string
  reasons?: string[]
  /** for a node that fits: normalised score × weight per plugin, and the total */
  scores?: Record<string, number>
  total?: number
}

/**
 * Every node's verdict for a pod, for `tsctl describe`, the DaemonSet
 * controller and tests: which plugin rejected each node and why, and the
 * score breakdown of the nodes that fit. PreFilters run once; Filters run
 * one node at a time (O(nodes × filters)); the chosen node is
 * schedulePod's.
 */
export function explain(snapshot: Snapshot, pod: KubeObject): {nodes: Record<string, NodeVerdict>; result: ScheduleResult} {
  const result = schedulePod(snapshot, pod)
  const x = scratch(snapshot)
  const info = snapshot.info(pod)
  const out: Record<string, NodeVerdict> = {}
  const {cycle, cand} = x
  cycle.reset(info)
  const template = templateFor(snapshot, cycle, cand)
  cycle.reset(info)
  cycle.template = template
  const filters = [...staticFilters, ...dynamicFilters]
  const pre = new Map<FilterPlugin, PreFilterResult>()
  for (const p of filters) {
    const r = p.preFilter?.(cycle)
    pre.set(p, r)
    if (r !== undefined && r !== 'skip' && 'unschedulable' in r) {
      for (const n of snapshot.nodes) out[n.name] = {fits: false, plugin: p.name, reasons: [r.unschedulable]}
      return {nodes: out, result}
    }
  }
  for (const n of snapshot.nodes) {
    const verdict: NodeVerdict = {fits: true}
    for (const p of filters) {
      const r = pre.get(p)
      if (r === 'skip') continue
      if (r !== undefined && 'nodeNames' in r && !r.nodeNames.has(n.name)) {
        Object.assign(verdict, {fits: false, plugin: p.name, reasons: [`node(s) didn't satisfy plugin(s) [${p.name}]`]})
        break
      }
      const reasons: string[] = []
      cycle.onReject = (reason) => reasons.push(reasonText(reason))
      cand.idx[0] = n.index
      cand.n = 1
      p.filter(cycle, cand)
      cycle.onReject = undefined
      if (cand.n === 0) {
        Object.assign(verdict, {fits: false, plugin: p.name, reasons})
        break
      }
    }
    out[n.name] = verdict
  }
  if (runFilters(snapshot, x, info) === undefined && cand.n > 0) {
    runScorers(x, false)
    sumAndPick(x, info.hash, snapshot.nodes)
    for (let j = 0; j < cand.n; j++) {
      const scores: Record<string, number> = {}
      scorers.forEach((p, k) => {
        if (x.ran[k]) scores[p.name] = x.scores[k][j] * p.weight
      })
      Object.assign(out[snapshot.nodes[cand.idx[j]].name], {scores, total: x.total[j]})
    }
  }
  return {nodes: out, result}
}
