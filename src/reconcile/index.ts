/**
 * reconcile(desired, state, observed, now) → { state, plan, events, summary, rollouts }
 *
 * Pure: no I/O, no clock, no randomness anywhere under src/reconcile/.
 * This file is the folder's public face; see README.md.
 */
export type {Action, Plan} from './plan.js'
export type {Observed, ObservedNode, ObservedPod, ObservedContainer, PodPhase} from './observed.js'
export {reconcile, DEFAULT_NODE_GRACE_MS} from './reconcile.js'
export type {ReconcileInput, ReconcileOptions, ReconcileResult, RolloutProgress} from './reconcile.js'
export {pinnable, pinsOf, registryImages, type ImagePins} from './image-pins.js'
export type {PlanSummary, WorkloadBuckets} from './planner.js'
export {converge, simulateApply} from './converge.js'
export type {ConvergeResult} from './converge.js'
export {observedFromState} from './assume.js'
export {nodesToObserve} from './lifecycle.js'
export {podSpecHash, podVolumeHashes, type ObjectIndex} from './spec-hash.js'
export {parseCron, nextAfter, validTimeZone, type CronSchedule, type CronParse} from './cron.js'
