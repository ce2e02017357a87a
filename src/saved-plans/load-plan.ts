import {readFile} from 'node:fs/promises'
import {UserError} from '../errors.js'
import {type SavedPlan, planHash, savedPlanApiVersion} from './saved-plan.js'

const actionTypes = new Set(['create', 'delete', 'replace', 'updateFiles', 'deleteClaim', 'network'])

/**
 * Reads a plan written by `tsctl diff --out`. Throws UserError (exit 2) when
 * the file is missing, not JSON, not a saved plan, or its hash does not
 * match its content (damaged or edited: a plan is applied exactly or not at all).
 */
export async function loadPlan(path: string): Promise<SavedPlan> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new UserError(`${path}: cannot read the plan (${code ?? (err as Error).message})`, undefined, [], 'make one with `tsctl diff --out PATH`')
  }
  let v: Record<string, unknown>
  try {
    v = JSON.parse(text) as Record<string, unknown>
  } catch (err) {
    throw new UserError(`${path}: the plan is not valid JSON: ${(err as Error).message}`, undefined, [], 'make one with `tsctl diff --out PATH`')
  }
  const problems = shapeProblems(v)
  if (problems.length) throw new UserError(`${path}: not a tsctl saved plan: ${problems.join('; ')}`, undefined, [], 'make one with `tsctl diff --out PATH`')
  const saved = v as unknown as SavedPlan
  if (planHash(saved.from, saved.plan) !== saved.hash) {
    throw new UserError(`${path}: the plan does not match its hash: it was damaged or edited after \`tsctl diff --out\` wrote it`, undefined, [], 'run tsctl diff --out again')
  }
  return saved
}

function shapeProblems(v: Record<string, unknown>): string[] {
  const p: string[] = []
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return ['expected a JSON object']
  if (v.apiVersion !== savedPlanApiVersion) p.push(`apiVersion must be ${savedPlanApiVersion} (this tsctl reads no other)`)
  if (v.kind !== 'SavedPlan') p.push('kind must be SavedPlan')
  if (typeof v.hash !== 'string') p.push('no hash')
  const from = v.from as Record<string, unknown> | undefined
  if (!from || typeof from !== 'object') p.push('no "from"')
  else {
    const st = from.state as Record<string, unknown> | null | undefined
    if (st !== null && (typeof st !== 'object' || typeof st?.lineage !== 'string' || typeof st?.serial !== 'number')) p.push('from.state must be null or {lineage, serial}')
    const c = from.commit as Record<string, unknown> | undefined
    if (!c || typeof c.sha !== 'string') p.push('from.commit.sha missing')
  }
  const plan = v.plan as Record<string, unknown> | undefined
  if (!plan || !Array.isArray(plan.actions)) p.push('plan.actions must be an array')
  else if (plan.actions.some((a: Record<string, unknown>) => !a || !actionTypes.has(a.type as string) || typeof a.node !== 'string' || typeof a.target !== 'string')) p.push('plan.actions holds an unknown action')
  return p
}
