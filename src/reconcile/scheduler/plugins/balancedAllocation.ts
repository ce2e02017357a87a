/**
 * NodeResourcesBalancedAllocation (kube
 * `plugins/noderesources/balanced_allocation.go`, weight 1): prefer nodes
 * whose cpu and memory would be used in equal shares after placing the pod:
 * score = (1 - |cpuFraction - memFraction| / 2) * 100, on plain requests.
 * Skipped for a pod that requests nothing (kube #129138).
 */
import type {CycleState, Candidates, ScorePlugin} from '../framework.js'
import {MaxNodeScore} from '../framework.js'

export const NodeResourcesBalancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  preScore: (cycle) => cycle.pod.request.milliCPU !== 0 || cycle.pod.request.memory !== 0,
  score(cycle: CycleState, cand: Candidates, out: Float64Array) {
    const cpu = cycle.pod.request.milliCPU
    const mem = cycle.pod.request.memory
    const nodes = cycle.cluster.nodes
    for (let j = 0; j < cand.n; j++) {
      const n = nodes[cand.idx[j]]
      const a = n.allocatable
      let std = 0
      if (a.milliCPU !== 0 && a.memory !== 0) {
        const fc = Math.min(1, (n.requested.milliCPU + cpu) / a.milliCPU)
        const fm = Math.min(1, (n.requested.memory + mem) / a.memory)
        std = Math.abs((fc - fm) / 2)
      }
      out[j] = Math.trunc((1 - std) * MaxNodeScore)
    }
  },
}
