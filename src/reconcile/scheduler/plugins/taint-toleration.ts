/**
 * TaintToleration (kube `plugins/tainttoleration`, weight 3).
 * Filter: the first NoSchedule/NoExecute taint the pod does not tolerate
 * rejects the node, named in the reason (`{key: value}`). Score: fewer
 * untolerated PreferNoSchedule taints is better (normalised in reverse).
 * A node that is not ready carries `node.kubernetes.io/not-ready:NoSchedule`
 * (see snapshot.ts), so this plugin is also what keeps pods off it.
 */
import {stableJSON} from '../pod-info.js'
import {type CycleState, type Candidates, type FilterPlugin, type ScorePlugin, MaxNodeScore} from '../framework.js'
import type {Taint, Toleration} from '../types.js'
import {reasonId} from '../reasons.js'

/** kube's `Toleration.ToleratesTaint`. */
export function toleratesTaint(t: Toleration, taint: {key: string; value?: string; effect: string}): boolean {
  if (t.effect && t.effect !== taint.effect) return false
  if (t.key && t.key !== taint.key) return false
  const op = t.operator || 'Equal'
  if (op === 'Exists') return true
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '')
  return false
}

function tolerated(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true
  return false
}

/** The reason kube gives for an untolerated taint. */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`
}

/** 1 where the pod tolerates every NoSchedule/NoExecute taint of the node (PodTopologySpread's nodeTaintsPolicy: Honor). */
export function toleratesNode(cycle: CycleState): Uint8Array {
  const memo = cycle.template.memo
  let ok = memo.get('TaintToleration/ok') as Uint8Array | undefined
  if (!ok) {
    const tolerations = cycle.pod.spec.tolerations ?? []
    const nodes = cycle.cluster.nodes
    ok = new Uint8Array(nodes.length)
    for (const n of nodes) ok[n.index] = n.taints.every((t) => (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') || tolerated(tolerations, t)) ? 1 : 0
    memo.set('TaintToleration/ok', ok)
  }
  return ok
}

interface Prefer {
  /** raw score per node: untolerated PreferNoSchedule taints, counting only tolerations with effect PreferNoSchedule or none */
  counts: Int32Array
  /** the largest count over the template's feasible nodes */
  max: number
  /** the normalised score per node when the candidates' max is `max` (kube's reverse DefaultNormalizeScore) */
  norm: Float64Array
}

/** Per template: the counts never change, and neither does their normalisation while the candidates' max is the template's. */
function prefer(cycle: CycleState): Prefer {
  const memo = cycle.template.memo
  let p = memo.get('TaintToleration/score') as Prefer | undefined
  if (!p) {
    const tolerations = (cycle.pod.spec.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule')
    const nodes = cycle.cluster.nodes
    const counts = new Int32Array(nodes.length)
    for (const n of nodes) {
      let c = 0
      for (const t of n.taints) if (t.effect === 'PreferNoSchedule' && !tolerated(tolerations, t)) c++
      counts[n.index] = c
    }
    let max = 0
    for (const i of cycle.template.feasible) if (counts[i] > max) max = counts[i]
    const norm = new Float64Array(nodes.length)
    for (let i = 0; i < nodes.length; i++) norm[i] = max === 0 ? MaxNodeScore : MaxNodeScore - Math.trunc((MaxNodeScore * counts[i]) / max)
    memo.set('TaintToleration/score', (p = {counts, max, norm}))
  }
  return p
}

export const TaintToleration: FilterPlugin & ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  staticKey: (pod) => stableJSON(pod.spec.tolerations),
  filter(cycle: CycleState, cand: Candidates) {
    const tolerations = cycle.pod.spec.tolerations ?? []
    const nodes = cycle.cluster.nodes
    const idx = cand.idx
    let k = 0
    for (let j = 0; j < cand.n; j++) {
      const i = idx[j]
      let bad: Taint | undefined
      for (const t of nodes[i].taints)
        if ((t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerated(tolerations, t)) {
          bad = t
          break
        }
      if (bad) cycle.reject(reasonId(untoleratedTaintReason(bad)))
      else idx[k++] = i
    }
    cand.n = k
  },
  score(cycle: CycleState, cand: Candidates, out: Float64Array) {
    // Score and normalise in one pass from the template's table; the table is exact only if some
    // candidate still has the template's max count (the filters may have dropped all of them).
    const {counts, max, norm} = prefer(cycle)
    const idx = cand.idx
    if (max === 0) {
      out.fill(MaxNodeScore, 0, cand.n)
      return
    }
    let seen = false
    for (let j = 0; j < cand.n; j++) {
      const i = idx[j]
      out[j] = norm[i]
      if (counts[i] === max) seen = true
    }
    if (seen) return
    let m = 0
    for (let j = 0; j < cand.n; j++) if (counts[idx[j]] > m) m = counts[idx[j]]
    for (let j = 0; j < cand.n; j++) out[j] = m === 0 ? MaxNodeScore : MaxNodeScore - Math.trunc((MaxNodeScore * counts[idx[j]]) / m)
  },
}
