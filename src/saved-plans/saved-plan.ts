import {createHash} from 'node:crypto'
import type {CommitInfo} from '../manifests/desired.js'
import type {Plan} from '../reconcile/plan.js'

/** Version of the saved plan file (schemas/output/saved-plan.json). */
export const savedPlanApiVersion = 'tsctl.io/v1'

/** What a plan was made from: if any of it moved, the plan is stale (Terraform's rule). */
export interface PlanOrigin {
  /** the state read (null: the fleet had no state yet) */
  state: {lineage: string; serial: number} | null
  /** where the state was read, e.g. `git origin refs/tsctl/state` (informational) */
  backend: string
  /** the commit whose manifests were planned (with --base: the merge of --ref into --base) */
  commit: CommitInfo
  /** --ref as given */
  ref: string
  /** --base, when the plan is of a merge */
  base?: {ref: string; sha: string}
}

/**
 * `tsctl diff --out plan.json`: the first plan exactly as `tsctl sync` would
 * execute it, what it was made from, and a hash of both. Mode 0600: create
 * actions carry whole pods, whose env may hold values derived from Secrets.
 */
export interface SavedPlan {
  apiVersion: typeof savedPlanApiVersion
  kind: 'SavedPlan'
  /** ISO; informational (staleness is decided by `from`, never by age) */
  created: string
  from: PlanOrigin
  plan: Plan
  /** `sha256:<hex>` of the canonical JSON (sorted keys) of {from, plan}: a damaged or edited file is refused */
  hash: string
}

/** JSON with object keys sorted at every level, so the hash does not depend on key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

/** The hash a SavedPlan carries. Pure. */
export function planHash(from: PlanOrigin, plan: Plan): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson({from, plan})).digest('hex')
}

/** Builds the saved plan document (pure; `created` is the caller's clock). */
export function makeSavedPlan(from: PlanOrigin, plan: Plan, created: string): SavedPlan {
  return {apiVersion: savedPlanApiVersion, kind: 'SavedPlan', created, from, plan, hash: planHash(from, plan)}
}
