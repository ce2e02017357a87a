import {UserError} from '../errors.js'

/**
 * A duration flag: `90` (seconds), `500ms`, `30s`, `5m`, `1h`, or Go-style
 * sums like `1m30s`. Returns milliseconds; UserError (exit 2) naming FLAG otherwise.
 */
export function parseDuration(text: string, flag: string): number {
  const s = text.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000)
  const unit: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}
  let total = 0
  let rest = s
  while (rest.length) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest)
    if (!m) throw new UserError(`--${flag}: ${JSON.stringify(text)} is not a duration`, undefined, [], 'write e.g. 30s, 5m, 1m30s or a number of seconds')
    total += Number(m[1]) * unit[m[2]]
    rest = rest.slice(m[0].length)
  }
  if (!s.length) throw new UserError(`--${flag}: empty duration`)
  return Math.round(total)
}
