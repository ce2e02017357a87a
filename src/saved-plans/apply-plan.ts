import {UserError} from '../errors.js'
import type {Plan} from '../reconcile/plan.js'
import type {LockInfo, StateBackend} from '../state/backend.js'
import {runGit} from '../state/git-run.js'
import type {State} from '../state/model.js'
import {mergeCommit} from './merge-commit.js'
import type {SavedPlan} from './saved-plan.js'
import {verifyPlan, verifyPlanCommit} from './verify-plan.js'

/**
 * The commit a saved plan's refs name now: `from.ref` resolved again, or,
 * for a plan of a merge (`diff --base`), the merge of `from.ref` into
 * `from.base.ref` made again (deterministic, so the same sha when neither
 * side moved). A ref that no longer resolves is a stale plan too.
 */
export async function currentCommitOf(saved: SavedPlan, repo: string): Promise<string> {
  const {ref, base} = saved.from
  if (base) return (await mergeCommit({repo, ref, base: base.ref})).sha
  const r = await runGit(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])
  const sha = r.stdout.toString('utf8').trim()
  if (r.code !== 0 || !sha) throw new UserError(`stale plan: --ref ${JSON.stringify(ref)} of the plan no longer names a commit in ${repo}; run tsctl diff --out again`)
  return sha
}

/**
 * What `tsctl sync --plan PLAN` passes to sync(): the plan, the exact commit
 * it was made from, and a backend whose first read() — the one sync makes
 * right after taking the lock — refuses (verifyPlan) a state that moved
 * since the plan was made. Checking there, under the lock, leaves no window
 * in which another run could move the state between the check and the apply.
 * The commit check is done here, before anything is locked.
 */
export async function preparePlannedSync(saved: SavedPlan, repo: string, backend: StateBackend): Promise<{plan: Plan; ref: string; backend: StateBackend}> {
  const commitSha = await currentCommitOf(saved, repo)
  // The commit part now (cheap, and a moved branch needs no lock to be refused); the state part under the lock.
  verifyPlanCommit(saved, commitSha)
  let checked = false
  const verifying: StateBackend = {
    describe: () => backend.describe(),
    async read(): Promise<State | null> {
      const state = await backend.read()
      if (!checked) {
        verifyPlan(saved, {state, commitSha})
        checked = true
      }
      return state
    },
    write: (s: State) => backend.write(s),
    lock: (op: string, o?: {commit?: string}): Promise<LockInfo> => backend.lock(op, {commit: saved.from.commit.sha, ...o}),
    unlock: (o?: {force?: boolean; id?: string}) => backend.unlock(o),
    lockInfo: () => backend.lockInfo(),
  }
  return {plan: saved.plan, ref: saved.from.commit.sha, backend: verifying}
}
