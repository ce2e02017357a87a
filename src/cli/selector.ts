import {UserError} from '../errors.js'

type Requirement =
  | {op: '=' | '!='; key: string; value: string}
  | {op: 'in' | 'notin'; key: string; values: string[]}
  | {op: 'exists' | '!exists'; key: string}

/**
 * A label selector as kubectl's `-l` takes it: comma-separated
 * requirements `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`,
 * `!k`. Returns a predicate over an object's labels. Exit 2 on bad syntax.
 */
export function parseSelector(text: string): (labels: Record<string, string> | undefined) => boolean {
  const reqs: Requirement[] = []
  // split on commas that are not inside parentheses
  const parts: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(cur)
      cur = ''
    } else cur += ch
  }
  parts.push(cur)
  for (const raw of parts) {
    const p = raw.trim()
    if (!p) continue
    let m: RegExpExecArray | null
    if ((m = /^([A-Za-z0-9._/-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      reqs.push({op: m[2] as 'in' | 'notin', key: m[1]!, values: m[3]!.split(',').map((v) => v.trim()).filter(Boolean)})
    } else if ((m = /^([A-Za-z0-9._/-]+)\s*(!=|==|=)\s*([A-Za-z0-9._-]*)$/.exec(p))) {
      reqs.push({op: m[2] === '!=' ? '!=' : '=', key: m[1]!, value: m[3]!})
    } else if ((m = /^!\s*([A-Za-z0-9._/-]+)$/.exec(p))) {
      reqs.push({op: '!exists', key: m[1]!})
    } else if ((m = /^([A-Za-z0-9._/-]+)$/.exec(p))) {
      reqs.push({op: 'exists', key: m[1]!})
    } else {
      throw new UserError(`invalid label selector "${text}": cannot parse "${p}"`, undefined, [], 'e.g. -l app=web,tier!=cache or -l "env in (prod,staging)"')
    }
  }
  return (labels) => {
    const l = labels ?? {}
    return reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(l, r.key)
      switch (r.op) {
        case '=':
          return has && l[r.key] === r.value
        case '!=':
          return !has || l[r.key] !== r.value
        case 'in':
          return has && r.values.includes(l[r.key]!)
        case 'notin':
          return !has || !r.values.includes(l[r.key]!)
        case 'exists':
          return has
        case '!exists':
          return !has
      }
    })
  }
}
