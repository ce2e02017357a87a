/**
 * Label selectors as Kubernetes evaluates them (matchLabels AND every
 * matchExpressions requirement). Pure; validation uses it to check that a
 * workload's selector matches its own template.
 */
export interface LabelSelectorLike {
  matchLabels?: Record<string, string>
  matchExpressions?: {key: string; operator: string; values?: string[]}[]
}

/** Whether `labels` satisfy `selector`. An empty selector matches everything. */
export function selectorMatches(selector: LabelSelectorLike, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key)
    const values = r.values ?? []
    switch (r.operator) {
      case 'In':
        if (!has || !values.includes(labels[r.key])) return false
        break
      case 'NotIn':
        if (has && values.includes(labels[r.key])) return false
        break
      case 'Exists':
        if (!has) return false
        break
      case 'DoesNotExist':
        if (has) return false
        break
      default:
        return false
    }
  }
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
