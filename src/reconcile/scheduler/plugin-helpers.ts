/** The shapes most Filter and Score plugins share, written once. */
import {type Candidates, type CycleState, MaxNodeScore} from './framework.js'

/** Keep candidates where keep(node index) is true; reject the others with `reason`. The common Filter shape. */
export function keepIf(cycle: CycleState, cand: Candidates, reason: number, keep: (i: number) => boolean): void {
  const idx = cand.idx
  let k = 0
  for (let j = 0; j < cand.n; j++) {
    const i = idx[j]
    if (keep(i)) idx[k++] = i
    else cycle.reject(reason)
  }
  cand.n = k
}

/**
 * kube's `helper.DefaultNormalizeScore`: scale so the best raw score is
 * MaxNodeScore (integer division); `reverse` flips it. All zero stays zero
 * (or all MaxNodeScore when reversed).
 */
export function defaultNormalize(cand: Candidates, scores: Float64Array, reverse: boolean): void {
  let max = 0
  for (let j = 0; j < cand.n; j++) if (scores[j] > max) max = scores[j]
  if (max === 0) {
    if (reverse) for (let j = 0; j < cand.n; j++) scores[j] = MaxNodeScore
    return
  }
  for (let j = 0; j < cand.n; j++) {
    const s = Math.trunc((MaxNodeScore * scores[j]) / max)
    scores[j] = reverse ? MaxNodeScore - s : s
  }
}
