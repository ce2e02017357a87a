import type {State} from '../state/model.js'
import type {SyncOptions} from '../sync/sync.js'

/**
 * The part of `sync()` (src/sync/sync.ts) the GitOps loop uses: one
 * reconcile round for one commit. Declared here, structurally, so the loop
 * and the rollout commands are written (and unit-tested with a recording
 * fake, Nomad-harness style) against a narrow seam; the real `sync` is
 * assignable to it.
 *
 * Contract relied on: `sync` takes the state lock itself for the round
 * (throwing LockedError, exit 3, when someone else holds it), writes the
 * state after every applied step, and when `shouldStop()` turns true it
 * returns after the step in flight with the state consistent.
 *
 * The options are the real SyncOptions' own fields (one definition, in
 * src/sync/sync.ts) that the loop sets; events are read as opaque records,
 * so a fake need not build real SyncEvents. The loop always passes a full
 * commit sha as `ref`.
 */
export type SyncPortOptions = Pick<
  SyncOptions,
  'repo' | 'ref' | 'backend' | 'dryRun' | 'prune' | 'timeoutMs' | 'concurrency' | 'nodeGraceMs' | 'now' | 'shouldStop' | 'root' | 'lockTimeoutMs' | 'operation'
> & {onEvent?: (e: unknown) => void}

export interface SyncPortResult {
  /** DESIGN.md's contract: 0 done, 2 invalid, 3 locked, 4 hosts, 5 not converged in time */
  exitCode: number
  converged: boolean
  commit: {sha: string; subject: string} | null
  summary?: unknown
  failedNodes?: {node: string; error: string}[]
  /** why it did not converge, in words */
  message?: string
  passes?: number
  state?: State | null
}

export type SyncFn = (opts: SyncPortOptions) => Promise<SyncPortResult>

/** The real sync (src/sync/sync.ts), loaded when a command needs it. */
export async function loadSync(): Promise<SyncFn> {
  const {sync} = await import('../sync/sync.js')
  return sync
}
