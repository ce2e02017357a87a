/**
 * What a `sync` round does next, decided from data: after a round observed
 * the hosts and reconciled, `decideRound` says converged / failed / settled
 * / timed out / stopped / wait (and how long) / execute (which actions);
 * after a plan ran, `afterExecute` says stop, time out or go on. `sync()`
 * (sync.ts) applies the answer: it writes the state, emits the events and
 * sleeps or executes. No I/O and no clock here: the time comes in as `now`.
 *
 * The order of the checks is the rule (docs/sync.md):
 * 1. a rollout past its progress deadline fails the sync (exit 5);
 * 2. nothing planned, nothing waited for, every node fine: converged (0);
 * 3. plan empty (or only on failed nodes):
 *    - failed/unreachable nodes and nothing moving on the others: settled (4),
 *    - past --timeout: timed out (5),
 *    - shouldStop said so: stopped (5),
 *    - else wait, polling readiness: 100 ms, doubling to 1 s, never past the
 *      deadline;
 * 4. else execute the actions not on failed nodes (the poll starts over).
 */
import {ExitCode} from '../errors.js'
import type {Action} from '../reconcile/plan.js'
import type {RolloutProgress} from '../reconcile/reconcile.js'
import {describeRollout} from '../rollout/verbs.js'

/** The first wait of a run of waiting rounds and the longest. */
export const POLL_FIRST_MS = 100
export const POLL_MAX_MS = 1000

export interface RoundInput {
  /** the plan this round would run (a saved plan in the first round) */
  actions: readonly Action[]
  /** the reconcile pass's rollouts: done, failed (progress deadline), in words */
  rollouts: readonly Pick<RolloutProgress, 'workload' | 'done' | 'failed' | 'message' | 'reason'>[]
  /** nodes this round could not observe */
  unreachable: ReadonlySet<string>
  /** nodes an earlier action failed on: their actions are not run again in this sync */
  failedNodes: ReadonlySet<string>
  /** inProgress(state, bad nodes) (settle.ts): a pod on a working node is still starting or stopping */
  othersInProgress: boolean
  now: number
  /** epoch ms: now + --timeout at the start */
  deadline: number
  /** shouldStop() said so: a newer commit or SIGTERM */
  stopRequested: boolean
  /** how long the previous wait was (POLL_FIRST_MS after an execute) */
  pollMs: number
}

export type Round =
  | {kind: 'failed'; exitCode: typeof ExitCode.timeout; workload: string; message: string}
  | {kind: 'converged'; exitCode: typeof ExitCode.ok}
  | {kind: 'settled'; exitCode: typeof ExitCode.hosts; failedNodes: string[]; message: string}
  | {kind: 'timed-out'; exitCode: typeof ExitCode.timeout; waitingFor: string[]; message: string}
  | {kind: 'stopped'; exitCode: typeof ExitCode.timeout; message: string}
  | {kind: 'wait'; waitingFor: string[]; sleepMs: number; nextPollMs: number}
  | {kind: 'execute'; actions: Action[]}

export const STOPPED_MESSAGE = 'stopped before the rollout converged'

export function decideRound(r: RoundInput): Round {
  const failed = r.rollouts.find((x) => x.failed)
  if (failed) return {kind: 'failed', exitCode: ExitCode.timeout, workload: failed.workload, message: failed.message}
  const actions = r.actions.filter((a) => !r.failedNodes.has(a.node))
  const waitingFor = r.rollouts.filter((x) => !x.done).map(describeRollout)
  if (r.actions.length === 0 && waitingFor.length === 0 && r.unreachable.size === 0 && r.failedNodes.size === 0) {
    return {kind: 'converged', exitCode: ExitCode.ok}
  }
  if (actions.length > 0) return {kind: 'execute', actions}
  const bad = new Set([...r.unreachable, ...r.failedNodes])
  if (bad.size && !r.othersInProgress) {
    return {kind: 'settled', exitCode: ExitCode.hosts, failedNodes: [...bad].sort(), message: `${bad.size} node(s) failed or unreachable; the others are applied`}
  }
  if (r.now >= r.deadline) {
    return {kind: 'timed-out', exitCode: ExitCode.timeout, waitingFor, message: `timed out waiting: ${waitingFor.join('; ') || 'pods to become ready'}`}
  }
  if (r.stopRequested) return {kind: 'stopped', exitCode: ExitCode.timeout, message: STOPPED_MESSAGE}
  return {kind: 'wait', waitingFor, sleepMs: Math.max(0, Math.min(r.pollMs, r.deadline - r.now)), nextPollMs: Math.min(POLL_MAX_MS, r.pollMs * 2)}
}

export interface AfterExecuteInput {
  /** the executor stopped before every action ran, or shouldStop says so now */
  stopped: boolean
  now: number
  deadline: number
  /** the rollouts not done when the plan started, in words */
  waitingFor: readonly string[]
}

export type AfterExecute =
  | {kind: 'stopped'; exitCode: typeof ExitCode.timeout; message: string}
  | {kind: 'timed-out'; exitCode: typeof ExitCode.timeout; waitingFor: string[]; message: string}
  /** observe again: the next round decides */
  | {kind: 'next-round'}

export function afterExecute(r: AfterExecuteInput): AfterExecute {
  if (r.stopped) return {kind: 'stopped', exitCode: ExitCode.timeout, message: STOPPED_MESSAGE}
  if (r.now >= r.deadline) {
    return {kind: 'timed-out', exitCode: ExitCode.timeout, waitingFor: [...r.waitingFor], message: `timed out: ${r.waitingFor.join('; ') || 'the plan was still being applied'}`}
  }
  return {kind: 'next-round'}
}
