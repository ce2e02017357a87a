import {UserError} from '../errors.js'
import type {Plan} from '../reconcile/plan.js'
import type {State} from '../state/model.js'
import {type SavedPlan, planHash} from './saved-plan.js'

const again = 'run tsctl diff --out again'

/**
 * The plan of `saved`, if it may still be applied: the state it was made
 * from is the current one (same lineage and serial, or still no state) and
 * the commit is the same. Otherwise a UserError (exit 2, nothing applied)
 * saying what moved, e.g. "stale plan: the state moved from serial 12 to 13
 * since the plan was made; run tsctl diff --out again" (Terraform refuses a
 * stale plan the same way). Pure. Call it under the state lock, against the
 * state the apply will start from.
 */
export function verifyPlan(saved: SavedPlan, current: {state: State | null; commitSha: string}): Plan {
  if (planHash(saved.from, saved.plan) !== saved.hash) {
    throw new UserError('the plan does not match its hash: it was damaged or edited after `tsctl diff --out` wrote it', undefined, [], again)
  }
  const was = saved.from.state
  const now = current.state
  if (was === null && now !== null) {
    throw new UserError(`stale plan: the plan was made before the state existed; it is at serial ${now.serial} now; ${again}`)
  }
  if (was !== null && now === null) {
    throw new UserError(`stale plan: the plan was made from serial ${was.serial} of a state that no longer exists here; ${again}`, undefined, [], 'is this the same state backend (--state-backend, --state-remote, --state)?')
  }
  if (was && now) {
    if (was.lineage !== now.lineage) {
      throw new UserError(`stale plan: the plan was made from state lineage ${was.lineage}, this state is lineage ${now.lineage} (another fleet); ${again}`)
    }
    if (was.serial !== now.serial) {
      throw new UserError(`stale plan: the state moved from serial ${was.serial} to ${now.serial} since the plan was made; ${again}`)
    }
  }
  verifyPlanCommit(saved, current.commitSha)
  return saved.plan
}

/** The commit half of verifyPlan: throws "stale plan: the commit moved from … to …" (exit 2). */
export function verifyPlanCommit(saved: SavedPlan, commitSha: string): void {
  if (saved.from.commit.sha !== commitSha) {
    throw new UserError(`stale plan: the commit moved from ${saved.from.commit.sha.slice(0, 12)} to ${commitSha.slice(0, 12)} since the plan was made; ${again}`)
  }
}
