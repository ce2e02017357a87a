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
import type {CycleState, Candidates, FilterPlugin, PreFilterResult, ScorePlugin} from '../framework.js'
import type {PodCounter, TopologyIndex} from '../cluster-view.js'
import type {PodInfo, SpreadConstraint} from '../types.js'
import {MaxNodeScore} from '../framework.js'
import {reasonId} from '../reasons.js'
import {LabelHostname, LabelZone, ownerBucket} from '../pod-info.js'
import {Selector} from '../selector.js'
import {requiredNodeAffinity} from './node-affinity.js'
import {toleratesNode} from './taint-toleration.js'

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

/** One scored constraint, ready for the per-node loop: its raw value on node i is (count × w + base) where the node has the key, else 0. */
interface ScoreTerm {
  has: Uint8Array
  domainOf: Int32Array
  /** per node (hostname: the counter's own array) or per domain */
  counts: Int32Array
  byNode: boolean
  w: number
  base: number
}

interface ScoreState {
  terms: ScoreTerm[]
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
  let aff = false
  let taints = false
  for (let k = 0; k < cs.length; k++) {
    aff ||= cs[k].c.honorNodeAffinity
    taints ||= cs[k].c.honorNodeTaints
  }
  return {aff: aff ? requiredNodeAffinity(cycle) : undefined, taints: taints ? toleratesNode(cycle) : undefined}
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
    // pod.spread has one entry per spec constraint; read it, not the spec: spec objects come in many
    // shapes, and a read of them here would make this per-pod function polymorphic (deopts).
    const explicit = pod.spread.length > 0
    const soft = explicit ? pod.spread.filter((c) => !c.hard) : defaultConstraints(pod)
    if (soft.length === 0) return false
    // Only user constraints require every key; the system defaults let zone-less nodes still spread by host.
    const requireAll = explicit
    // The system defaults all count the owner's pods: one counter lookup serves both.
    const owned = explicit ? undefined : counterFor(cycle, soft[0], pod.spreadOwner)
    const cs: Constraint[] = []
    for (const c of soft) cs.push({c, topo: cycle.cluster.topology(c.topologyKey), counter: owned ?? counterFor(cycle, c)})
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
    const terms: ScoreTerm[] = []
    for (const x of cs) {
      const {has, domainOf} = x.topo
      const base = x.c.maxSkew - 1
      if (x.c.topologyKey === LabelHostname) {
        terms.push({has, domainOf, counts: x.counter.perNode, byNode: true, w: Math.log(live + 2), base})
        continue
      }
      // Domains among the scored nodes (a node without the label is in domain ""), for the weight; the counts are over all
      // nodes that count (score reads only the scored nodes' domains, so other domains' counts never matter).
      const inCand = new Uint8Array(x.topo.values.length)
      let size = 0
      for (let j = 0; j < cand.n; j++) {
        if (ignored && ignored[j]) continue
        const d = domainOf[cand.idx[j]]
        if (inCand[d] === 0) {
          inCand[d] = 1
          size++
        }
      }
      const c = domainCounts(x, m, cs, requireAll)
      terms.push({has, domainOf, counts: c, byNode: false, w: Math.log(size + 2), base})
    }
    cycle.data.set('PodTopologySpread/score', {terms, ignored, min: 0, max: 0} satisfies ScoreState)
    return true
  },
  score(cycle: CycleState, cand: Candidates, out: Float64Array) {
    const s = cycle.data.get('PodTopologySpread/score') as ScoreState
    const idx = cand.idx
    const n = cand.n
    const terms = s.terms
    const ignored = s.ignored
    let min = Infinity
    let max = 0
    // One pass over the nodes for all constraints (usually two: hostname and zone), adding their
    // values in constraint order as kube does, then rounding; min and max over the scored nodes
    // are noted for normalize.
    for (let j = 0; j < n; j++) {
      if (ignored !== null && ignored[j] === 1) {
        out[j] = -1
        continue
      }
      const i = idx[j]
      let sum = 0
      for (let k = 0; k < terms.length; k++) {
        const t = terms[k]
        if (t.has[i] === 1) sum += (t.byNode ? t.counts[i] : t.counts[t.domainOf[i]]) * t.w + t.base
      }
      sum = Math.round(sum)
      if (sum < min) min = sum
      if (sum > max) max = sum
      out[j] = sum
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
