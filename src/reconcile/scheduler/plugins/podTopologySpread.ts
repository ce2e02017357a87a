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
  /** 1 at candidate positions whose node lacks a required key */
  ignored: Uint8Array
}

function counterFor(cycle: CycleState, c: SpreadConstraint, owner?: string): PodCounter {
  const ns = cycle.pod.namespace
  if (owner !== undefined) return cycle.cluster.counter(`spread-owner|${ns}|${owner}`, ownerBucket(owner), (p: PodInfo) => p.spreadOwner === owner && p.namespace === ns)
  const sel = c.selector
  return cycle.cluster.counter(`spread|${ns}|${sel.key}`, sel.bucket, (p: PodInfo) => p.namespace === ns && sel.matches(p.labels))
}

/** kube's system default constraints, with the pod's owner as the selector (DefaultSelector). */
function defaultConstraints(pod: PodInfo): SpreadConstraint[] {
  if (!pod.spreadOwner) return []
  const base = {hard: false, selector: Selector.everything, minDomains: 1, honorNodeAffinity: true, honorNodeTaints: false}
  return [
    {...base, maxSkew: 3, topologyKey: LabelHostname},
    {...base, maxSkew: 5, topologyKey: LabelZone},
  ]
}

function eligible(cycle: CycleState, cs: readonly Constraint[]): (i: number, c: SpreadConstraint) => boolean {
  const aff = cs.some((x) => x.c.honorNodeAffinity) ? requiredNodeAffinity(cycle) : undefined
  const taints = cs.some((x) => x.c.honorNodeTaints) ? toleratesNode(cycle) : undefined
  return (i, c) => (!c.honorNodeAffinity || aff![i] === 1) && (!c.honorNodeTaints || taints![i] === 1)
}

function hasAllKeys(cs: readonly Constraint[], i: number): boolean {
  for (const x of cs) if (x.topo.has[i] === 0) return false
  return true
}

export const PodTopologySpread: FilterPlugin & ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  preFilter(cycle: CycleState): PreFilterResult {
    const hard = cycle.pod.spread.filter((c) => c.hard)
    if (hard.length === 0) return 'skip'
    const cs: Constraint[] = hard.map((c) => ({c, topo: cycle.cluster.topology(c.topologyKey), counter: counterFor(cycle, c)}))
    const ok = eligible(cycle, cs)
    const counts = cs.map((x) => new Int32Array(x.topo.values.length))
    const present = cs.map((x) => new Uint8Array(x.topo.values.length))
    const n = cycle.cluster.nodes.length
    for (let i = 0; i < n; i++) {
      if (!hasAllKeys(cs, i)) continue
      for (let k = 0; k < cs.length; k++) {
        if (!ok(i, cs[k].c)) continue
        const d = cs[k].topo.domainOf[i]
        counts[k][d] += cs[k].counter.perNode[i]
        present[k][d] = 1
      }
    }
    const min = cs.map((x, k) => {
      let m = 2 ** 31 - 1
      let domains = 0
      for (let d = 0; d < present[k].length; d++)
        if (present[k][d]) {
          domains++
          if (counts[k][d] < m) m = counts[k][d]
        }
      return domains < x.c.minDomains ? 0 : m
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
    const requireAll = explicit
    const cs: Constraint[] = soft.map((c) => ({c, topo: cycle.cluster.topology(c.topologyKey), counter: counterFor(cycle, c, explicit ? undefined : pod.spreadOwner)}))
    const ignored = new Uint8Array(cand.n)
    let live = 0
    const inCand = cs.map((x) => new Uint8Array(x.topo.values.length))
    const sizes = cs.map(() => 0)
    for (let j = 0; j < cand.n; j++) {
      const i = cand.idx[j]
      if (requireAll && !hasAllKeys(cs, i)) {
        ignored[j] = 1
        continue
      }
      live++
      for (let k = 0; k < cs.length; k++) {
        const d = cs[k].topo.domainOf[i]
        if (!inCand[k][d]) {
          inCand[k][d] = 1
          sizes[k]++
        }
      }
    }
    const weight = cs.map((x, k) => Math.log((x.c.topologyKey === LabelHostname ? live : sizes[k]) + 2))
    const counts = cs.map((x) => new Int32Array(x.c.topologyKey === LabelHostname ? 0 : x.topo.values.length))
    const ok = eligible(cycle, cs)
    const n = cycle.cluster.nodes.length
    for (let i = 0; i < n; i++) {
      if (requireAll && !hasAllKeys(cs, i)) continue
      for (let k = 0; k < cs.length; k++) {
        const x = cs[k]
        if (x.c.topologyKey === LabelHostname || !ok(i, x.c)) continue
        const d = x.topo.domainOf[i]
        if (inCand[k][d]) counts[k][d] += x.counter.perNode[i]
      }
    }
    cycle.data.set('PodTopologySpread/score', {cs, counts, weight, ignored} satisfies ScoreState)
    return true
  },
  score(cycle: CycleState, cand: Candidates, out: Float64Array) {
    const s = cycle.data.get('PodTopologySpread/score') as ScoreState
    for (let j = 0; j < cand.n; j++) {
      if (s.ignored[j]) {
        out[j] = -1
        continue
      }
      const i = cand.idx[j]
      let score = 0
      for (let k = 0; k < s.cs.length; k++) {
        const {c, topo, counter} = s.cs[k]
        if (topo.has[i] === 0) continue
        const cnt = c.topologyKey === LabelHostname ? counter.perNode[i] : s.counts[k][topo.domainOf[i]]
        score += cnt * s.weight[k] + (c.maxSkew - 1)
      }
      out[j] = Math.round(score)
    }
  },
  normalize(cycle: CycleState, cand: Candidates, scores: Float64Array) {
    const s = cycle.data.get('PodTopologySpread/score') as ScoreState
    let min = Infinity
    let max = 0
    for (let j = 0; j < cand.n; j++) {
      if (s.ignored[j]) continue
      if (scores[j] < min) min = scores[j]
      if (scores[j] > max) max = scores[j]
    }
    for (let j = 0; j < cand.n; j++) {
      if (s.ignored[j]) scores[j] = 0
      else if (max === 0) scores[j] = MaxNodeScore
      else scores[j] = Math.trunc((MaxNodeScore * (max + min - scores[j])) / max)
    }
  },
}
