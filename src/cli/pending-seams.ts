/**
 * TEMPORARY SHIM — delete this file when src/manifests/load.ts (manifests
 * helper) and src/reconcile/{reconcile,converge,assume}.ts (controllers
 * helper) are on main, and import them statically instead.
 *
 * Until then the commands call the other helpers' functions through these
 * wrappers, which import the real modules by path at run time (so this
 * branch compiles without them) and fail with a clear message when a module
 * is not in this build. The signatures are the ones agreed in issue 2.
 */
import type {Desired} from '../manifests/desired.js'
import type {Observed} from '../reconcile/observed.js'
import type {Plan} from '../reconcile/plan.js'
import {UserError} from '../errors.js'
import type {State, StateEvent} from '../state/model.js'

export interface ReconcileInput {
  desired: Desired
  state: State
  observed: Observed
  /** epoch ms */
  now: number
  options?: {prune?: boolean; nodeGraceMs?: number}
}

export interface ReconcileResult {
  state: State
  plan: Plan
  events: StateEvent[]
}

/** converge: reconcile, assume every plan succeeds as planned, repeat until nothing is left. */
export interface ConvergeResult {
  /** the first pass: exactly what `sync` would execute first */
  first: ReconcileResult
  /** the last pass: its state is the converged end state */
  final: ReconcileResult
  passes: number
  /** why it is not fully converged: unschedulable pods, unreachable nodes, a pass limit hit */
  stuck: string[]
}

async function importSeam(rel: string, exportName: string): Promise<(...args: unknown[]) => unknown> {
  const url = new URL(rel, import.meta.url).href
  let mod: Record<string, unknown>
  try {
    mod = (await import(url)) as Record<string, unknown>
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(rel.replace('../', ''))) {
      throw new UserError(`this build of tsctl has no ${rel.replace('../', 'src/').replace(/\.js$/, '.ts')} yet (${exportName} is not implemented)`)
    }
    throw err
  }
  const fn = mod[exportName]
  if (typeof fn !== 'function') throw new UserError(`this build of tsctl has no ${exportName}() in ${rel}`)
  return fn as (...args: unknown[]) => unknown
}

export async function loadDesired(opts: {repo: string; ref: string}): Promise<Desired> {
  return (await (await importSeam('../manifests/load.js', 'loadDesired'))(opts)) as Desired
}

export async function reconcile(input: ReconcileInput): Promise<ReconcileResult> {
  return (await (await importSeam('../reconcile/reconcile.js', 'reconcile'))(input)) as ReconcileResult
}

export async function converge(input: ReconcileInput): Promise<ConvergeResult> {
  return (await (await importSeam('../reconcile/converge.js', 'converge'))(input)) as ConvergeResult
}

export async function observedFromState(state: State, now: number): Promise<Observed> {
  return (await (await importSeam('../reconcile/assume.js', 'observedFromState'))(state, now)) as Observed
}
