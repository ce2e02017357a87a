/**
 * ClaimNode, tsctl's stand-in for kube's VolumeBinding: a
 * PersistentVolumeClaim is a directory on the node where its first pod
 * landed (k3s local-path style), so a pod using a bound claim fits only on
 * that node. An unbound claim binds when its pod is assumed (snapshot.ts).
 * The reason is kube's for a PersistentVolume whose node affinity excludes
 * the node.
 */
import type {CycleState, Candidates, FilterPlugin, PreFilterResult} from '../framework.js'
import {reasonId} from '../reasons.js'

export const ErrReasonNodeConflict = 'node(s) had volume node affinity conflict'
const reason = reasonId(ErrReasonNodeConflict)

export const ClaimNode: FilterPlugin = {
  name: 'ClaimNode',
  preFilter(cycle: CycleState): PreFilterResult {
    let want = -1
    for (const c of cycle.pod.claims) {
      const i = cycle.cluster.claimNode(c)
      if (i === -1) continue
      // Bound to a node gone from the fleet, or two claims on different nodes: nowhere fits.
      if (i === -2 || (want !== -1 && want !== i)) want = -2
      else if (want !== -2) want = i
    }
    if (want === -1) return 'skip'
    cycle.data.set('ClaimNode', want)
    return undefined
  },
  filter(cycle: CycleState, cand: Candidates) {
    const want = cycle.data.get('ClaimNode') as number
    const idx = cand.idx
    let k = 0
    for (let j = 0; j < cand.n; j++) {
      if (idx[j] === want) idx[k++] = idx[j]
      else cycle.reject(reason)
    }
    cand.n = k
  },
}
