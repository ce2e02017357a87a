/**
 * Label selectors as Kubernetes evaluates them (matchLabels AND every
 * matchExpressions requirement). Pure; validation uses it to check that a
 * workload's selector matches its own template.
 */
export interface LabelSelectorLike {
  matchLabels?: Record<string, string>
  matchExpressions?: {key: string; operator: string; values?: string[]}[]
}

/** Operators of a requirement; Gt/Lt exist only in node selector terms. */
export const enum Op {
  In,
  NotIn,
  Exists,
  DoesNotExist,
  Gt,
  Lt,
  /** an operator apimachinery would reject: the requirement never matches */
  Invalid,
}

/** One requirement, compiled: the single definition of how a label requirement matches. */
export interface Requirement {
  key: string
  op: Op
  values: readonly string[]
  /** In/NotIn with one value: compared directly, no array scan */
  one: string | undefined
  /** Gt/Lt bound */
  num: number
}

const opOf: Record<string, Op> = {In: Op.In, NotIn: Op.NotIn, Exists: Op.Exists, DoesNotExist: Op.DoesNotExist, Gt: Op.Gt, Lt: Op.Lt}
/** LabelSelectorAsSelector accepts only these four; Gt/Lt are node-affinity only. */
const labelSelectorOps = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist'])
const intPattern = /^[+-]?\d+$/

export function requirement(key: string, operator: string, values: readonly string[] = []): Requirement {
  const op = opOf[operator] ?? Op.Invalid
  let num = NaN
  if (op === Op.Gt || op === Op.Lt) num = values.length === 1 && intPattern.test(values[0]) ? Number(values[0]) : NaN
  return {key, op, values, one: values.length === 1 ? values[0] : undefined, num}
}

/** A metav1.LabelSelector's matchExpressions entry: only the four label-selector operators are valid. */
export function labelRequirement(key: string, operator: string, values: readonly string[] = []): Requirement {
  return requirement(key, labelSelectorOps.has(operator) ? operator : 'Invalid', values)
}

/** Whether `labels` satisfy one requirement (NotIn and DoesNotExist match a missing label). */
export function matchRequirement(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  // typeof, not `in`: a key like "constructor" must not find Object.prototype's (and it is cheaper than hasOwn in the scheduler's loop).
  const raw: unknown = labels[r.key]
  const v = typeof raw === 'string' ? raw : undefined
  switch (r.op) {
    case Op.In:
      if (v === undefined) return false
      return r.one !== undefined ? v === r.one : r.values.includes(v)
    case Op.NotIn:
      if (v === undefined) return true
      return r.one !== undefined ? v !== r.one : !r.values.includes(v)
    case Op.Exists:
      return v !== undefined
    case Op.DoesNotExist:
      return v === undefined
    case Op.Gt:
    case Op.Lt: {
      if (v === undefined || Number.isNaN(r.num) || !intPattern.test(v)) return false
      const n = Number(v)
      return r.op === Op.Gt ? n > r.num : n < r.num
    }
    default:
      return false
  }
}

/**
 * Whether `labels` satisfy `selector`. An empty selector matches
 * everything. The scheduler's compiled Selector
 * (reconcile/scheduler/selector.ts) uses the same requirements.
 */
export function selectorMatches(selector: LabelSelectorLike, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (!matchRequirement(requirement(k, 'In', [v]), labels)) return false
  for (const r of selector.matchExpressions ?? []) if (!matchRequirement(labelRequirement(r.key, r.operator, r.values ?? []), labels)) return false
  return true
}

/** Problems in the selector's own syntax (values required for In/NotIn, forbidden for Exists/DoesNotExist). */
export function selectorProblems(selector: LabelSelectorLike): {index: number; message: string}[] {
  const out: {index: number; message: string}[] = []
  ;(selector.matchExpressions ?? []).forEach((r, index) => {
    const n = r.values?.length ?? 0
    if ((r.operator === 'In' || r.operator === 'NotIn') && n === 0) out.push({index, message: `operator ${r.operator} needs at least one value`})
    if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && n > 0) out.push({index, message: `operator ${r.operator} takes no values`})
  })
  return out
}
