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
    const {version} = cycle.cluster.resources
    const {ver, val} = cycle.cluster.nodeValues('NodeResourcesBalancedAllocation', cycle.pod.parts.requestKey)
    const idx = cand.idx
    for (let j = 0; j < cand.n; j++) {
      const i = idx[j]
      if (ver[i] !== version[i]) {
        val[i] = balancedScore(cycle, i)
        ver[i] = version[i]
      }
      out[j] = val[i]
    }
  },
  nodeLocal: {key: (pod) => pod.parts.requestKey, value: balancedScore},
}

/** 100 × (1 − |cpu share − memory share| / 2) after placing the pod on node i. */
function balancedScore(cycle: CycleState, i: number): number {
  const {allocCPU, allocMem, reqCPU, reqMem} = cycle.cluster.resources
  const ac = allocCPU[i]
  const am = allocMem[i]
  let std = 0
  if (ac !== 0 && am !== 0) {
    const fc = Math.min(1, (reqCPU[i] + cycle.pod.request.milliCPU) / ac)
    const fm = Math.min(1, (reqMem[i] + cycle.pod.request.memory) / am)
    std = Math.abs((fc - fm) / 2)
  }
  return ((1 - std) * MaxNodeScore) | 0
}
