/**
 * One rolling-update step of a Deployment, decided from numbers alone
 * (pkg/controller/deployment/rolling.go): which ReplicaSet scales to what,
 * and why. No objects, no context: `syncDeployment` (deployment.ts) gathers
 * the counts, applies the returned decision and asks again until a step
 * moves nothing — the repetition Kubernetes gets from ReplicaSet events.
 *
 * A step is either
 * - reconcileNewReplicaSet: the new ReplicaSet scales down to `replicas`
 *   if above it, or up within replicas + maxSurge pods in total; or, when
 *   it does not move,
 * - reconcileOldReplicaSets: old ReplicaSets scale down, oldest first, as
 *   far as replicas − maxUnavailable available pods allow, counting the
 *   new ReplicaSet's unavailable pods against the budget: first their
 *   unavailable pods (cleanupUnhealthyReplicas), then available ones
 *   (scaleDownOldReplicaSetsForRollingUpdate).
 *
 * Availability is the one read at the start of the step, as Kubernetes reads
 * `status.availableReplicas`: scaling an old ReplicaSet down in the cleanup
 * removes unavailable pods only, so the count stays true for the second part.
 */

/** What one ReplicaSet has: spec.replicas and its available pods. */
export interface ReplicaSetCounts {
  name: string
  replicas: number
  available: number
}

export interface RollingUpdateInput {
  /** the Deployment's spec.replicas */
  replicas: number
  /** maxSurge and maxUnavailable as pod counts (resolveFenceposts) */
  maxSurge: number
  maxUnavailable: number
  newRS: ReplicaSetCounts
  /** the old ReplicaSets, oldest first (Kubernetes' ReplicaSetsByCreationTimestamp) */
  oldRSs: ReplicaSetCounts[]
}

export type RollingUpdateReason =
  /** the new ReplicaSet had more than spec.replicas */
  | 'new-above-replicas'
  /** the new ReplicaSet grew within replicas + maxSurge */
  | 'new-scaled-up'
  /** old ReplicaSets shrank: unavailable pods, then available ones within maxUnavailable */
  | 'old-scaled-down'
  /** nothing moves: the rollout is done, or waits for pods to become available */
  | 'wait'

/** The decision of one step, as data (Nomad's reconcile results): `syncDeployment` applies it. */
export interface RollingUpdateStep {
  /** the new ReplicaSet's next spec.replicas, when it changes */
  scaleNew?: number
  /** old ReplicaSets' next spec.replicas, oldest first, only those that change */
  scaleOld: {rs: string; to: number}[]
  reason: RollingUpdateReason
}

const total = (rss: ReplicaSetCounts[]) => rss.reduce((a, rs) => a + rs.replicas, 0)

/** deploymentutil.MaxUnavailable: never more than the Deployment's replicas. */
function cappedUnavailable(input: RollingUpdateInput): number {
  return Math.min(input.maxUnavailable, input.replicas)
}

/**
 * reconcileNewReplicaSet (with deploymentutil.NewRSNewReplicas): the new
 * ReplicaSet's next size, or undefined when it stays.
 */
export function newReplicaSetTarget(input: RollingUpdateInput): number | undefined {
  const {replicas, maxSurge, newRS} = input
  if (newRS.replicas === replicas) return undefined
  if (newRS.replicas > replicas) return replicas
  const maxTotal = replicas + maxSurge
  const current = newRS.replicas + total(input.oldRSs)
  if (current >= maxTotal) return undefined
  return newRS.replicas + Math.min(maxTotal - current, replicas - newRS.replicas)
}

/**
 * cleanupUnhealthyReplicas: scale old ReplicaSets (oldest first) down by
 * their unavailable pods, at most maxCleanup in all. Returns the ReplicaSets
 * as they are after it and how many pods went.
 */
export function cleanupUnhealthy(oldRSs: ReplicaSetCounts[], maxCleanup: number): {oldRSs: ReplicaSetCounts[]; cleaned: number} {
  let cleaned = 0
  const out = oldRSs.map((rs) => {
    if (cleaned >= maxCleanup || rs.replicas === 0 || rs.replicas === rs.available) return rs
    const down = Math.min(maxCleanup - cleaned, rs.replicas - rs.available)
    cleaned += down
    return {...rs, replicas: rs.replicas - down}
  })
  return {oldRSs: out, cleaned}
}

/**
 * scaleDownOldReplicaSetsForRollingUpdate: scale old ReplicaSets (oldest
 * first) down while more than minAvailable pods of all ReplicaSets (ALL:
 * the old ones and the new one) are available. Returns the old ones as they
 * are after it and how many pods went.
 */
export function scaleDownOld(
  all: ReplicaSetCounts[],
  oldRSs: ReplicaSetCounts[],
  minAvailable: number,
): {oldRSs: ReplicaSetCounts[]; scaledDown: number} {
  const available = all.reduce((a, rs) => a + rs.available, 0)
  if (available <= minAvailable) return {oldRSs, scaledDown: 0}
  const budget = available - minAvailable
  let done = 0
  const out = oldRSs.map((rs) => {
    if (done >= budget || rs.replicas === 0) return rs
    const down = Math.min(rs.replicas, budget - done)
    done += down
    return {...rs, replicas: rs.replicas - down}
  })
  return {oldRSs: out, scaledDown: done}
}

/**
 * reconcileOldReplicaSets: the old ReplicaSets' next sizes (all of them, in
 * input order) and how many pods went in all.
 */
export function oldReplicaSetsTarget(input: RollingUpdateInput): {oldRSs: ReplicaSetCounts[]; scaledDown: number} {
  const {newRS, oldRSs} = input
  if (total(oldRSs) === 0) return {oldRSs, scaledDown: 0}
  const minAvailable = input.replicas - cappedUnavailable(input)
  const newUnavailable = newRS.replicas - newRS.available
  const maxScaledDown = newRS.replicas + total(oldRSs) - minAvailable - newUnavailable
  if (maxScaledDown <= 0) return {oldRSs, scaledDown: 0}
  const cleanup = cleanupUnhealthy(oldRSs, maxScaledDown)
  const down = scaleDownOld([...cleanup.oldRSs, newRS], cleanup.oldRSs, minAvailable)
  return {oldRSs: down.oldRSs, scaledDown: cleanup.cleaned + down.scaledDown}
}

/** One step of the rolling update (rolloutRolling): the new ReplicaSet first; old ones only when it does not move. */
export function rollingUpdateStep(input: RollingUpdateInput): RollingUpdateStep {
  const scaleNew = newReplicaSetTarget(input)
  if (scaleNew !== undefined) {
    return {scaleNew, scaleOld: [], reason: scaleNew < input.newRS.replicas ? 'new-above-replicas' : 'new-scaled-up'}
  }
  const old = oldReplicaSetsTarget(input)
  const scaleOld = old.oldRSs
    .map((rs, i) => ({rs: rs.name, to: rs.replicas, from: input.oldRSs[i].replicas}))
    .filter((x) => x.to !== x.from)
    .map(({rs, to}) => ({rs, to}))
  if (scaleOld.length === 0) return {scaleOld, reason: 'wait'}
  return {scaleOld, reason: 'old-scaled-down'}
}
