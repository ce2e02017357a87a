/**
 * InterPodAffinity (kube `plugins/interpodaffinity`, weight 2).
 *
 * Filter, in kube's order: the pod's required affinity (every term needs a
 * matching pod in the node's domain — unless no pod anywhere matches and the
 * pod matches its own terms, so the first replica of a self-affine group can
 * land); the pod's required anti-affinity (no matching pod in the domain);
 * and the bound pods' required anti-affinity against this pod (symmetry).
 *
 * Score: + weight per matching pod in the domain for preferred affinity,
 * − for preferred anti-affinity, and the same for bound pods' preferred
 * terms that match this pod (their required affinity counts with
 * HardPodAffinityWeight 1); normalised min..max onto 0..100.
 *
 * Both sides read snapshot indexes: counters of pods matching the pod's
 * terms, and the terms bound pods carry, each with per-node counts.
 */
import type {AffinityTerm} from '../types.js'
import type {CycleState, Candidates, FilterPlugin, PreFilterResult, ScorePlugin} from '../framework.js'
import type {ExistingTerm, ExistingTermKind, NodeCounts, PodCounter, TopologyIndex} from '../cluster-view.js'
import {MaxNodeScore} from '../framework.js'
import {reasonId} from '../reasons.js'
import {termMatches} from '../pod-info.js'

export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules"
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules"
const reasonExisting = reasonId(ErrReasonExistingAntiAffinityRulesNotMatch)
const reasonAffinity = reasonId(ErrReasonAffinityRulesNotMatch)
const reasonAnti = reasonId(ErrReasonAntiAffinityRulesNotMatch)

/** Domains of one topology key that hold a matching pod. */
interface Marked {
  topo: TopologyIndex
  domains: Uint8Array
}

interface FilterState {
  /** per required affinity term: matching pods per domain */
  affinity: {topo: TopologyIndex; counts: Int32Array}[]
  /** no pod matching all affinity terms sits on a node with any of their keys */
  affinityEmpty: boolean
  selfMatch: boolean
  anti: Marked[]
  existing: Marked[]
}

function termCounter(cycle: CycleState, t: AffinityTerm): PodCounter {
  return cycle.cluster.counter(`term|${t.matchKey}`, t.selector.bucket, (p) => termMatches(t, p))
}

/** Mark, per topology key, the domains of nodes where the count is not zero (merging terms that share a key, as kube's pair map does). */
function mark(cycle: CycleState, byKey: Map<string, Marked>, key: string, c: NodeCounts): void {
  let m = byKey.get(key)
  if (!m) {
    const topo = cycle.cluster.topology(key)
    byKey.set(key, (m = {topo, domains: new Uint8Array(topo.values.length)}))
  }
  const {has, domainOf} = m.topo
  for (let q = 0; q < c.size; q++) {
    const i = c.nodes[q]
    if (has[i]) m.domains[domainOf[i]] = 1
  }
}

function inMarked(marked: Marked[], i: number): boolean {
  for (const m of marked) if (m.topo.has[i] && m.domains[m.topo.domainOf[i]]) return true
  return false
}

interface ScoreState {
  /** per topology key: summed weights per domain */
  sums: {topo: TopologyIndex; sum: Float64Array}[]
  min: number
  max: number
}

const scoredKinds: [ExistingTermKind, number][] = [
  ['preferredAffinity', 1],
  ['requiredAffinity', 1],
  ['preferredAnti', -1],
]

/** Does any bound pod carry a scored term that may select this pod (bucket hit; the match is checked later)? */
function carriesScoredTerms(cycle: CycleState): boolean {
  for (const [kind] of scoredKinds) if (cycle.cluster.existingTerms.candidates(kind, cycle.pod).length > 0) return true
  return false
}

export const InterPodAffinity: FilterPlugin & ScorePlugin = {
  name: 'InterPodAffinity',
  weight: 2,
  preFilter(cycle: CycleState): PreFilterResult {
    const pod = cycle.pod
    // Most pods carry no terms and meet none: say so before allocating anything.
    const carried = cycle.cluster.existingTerms.candidates('requiredAnti', pod)
    if (carried.length === 0 && pod.requiredAffinity.length === 0 && pod.requiredAntiAffinity.length === 0) return 'skip'
    const existing = new Map<string, Marked>()
    for (const t of carried) if (termMatches(t.term, pod)) mark(cycle, existing, t.term.topologyKey, t)
    const affinity: FilterState['affinity'] = []
    let affinityEmpty = true
    let selfMatch = false
    const terms = pod.requiredAffinity
    if (terms.length > 0) {
      // kube counts pods that match ALL the terms, once per term's topology pair.
      const all = cycle.cluster.counter(`all|${terms.map((t) => t.matchKey).join('&')}`, terms[0].selector.bucket, (p) => terms.every((t) => termMatches(t, p)))
      for (const t of terms) {
        const topo = cycle.cluster.topology(t.topologyKey)
        const counts = new Int32Array(topo.values.length)
        for (let q = 0; q < all.size; q++) {
          const i = all.nodes[q]
          if (topo.has[i]) {
            counts[topo.domainOf[i]] += all.perNode[i]
            affinityEmpty = false
          }
        }
        affinity.push({topo, counts})
      }
      selfMatch = terms.every((t) => termMatches(t, pod))
    }
    const anti = new Map<string, Marked>()
    for (const t of pod.requiredAntiAffinity) mark(cycle, anti, t.topologyKey, termCounter(cycle, t))
    if (existing.size === 0 && terms.length === 0 && pod.requiredAntiAffinity.length === 0) return 'skip'
    cycle.data.set('InterPodAffinity/filter', {affinity, affinityEmpty, selfMatch, anti: [...anti.values()], existing: [...existing.values()]} satisfies FilterState)
    return undefined
  },
  filter(cycle: CycleState, cand: Candidates) {
    const s = cycle.data.get('InterPodAffinity/filter') as FilterState
    const idx = cand.idx
    let kept = 0
    for (let j = 0; j < cand.n; j++) {
      const i = idx[j]
      let reason = 0
      if (s.affinity.length > 0) {
        let podsExist = true
        for (const a of s.affinity) {
          if (!a.topo.has[i]) {
            reason = reasonAffinity
            break
          }
          if (a.counts[a.topo.domainOf[i]] <= 0) podsExist = false
        }
        if (!reason && !podsExist && !(s.affinityEmpty && s.selfMatch)) reason = reasonAffinity
      }
      if (!reason && inMarked(s.anti, i)) reason = reasonAnti
      if (!reason && inMarked(s.existing, i)) reason = reasonExisting
      if (reason) cycle.reject(reason)
      else idx[kept++] = i
    }
    cand.n = kept
  },
  preScore(cycle: CycleState): boolean {
    const pod = cycle.pod
    if (pod.preferredAffinity.length === 0 && pod.preferredAntiAffinity.length === 0 && !carriesScoredTerms(cycle)) return false
    const scores = new Map<string, {topo: TopologyIndex; sum: Float64Array}>()
    const add = (key: string, c: NodeCounts, w: number) => {
      let e = scores.get(key)
      if (!e) {
        const topo = cycle.cluster.topology(key)
        scores.set(key, (e = {topo, sum: new Float64Array(topo.values.length)}))
      }
      const {has, domainOf} = e.topo
      for (let q = 0; q < c.size; q++) {
        const i = c.nodes[q]
        if (has[i]) e.sum[domainOf[i]] += w * c.perNode[i]
      }
    }
    for (const t of pod.preferredAffinity) add(t.topologyKey, termCounter(cycle, t), t.weight)
    for (const t of pod.preferredAntiAffinity) add(t.topologyKey, termCounter(cycle, t), -t.weight)
    for (const [kind, sign] of scoredKinds)
      cycle.cluster.existingTerms.forEachCandidate(kind, pod, (t) => {
        if (termMatches(t.term, pod)) add(t.term.topologyKey, t, sign * t.weight)
      })
    if (scores.size === 0) return false
    cycle.data.set('InterPodAffinity/score', {sums: [...scores.values()], min: 0, max: 0} satisfies ScoreState)
    return true
  },
  score(cycle: CycleState, cand: Candidates, out: Float64Array) {
    const s = cycle.data.get('InterPodAffinity/score') as ScoreState
    let min = 0
    let max = 0
    for (let j = 0; j < cand.n; j++) {
      const i = cand.idx[j]
      let v = 0
      for (const e of s.sums) if (e.topo.has[i]) v += e.sum[e.topo.domainOf[i]]
      out[j] = v
      if (v > max) max = v
      if (v < min) min = v
    }
    s.min = min
    s.max = max
  },
  normalize(cycle: CycleState, cand: Candidates, scores: Float64Array) {
    // kube starts min and max at 0, so a node with no matching pods anchors the scale.
    const {min, max} = cycle.data.get('InterPodAffinity/score') as ScoreState
    const diff = max - min
    for (let j = 0; j < cand.n; j++) scores[j] = diff > 0 ? Math.trunc(MaxNodeScore * ((scores[j] - min) / diff)) : 0
  },
}
