/**
 * Cron schedules as Kubernetes CronJobs read them (robfig/cron's standard
 * parser): five fields `minute hour day-of-month month day-of-week`, each a
 * list of `*`, `?`, `N`, `A-B`, `*\/S`, `A-B/S` or `A/S` (A to the end, step S);
 * month and weekday names (JAN, mon); weekday 7 is Sunday; and the macros
 * @yearly @annually @monthly @weekly @daily @midnight @hourly.
 *
 * Like Vixie cron, when both day-of-month and day-of-week are restricted a
 * day matches if EITHER matches; when one of them is `*` both must match.
 * Times are UTC unless a CronJob's `spec.timeZone` (an IANA name, resolved
 * with the tz database built into Node's Intl) says otherwise.
 *
 * Pure: used by validation (`parseCron`) and by the CronJob controller
 * (`nextAfter`).
 */

export interface CronSchedule {
  /** the expression as written */
  source: string
  minutes: readonly number[]
  hours: readonly number[]
  daysOfMonth: readonly number[]
  months: readonly number[]
  /** 0 = Sunday … 6 = Saturday (7 is folded into 0) */
  daysOfWeek: readonly number[]
  /** the day-of-month field was `*` or `?` */
  domStar: boolean
  /** the day-of-week field was `*` or `?` */
  dowStar: boolean
}

export type CronParse = {ok: true; schedule: CronSchedule} | {ok: false; error: string}

const macros: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

interface FieldSpec {
  name: string
  min: number
  max: number
  names?: string[]
  /** value of names[0] */
  namesBase?: number
}

const fields: FieldSpec[] = [
  {name: 'minute', min: 0, max: 59},
  {name: 'hour', min: 0, max: 23},
  {name: 'day of month', min: 1, max: 31},
  {name: 'month', min: 1, max: 12, names: monthNames, namesBase: 1},
  {name: 'day of week', min: 0, max: 7, names: dayNames, namesBase: 0},
]

/**
 * Parse a cron expression. Never throws: returns `{ok: false, error}` with a
 * message naming the field, for validation to report at the field's position.
 */
export function parseCron(expr: string): CronParse {
  const source = expr
  let text = expr.trim()
  if (/^(CRON_)?TZ=/.test(text)) {
    return {ok: false, error: 'time zones in the schedule (TZ=/CRON_TZ=) are not supported; schedules are UTC'}
  }
  if (text.startsWith('@')) {
    if (text.startsWith('@every')) return {ok: false, error: '@every is not supported; write a 5-field schedule'}
    const m = macros[text.toLowerCase()]
    if (!m) return {ok: false, error: `unknown descriptor "${text}" (expected one of ${Object.keys(macros).join(', ')})`}
    text = m
  }
  const parts = text.split(/\s+/).filter((p) => p !== '')
  if (parts.length !== 5) {
    return {ok: false, error: `expected exactly 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`}
  }
  const values: number[][] = []
  for (let i = 0; i < 5; i++) {
    const r = parseField(parts[i], fields[i])
    if (typeof r === 'string') return {ok: false, error: `${fields[i].name} field "${parts[i]}": ${r}`}
    values.push(r)
  }
  const dows = [...new Set(values[4].map((d) => (d === 7 ? 0 : d)))].sort((a, b) => a - b)
  return {
    ok: true,
    schedule: {
      source,
      minutes: values[0],
      hours: values[1],
      daysOfMonth: values[2],
      months: values[3],
      daysOfWeek: dows,
      domStar: parts[2] === '*' || parts[2] === '?',
      dowStar: parts[4] === '*' || parts[4] === '?',
    },
  }
}

function parseValue(text: string, spec: FieldSpec): number | string {
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    if (n < spec.min || n > spec.max) return `${n} is out of range ${spec.min}-${spec.max}`
    return n
  }
  if (spec.names) {
    const i = spec.names.indexOf(text.toLowerCase())
    if (i >= 0) return i + (spec.namesBase ?? 0)
  }
  return `"${text}" is not a number${spec.names ? ' or a name' : ''}`
}

function parseField(text: string, spec: FieldSpec): number[] | string {
  const out = new Set<number>()
  for (const item of text.split(',')) {
    if (item === '') return 'empty list item'
    const [range, stepText, extra] = item.split('/')
    if (extra !== undefined) return `"${item}" has more than one "/"`
    let step = 1
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) return `step "${stepText}" must be a positive number`
      step = Number(stepText)
    }
    let lo: number
    let hi: number
    if (range === '*' || range === '?') {
      lo = spec.min
      hi = spec.max
      // `*` in day-of-week covers 0-6; 7 is only an alias for Sunday
      if (spec.name === 'day of week') hi = 6
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-')
      if (more !== undefined) return `"${range}" is not a range`
      const av = parseValue(a, spec)
      const bv = parseValue(b, spec)
      if (typeof av === 'string') return av
      if (typeof bv === 'string') return bv
      if (av > bv) return `range ${a}-${b} goes backwards`
      lo = av
      hi = bv
    } else {
      const v = parseValue(range, spec)
      if (typeof v === 'string') return v
      lo = v
      // robfig: "N/S" means N through the end of the field, every S
      hi = stepText !== undefined ? spec.max : v
    }
    for (let v = lo; v <= hi; v += step) out.add(v)
  }
  return [...out].sort((a, b) => a - b)
}

const MINUTE = 60_000
/** A schedule with no match in this many years never fires (e.g. "0 0 30 2 *"). */
const SEARCH_YEARS = 9

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** Whether `timeZone` is an IANA name Node knows (for validation of `spec.timeZone`). */
export function validTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone)
    return true
  } catch {
    return false
  }
}

/** The wall-clock time in `timeZone` at instant `t`, expressed as if it were UTC. */
function wallOf(t: number, timeZone: string): number {
  const p: Record<string, number> = {}
  for (const part of formatter(timeZone).formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value)
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) + (t % 1000 + 1000) % 1000
}

/** The instant whose wall-clock time in `timeZone` is `wall`; a time skipped by a DST jump maps past the jump. */
function instantOf(wall: number, timeZone: string): number {
  const guess = wall - (wallOf(wall, timeZone) - wall)
  return wall - (wallOf(guess, timeZone) - guess)
}

/**
 * The first time strictly after `time` (epoch ms) the schedule fires, in
 * epoch ms at a whole minute, or null when it never fires. The schedule's
 * fields are read in `timeZone` (default UTC).
 */
export function nextAfter(schedule: CronSchedule, time: number, timeZone?: string): number | null {
  if (!timeZone || timeZone === 'UTC' || timeZone === 'Etc/UTC') return nextAfterUTC(schedule, time)
  let wall = wallOf(time, timeZone)
  for (let i = 0; i < 1000; i++) {
    const w = nextAfterUTC(schedule, wall)
    if (w === null) return null
    const t = instantOf(w, timeZone)
    // in the hour repeated when clocks go back, a wall time maps to an instant already passed: look further
    if (t > time) return t
    wall = w
  }
  return null
}

function nextAfterUTC(schedule: CronSchedule, time: number): number | null {
  const has = (list: readonly number[], v: number) => list.includes(v)
  let t = Math.floor(time / MINUTE) * MINUTE + MINUTE
  const limitYear = new Date(t).getUTCFullYear() + SEARCH_YEARS
  for (;;) {
    const d = new Date(t)
    const y = d.getUTCFullYear()
    if (y > limitYear) return null
    const mo = d.getUTCMonth()
    const day = d.getUTCDate()
    if (!has(schedule.months, mo + 1)) {
      t = Date.UTC(y, mo + 1, 1)
      continue
    }
    if (!dayMatches(schedule, day, d.getUTCDay())) {
      t = Date.UTC(y, mo, day + 1)
      continue
    }
    const h = d.getUTCHours()
    if (!has(schedule.hours, h)) {
      t = Date.UTC(y, mo, day, h + 1)
      continue
    }
    if (!has(schedule.minutes, d.getUTCMinutes())) {
      t += MINUTE
      continue
    }
    return t
  }
}

function dayMatches(s: CronSchedule, dom: number, dow: number): boolean {
  const domOk = s.daysOfMonth.includes(dom)
  const dowOk = s.daysOfWeek.includes(dow)
  if (s.domStar || s.dowStar) return domOk && dowOk
  return domOk || dowOk
}
