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
    const {allocCPU, allocMem, reqCPU, reqMem, version} = cycle.cluster.resources
    const {ver, val} = cycle.cluster.nodeValues('NodeResourcesBalancedAllocation', `${cpu}|${mem}`)
    const idx = cand.idx
    for (let j = 0; j < cand.n; j++) {
      const i = idx[j]
      if (ver[i] !== version[i]) {
        const ac = allocCPU[i]
        const am = allocMem[i]
        let std = 0
        if (ac !== 0 && am !== 0) {
          const fc = Math.min(1, (reqCPU[i] + cpu) / ac)
          const fm = Math.min(1, (reqMem[i] + mem) / am)
          std = Math.abs((fc - fm) / 2)
        }
        val[i] = ((1 - std) * MaxNodeScore) | 0
        ver[i] = version[i]
      }
      out[j] = val[i]
    }
  },
}
