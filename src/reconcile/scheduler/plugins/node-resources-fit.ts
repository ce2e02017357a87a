/**
 * NodeResourcesFit (kube `plugins/noderesources/fit.go`, weight 1).
 * Filter: the pod's request (init-container max rule, overhead; see
 * pod-info.ts) must fit in allocatable minus what bound pods request, and
 * the node must have room for one more pod. One reason per short resource,
 * in kube's order: pods, cpu, memory, then the others.
 * Score: kube's default strategy, LeastAllocated over cpu and memory with
 * weight 1 each, on requests where containers without one count as
 * 100m / 200Mi.
 */
import type {CycleState, Candidates, FilterPlugin, ScorePlugin} from '../framework.js'
import {MaxNodeScore} from '../framework.js'
import {reasonId} from '../reasons.js'

const tooManyPods = reasonId('Too many pods')
const insufficientCPU = reasonId('Insufficient cpu')
const insufficientMemory = reasonId('Insufficient memory')

/** kube's `leastRequestedScore`: free share of capacity after placing the pod, 0..100, integer. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0
  // The quotient is in 0..100, so `| 0` truncates exactly, and faster than Math.trunc.
  return (((capacity - requested) * MaxNodeScore) / capacity) | 0
}

export const NodeResourcesFit: FilterPlugin & ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  filter(cycle: CycleState, cand: Candidates) {
    const req = cycle.pod.request
    const cpu = req.milliCPU
    const mem = req.memory
    const scalars = cycle.pod.scalarNames
    const {allocCPU, allocMem, allocPods, reqCPU, reqMem, reqPods, version} = cycle.cluster.resources
    // The verdict per node (bits: pods, cpu, memory) changes only when the node's requests do.
    const {ver, val} = cycle.cluster.nodeValues('NodeResourcesFit/filter', cycle.pod.parts.requestKey)
    const nodes = cycle.cluster.nodes
    const idx = cand.idx
    let k = 0
    for (let j = 0; j < cand.n; j++) {
      const i = idx[j]
      if (ver[i] !== version[i]) {
        let bits = 0
        if (reqPods[i] + 1 > allocPods[i]) bits |= 1
        if (cpu > 0 && cpu > allocCPU[i] - reqCPU[i]) bits |= 2
        if (mem > 0 && mem > allocMem[i] - reqMem[i]) bits |= 4
        val[i] = bits
        ver[i] = version[i]
      }
      const bits = val[i]
      let fits = bits === 0
      if (!fits) {
        if (bits & 1) cycle.reject(tooManyPods)
        if (bits & 2) cycle.reject(insufficientCPU)
        if (bits & 4) cycle.reject(insufficientMemory)
      }
      if (scalars.length > 0) {
        const a = nodes[i].allocatable
        const r = nodes[i].requested
        for (const s of scalars) {
          // Ephemeral storage is only checked on nodes that declare it.
          if (s === 'ephemeral-storage' && a.scalar[s] === undefined) continue
          if (req.scalar[s] > (a.scalar[s] ?? 0) - (r.scalar[s] ?? 0)) {
            cycle.reject(reasonId(`Insufficient ${s}`))
            fits = false
          }
        }
      }
      if (fits) idx[k++] = i
    }
    cand.n = k
  },
  score(cycle: CycleState, cand: Candidates, out: Float64Array) {
    const {version} = cycle.cluster.resources
    // A node's score changes only when its requests do: recompute just those (replicas share the cache).
    const {ver, val} = cycle.cluster.nodeValues('NodeResourcesFit', cycle.pod.parts.nonZeroKey)
    const idx = cand.idx
    for (let j = 0; j < cand.n; j++) {
      const i = idx[j]
      if (ver[i] !== version[i]) {
        val[i] = fitScore(cycle, i)
        ver[i] = version[i]
      }
      out[j] = val[i]
    }
  },
  nodeLocal: {key: (pod) => pod.parts.nonZeroKey, value: fitScore},
}

/** LeastAllocated over cpu and memory on the non-zero requests, for node i. */
function fitScore(cycle: CycleState, i: number): number {
  const {allocCPU, allocMem, nzCPU, nzMem} = cycle.cluster.resources
  const ac = allocCPU[i]
  const am = allocMem[i]
  let sum = 0
  let weights = 0
  // Resources with zero allocatable are left out of the average, as in kube.
  if (ac !== 0) {
    sum += leastRequestedScore(nzCPU[i] + cycle.pod.nonZero.milliCPU, ac)
    weights++
  }
  if (am !== 0) {
    sum += leastRequestedScore(nzMem[i] + cycle.pod.nonZero.memory, am)
    weights++
  }
  return weights === 0 ? 0 : (sum / weights) | 0
}
