/**
 * PodTopologySpread (kube `plugins/podtopologyspread`, weight 2).
 *
 * Filter (DoNotSchedule constraints): placing the pod in a node's domain
 * must keep `matching pods there + self − global minimum <= maxSkew`; the
 * minimum counts as 0 while fewer than `minDomains` domains exist. Nodes
 * without the topology label are rejected.
 *
 * Score (ScheduleAnyway constraints, or kube's system defaults for pods owned
 * by a ReplicaSet/StatefulSet when the pod has no constraints: maxSkew 3 on
 * hostname and 5 on zone): fewer matching pods in the node's domain is
 * better, each constraint weighted by log(domains + 2), normalised as kube
 * does.
 *
 * Counts come from snapshot counters kept current on assume/forget, so a
 * pod costs O(nodes) per constraint, never O(pods).
 */
import type {CycleState, Candidates, FilterPlugin, PodCounter, PodInfo, PreFilterResult, ScorePlugin, SpreadConstraint, TopologyIndex} from '../framework.js'
import {MaxNodeScore, reasonId} from '../framework.js'
import {LabelHostname, LabelZone, ownerBucket} from '../podInfo.js'
import {Selector} from '../selector.js'
import {requiredNodeAffinity} from './nodeAffinity.js'
import {toleratesNode} from './taintToleration.js'

export const ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
export const ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + ' (missing required label)'
const reasonSkew = reasonId(ErrReasonConstraintsNotMatch)
const reasonLabel = reasonId(ErrReasonNodeLabelNotMatch)

interface Constraint {
  c: SpreadConstraint
  topo: TopologyIndex
  counter: PodCounter
}

interface FilterState {
  cs: Constraint[]
  /** matching pods per domain, per constraint */
  counts: Int32Array[]
  /** global minimum per constraint */
  min: number[]
  self: number[]
}

interface ScoreState {
  cs: Constraint[]
  counts: Int32Array[]
  weight: number[]
  /** 1 at candidate positions whose node lacks a required key; null when none does */
  ignored: Uint8Array | null
  /** over the scored nodes, set by score */
  min: number
  max: number
}

function counterFor(cycle: CycleState, c: SpreadConstraint, owner?: string): PodCounter {
  const ns = cycle.pod.namespace
  if (owner !== undefined) return cycle.cluster.counter(`spread-owner|${ns}|${owner}`, ownerBucket(owner), (p: PodInfo) => p.spreadOwner === owner && p.namespace === ns)
  const sel = c.selector
  return cycle.cluster.counter(`spread|${ns}|${sel.key}`, sel.bucket, (p: PodInfo) => p.namespace === ns && sel.matches(p.labels))
}

const systemDefaults: readonly SpreadConstraint[] = [
  {hard: false, selector: Selector.everything, minDomains: 1, honorNodeAffinity: true, honorNodeTaints: false, maxSkew: 3, topologyKey: LabelHostname},
  {hard: false, selector: Selector.everything, minDomains: 1, honorNodeAffinity: true, honorNodeTaints: false, maxSkew: 5, topologyKey: LabelZone},
]

/** kube's system default constraints, counting the pods of the same owner (DefaultSelector), for pods that set none. */
function defaultConstraints(pod: PodInfo): readonly SpreadConstraint[] {
  return pod.spreadOwner ? systemDefaults : []
}

/** Which nodes count toward a constraint's domains: kube's nodeAffinityPolicy / nodeTaintsPolicy. */
function masks(cycle: CycleState, cs: readonly Constraint[]): {aff?: Uint8Array; taints?: Uint8Array} {
  return {
    aff: cs.some((x) => x.c.honorNodeAffinity) ? requiredNodeAffinity(cycle) : undefined,
    taints: cs.some((x) => x.c.honorNodeTaints) ? toleratesNode(cycle) : undefined,
  }
}

function hasAllKeys(cs: readonly Constraint[], i: number): boolean {
  for (let k = 0; k < cs.length; k++) if (cs[k].topo.has[i] === 0) return false
  return true
}

/**
 * Matching pods per domain of constraint k, over the nodes that count
 * (policies, and all keys present when `requireAll`). Visits only the nodes
 * holding matching pods.
 */
function domainCounts(x: Constraint, m: {aff?: Uint8Array; taints?: Uint8Array}, cs: readonly Constraint[], requireAll: boolean): Int32Array {
  const counts = new Int32Array(x.topo.values.length)
  const {perNode, nodes, size} = x.counter
  const {domainOf} = x.topo
  const aff = x.c.honorNodeAffinity ? m.aff : undefined
  const taints = x.c.honorNodeTaints ? m.taints : undefined
  for (let q = 0; q < size; q++) {
    const i = nodes[q]
    if ((aff && aff[i] === 0) || (taints && taints[i] === 0) || (requireAll && !hasAllKeys(cs, i))) continue
    counts[domainOf[i]] += perNode[i]
  }
  return counts
}

export const PodTopologySpread: FilterPlugin & ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  preFilter(cycle: CycleState): PreFilterResult {
    const hard = cycle.pod.spread.filter((c) => c.hard)
    if (hard.length === 0) return 'skip'
    const cs: Constraint[] = hard.map((c) => ({c, topo: cycle.cluster.topology(c.topologyKey), counter: counterFor(cycle, c)}))
    const m = masks(cycle, cs)
    const counts = cs.map((x) => domainCounts(x, m, cs, true))
    // The global minimum is over every eligible domain, empty ones included. Which domains are
    // eligible depends only on the template and the nodes, so it is computed once per template.
    const keys = cs.map((x) => x.topo.key).join('\u0001')
    const min = cs.map((x, k) => {
      const memoKey = `PodTopologySpread/domains|${keys}|${k}|${x.c.honorNodeAffinity}|${x.c.honorNodeTaints}`
      let domains = cycle.template.memo.get(memoKey) as Int32Array | undefined
      if (!domains) {
        const present = new Uint8Array(x.topo.values.length)
        const aff = x.c.honorNodeAffinity ? m.aff : undefined
        const taints = x.c.honorNodeTaints ? m.taints : undefined
        const n = cycle.cluster.nodes.length
        for (let i = 0; i < n; i++) if (!((aff && aff[i] === 0) || (taints && taints[i] === 0) || !hasAllKeys(cs, i))) present[x.topo.domainOf[i]] = 1
        domains = Int32Array.from([...present.keys()].filter((d) => present[d] === 1))
        cycle.template.memo.set(memoKey, domains)
      }
      let low = 2 ** 31 - 1
      for (const d of domains) if (counts[k][d] < low) low = counts[k][d]
      return domains.length < x.c.minDomains ? 0 : low
    })
    const self = cs.map((x) => (x.c.selector.matches(cycle.pod.labels) ? 1 : 0))
    cycle.data.set('PodTopologySpread/filter', {cs, counts, min, self} satisfies FilterState)
    return undefined
  },
  filter(cycle: CycleState, cand: Candidates) {
    const s = cycle.data.get('PodTopologySpread/filter') as FilterState
    const idx = cand.idx
    let kept = 0
    for (let j = 0; j < cand.n; j++) {
      const i = idx[j]
      let reason = 0
      for (let k = 0; k < s.cs.length; k++) {
        const {c, topo} = s.cs[k]
        if (topo.has[i] === 0) {
          reason = reasonLabel
          break
        }
        if (s.counts[k][topo.domainOf[i]] + s.self[k] - s.min[k] > c.maxSkew) {
          reason = reasonSkew
          break
        }
      }
      if (reason) cycle.reject(reason)
      else idx[kept++] = i
    }
    cand.n = kept
  },
  preScore(cycle: CycleState, cand: Candidates): boolean {
    const pod = cycle.pod
    const explicit = (pod.spec.topologySpreadConstraints?.length ?? 0) > 0
    const soft = explicit ? pod.spread.filter((c) => !c.hard) : defaultConstraints(pod)
    if (soft.length === 0) return false
    // Only user constraints require every key; the system defaults let zone-less nodes still spread by host.
    const requireAll = explicit
    const cs: Constraint[] = soft.map((c) => ({c, topo: cycle.cluster.topology(c.topologyKey), counter: counterFor(cycle, c, explicit ? undefined : pod.spreadOwner)}))
    let ignored: Uint8Array | null = null
    let live = cand.n
    if (requireAll)
      for (let j = 0; j < cand.n; j++)
        if (!hasAllKeys(cs, cand.idx[j])) {
          ignored ??= new Uint8Array(cand.n)
          ignored[j] = 1
          live--
        }
    const m = masks(cycle, cs)
    const weight: number[] = []
    const counts: Int32Array[] = []
    for (const x of cs) {
      if (x.c.topologyKey === LabelHostname) {
        weight.push(Math.log(live + 2))
        counts.push(new Int32Array(0))
        continue
      }
      // Domains among the scored nodes (a node without the label is in domain ""), and their counts over all nodes that count.
      const inCand = new Uint8Array(x.topo.values.length)
      let size = 0
      const {domainOf} = x.topo
      for (let j = 0; j < cand.n; j++) {
        if (ignored && ignored[j]) continue
        const d = domainOf[cand.idx[j]]
        if (inCand[d] === 0) {
          inCand[d] = 1
          size++
        }
      }
      weight.push(Math.log(size + 2))
      const c = domainCounts(x, m, cs, requireAll)
      for (let d = 0; d < c.length; d++) if (inCand[d] === 0) c[d] = 0
      counts.push(c)
    }
    cycle.data.set('PodTopologySpread/score', {cs, counts, weight, ignored, min: 0, max: 0} satisfies ScoreState)
    return true
  },
  score(cycle: CycleState, cand: Candidates, out: Float64Array) {
    const s = cycle.data.get('PodTopologySpread/score') as ScoreState
    const idx = cand.idx
    const n = cand.n
    const last = s.cs.length - 1
    const ignored = s.ignored
    let min = Infinity
    let max = 0
    // One pass per constraint, each on a few typed arrays; the first assigns, the last also rounds
    // and notes min and max over the scored nodes for normalize.
    for (let k = 0; k <= last; k++) {
      const {c, topo, counter} = s.cs[k]
      const {has, domainOf} = topo
      const w = s.weight[k]
      const base = c.maxSkew - 1
      const counts = c.topologyKey === LabelHostname ? counter.perNode : s.counts[k]
      const byNode = c.topologyKey === LabelHostname
      for (let j = 0; j < n; j++) {
        const i = idx[j]
        const v = has[i] ? (byNode ? counts[i] : counts[domainOf[i]]) * w + base : 0
        let sum = k === 0 ? v : out[j] + v
        if (k === last) {
          if (ignored && ignored[j]) sum = -1
          else {
            sum = Math.round(sum)
            if (sum < min) min = sum
            if (sum > max) max = sum
          }
        }
        out[j] = sum
      }
    }
    s.min = min
    s.max = max
  },
  normalize(cycle: CycleState, cand: Candidates, scores: Float64Array) {
    const s = cycle.data.get('PodTopologySpread/score') as ScoreState
    const {min, max, ignored} = s
    for (let j = 0; j < cand.n; j++) {
      if (ignored && ignored[j]) scores[j] = 0
      else if (max === 0) scores[j] = MaxNodeScore
      else scores[j] = Math.trunc((MaxNodeScore * (max + min - scores[j])) / max)
    }
  },
}
