/** Saved plans: `tsctl diff --out` writes them, `tsctl sync --plan` applies them exactly or refuses them as stale. */
export {type PlanOrigin, type SavedPlan, canonicalJson, makeSavedPlan, planHash, savedPlanApiVersion} from './saved-plan.js'
export {savePlan} from './save-plan.js'
export {loadPlan} from './load-plan.js'
export {verifyPlan, verifyPlanCommit} from './verify-plan.js'
export {currentCommitOf, preparePlannedSync} from './apply-plan.js'
