/**
 * NodeAffinity (kube `plugins/nodeaffinity`, weight 2): `spec.nodeSelector`
 * and required node affinity filter; preferred terms score (sum of the
 * weights of the terms a node matches, normalised so the best is 100).
 * PreFilter narrows the candidates to the nodes named by `matchFields
 * metadata.name` when every term names some (how DaemonSet pods pin
 * themselves), as kube's PreFilterResult does.
 */
import type {CycleState, Candidates, FilterPlugin, PreFilterResult, ScorePlugin} from '../framework.js'
import type {NodeInfo, PodInfo} from '../types.js'
import {defaultNormalize, keepIf} from '../plugin-helpers.js'
import {reasonId} from '../reasons.js'
import {stableJSON} from '../pod-info.js'
import {NodeTerm, Selector, anyTermMatches} from '../selector.js'

export const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector"
export const ErrReasonConflict = 'pod affinity terms conflict'
const reason = reasonId(ErrReasonPod)

interface Required {
  selector: Selector
  terms: NodeTerm[] | undefined
}

/** nodeSelector and required terms, compiled once per template. */
function compiled(cycle: CycleState): Required {
  const memo = cycle.template.memo
  let r = memo.get('NodeAffinity/compiled') as Required | undefined
  if (!r) {
    const spec = cycle.pod.spec
    const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
    r = {selector: Selector.fromMap(spec.nodeSelector), terms: terms ? terms.map((t) => new NodeTerm(t)) : undefined}
    memo.set('NodeAffinity/compiled', r)
  }
  return r
}

function matches(r: Required, n: NodeInfo): boolean {
  return r.selector.matches(n.labels) && (!r.terms || anyTermMatches(r.terms, n.labels, n.name))
}

/** 1 where the node satisfies nodeSelector and required node affinity (kube's `GetRequiredNodeAffinity(pod).Match`), for every node. */
export function requiredNodeAffinity(cycle: CycleState): Uint8Array {
  const memo = cycle.template.memo
  let ok = memo.get('NodeAffinity/required') as Uint8Array | undefined
  if (!ok) {
    const r = compiled(cycle)
    const nodes = cycle.cluster.nodes
    ok = new Uint8Array(nodes.length)
    for (const n of nodes) ok[n.index] = matches(r, n) ? 1 : 0
    memo.set('NodeAffinity/required', ok)
  }
  return ok
}

function preferred(pod: PodInfo) {
  return pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
}

export const NodeAffinity: FilterPlugin & ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  staticKey: (pod) => `${stableJSON(pod.spec.nodeSelector)}|${stableJSON(pod.spec.affinity?.nodeAffinity)}`,
  preFilter(cycle: CycleState): PreFilterResult {
    const terms = cycle.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
    if (!terms || terms.length === 0) return undefined
    let names: Set<string> | undefined
    for (const t of terms) {
      let termNames: Set<string> | undefined
      for (const r of t.matchFields ?? [])
        if (r.key === 'metadata.name' && r.operator === 'In') {
          const s = new Set(r.values ?? [])
          termNames = termNames ? new Set([...termNames].filter((x) => s.has(x))) : s
        }
      // A term without a name field admits every node: the terms are ORed.
      if (!termNames) return undefined
      names = names ? new Set([...names, ...termNames]) : termNames
    }
    if (names && names.size === 0) return {unschedulable: ErrReasonConflict}
    return names ? {nodeNames: names} : undefined
  },
  filter(cycle: CycleState, cand: Candidates) {
    // Only the candidates: after a PreFilterResult that may be one node of thousands.
    const r = compiled(cycle)
    const nodes = cycle.cluster.nodes
    keepIf(cycle, cand, reason, (i) => matches(r, nodes[i]))
  },
  preScore(cycle: CycleState): boolean {
    // Per template (node affinity is part of its key), so the per-pod call does not read the spec.
    const memo = cycle.template.memo
    let has = memo.get('NodeAffinity/preferred') as boolean | undefined
    if (has === undefined) memo.set('NodeAffinity/preferred', (has = preferred(cycle.pod).length > 0))
    return has
  },
  score(cycle: CycleState, cand: Candidates, out: Float64Array) {
    const memo = cycle.template.memo
    let raw = memo.get('NodeAffinity/score') as Int32Array | undefined
    if (!raw) {
      const terms = preferred(cycle.pod).map((p) => ({weight: p.weight, term: new NodeTerm(p.preference)}))
      const nodes = cycle.cluster.nodes
      raw = new Int32Array(nodes.length)
      for (const n of nodes) {
        let s = 0
        for (const t of terms) if (t.weight !== 0 && t.term.matches(n.labels, n.name)) s += t.weight
        raw[n.index] = s
      }
      memo.set('NodeAffinity/score', raw)
    }
    for (let j = 0; j < cand.n; j++) out[j] = raw[cand.idx[j]]
  },
  normalize(_cycle, cand, scores) {
    defaultNormalize(cand, scores, false)
  },
}
