/**
 * reconcile(desired, state, observed, now) → { state, plan, events }
 *
 * Pure: no I/O, no clock, no randomness anywhere under src/reconcile/.
 * Implemented in ./reconcile.ts; this file is the folder's public face.
 */
export type {Action, Plan} from './plan.js'
export type {Observed, ObservedNode, ObservedPod, ObservedContainer} from './observed.js'
