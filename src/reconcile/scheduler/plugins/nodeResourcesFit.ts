/**
 * NodeResourcesFit (kube `plugins/noderesources/fit.go`, weight 1).
 * Filter: the pod's request (init-container max rule, overhead; see
 * podInfo.ts) must fit in allocatable minus what bound pods request, and
 * the node must have room for one more pod. One reason per short resource,
 * in kube's order: pods, cpu, memory, then the others.
 * Score: kube's default strategy, LeastAllocated over cpu and memory with
 * weight 1 each, on requests where containers without one count as
 * 100m / 200Mi.
 */
import type {CycleState, Candidates, FilterPlugin, ScorePlugin} from '../framework.js'
import {MaxNodeScore, reasonId} from '../framework.js'

const tooManyPods = reasonId('Too many pods')
const insufficientCPU = reasonId('Insufficient cpu')
const insufficientMemory = reasonId('Insufficient memory')

/** kube's `leastRequestedScore`: free share of capacity after placing the pod, 0..100, integer. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0
  return Math.trunc(((capacity - requested) * MaxNodeScore) / capacity)
}

export const NodeResourcesFit: FilterPlugin & ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  filter(cycle: CycleState, cand: Candidates) {
    const req = cycle.pod.request
    const cpu = req.milliCPU
    const mem = req.memory
    const scalars = Object.keys(req.scalar).filter((k) => req.scalar[k] > 0)
    const nodes = cycle.cluster.nodes
    const idx = cand.idx
    let k = 0
    for (let j = 0; j < cand.n; j++) {
      const i = idx[j]
      const n = nodes[i]
      const a = n.allocatable
      const r = n.requested
      let fits = true
      if (r.pods + 1 > a.pods) {
        cycle.reject(tooManyPods)
        fits = false
      }
      if (cpu > 0 && cpu > a.milliCPU - r.milliCPU) {
        cycle.reject(insufficientCPU)
        fits = false
      }
      if (mem > 0 && mem > a.memory - r.memory) {
        cycle.reject(insufficientMemory)
        fits = false
      }
      for (const s of scalars) {
        // A resource the node does not list is not offered there; ephemeral storage is only checked where declared.
        if (s === 'ephemeral-storage' && a.scalar[s] === undefined) continue
        if (req.scalar[s] > (a.scalar[s] ?? 0) - (r.scalar[s] ?? 0)) {
          cycle.reject(reasonId(`Insufficient ${s}`))
          fits = false
        }
      }
      if (fits) idx[k++] = i
    }
    cand.n = k
  },
  score(cycle: CycleState, cand: Candidates, out: Float64Array) {
    const cpu = cycle.pod.nonZero.milliCPU
    const mem = cycle.pod.nonZero.memory
    const nodes = cycle.cluster.nodes
    for (let j = 0; j < cand.n; j++) {
      const n = nodes[cand.idx[j]]
      const a = n.allocatable
      let sum = 0
      let weights = 0
      // Resources with zero allocatable are left out of the average, as in kube.
      if (a.milliCPU !== 0) {
        sum += leastRequestedScore(n.nonZeroRequested.milliCPU + cpu, a.milliCPU)
        weights++
      }
      if (a.memory !== 0) {
        sum += leastRequestedScore(n.nonZeroRequested.memory + mem, a.memory)
        weights++
      }
      out[j] = weights === 0 ? 0 : Math.trunc(sum / weights)
    }
  },
}
