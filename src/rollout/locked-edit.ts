import {ExitCode, UserError} from '../errors.js'
import type {LockInfo, StateBackend} from '../state/backend.js'
import type {State} from '../state/model.js'
import type {SyncFn, SyncPortOptions, SyncPortResult} from '../gitops/sync-port.js'

/** What a `tsctl rollout …` edit returns (rollout/verbs.ts's RolloutResult). */
export type RolloutEditResult = {ok: true; state: State; message: string} | {ok: false; message: string}

export interface RolloutEditOptions {
  backend: StateBackend
  /** the lock's operation name, e.g. `tsctl rollout undo` */
  operation: string
  /** objectKey of the workload */
  key: string
  /** the pure edit (rolloutUndo, rolloutPause, …) */
  edit: (state: State) => RolloutEditResult
  /**
   * apply the edit now with a sync of `ref` (undo, restart, resume): the
   * repo's current commit, as `tsctl sync` would apply it; absent: state only
   */
  apply?: {sync: SyncFn; repo: string; ref: string; options?: Omit<SyncPortOptions, 'repo' | 'ref' | 'backend'>}
}

export interface RolloutEditOutcome {
  /** kubectl's words, e.g. `deployment.apps/web rolled back` */
  message: string
  /** the edit changed the state (false: "skipped rollback …") */
  changed: boolean
  /** the commit synced, when applied */
  ref?: string
  sync?: SyncPortResult
}

/**
 * Edit the state under the lock, then (for undo/restart/resume) apply it
 * with one sync round of the repo's current commit, still under the same
 * lock — nothing can slip in between the edit and its rollout. The sync sees
 * the pin: while the workload's git object is the one last applied, its
 * edited version in the state is what rolls out (with the workload's
 * strategy); a commit that changed it in the meantime wins, as it would on
 * the next sync anyway.
 *
 * Throws UserError (exit 2) for a refused edit (kubectl's messages) and
 * LockedError (exit 3) when someone else holds the state.
 */
export async function rolloutEdit(o: RolloutEditOptions): Promise<RolloutEditOutcome> {
  const lock = await o.backend.lock(o.operation)
  try {
    const state = await o.backend.read()
    if (!state) throw new UserError('there is no state yet: nothing has been synced', ExitCode.invalid, [], 'run `tsctl sync` first')
    const r = o.edit(state)
    if (!r.ok) throw new UserError(r.message)
    const changed = r.state !== state
    if (changed) await o.backend.write({...r.state, serial: state.serial + 1})
    if (!changed || !o.apply) return {message: r.message, changed}
    const ref = o.apply.ref
    const res = await o.apply.sync({...o.apply.options, repo: o.apply.repo, ref, backend: heldBackend(o.backend, lock)})
    return {message: r.message, changed, ref, sync: res}
  } finally {
    await o.backend.unlock({id: lock.id}).catch(() => null)
  }
}

/**
 * The backend as seen by a sync running inside our lock: taking the lock is
 * a no-op (we hold it), releasing it is ours to do afterwards.
 */
export function heldBackend(b: StateBackend, lock: LockInfo): StateBackend {
  return {
    describe: () => b.describe(),
    read: () => b.read(),
    write: (s) => b.write(s),
    lock: async () => lock,
    unlock: async () => null,
    lockInfo: () => b.lockInfo(),
  }
}
