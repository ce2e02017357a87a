import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {nextAfter, parseCron, validTimeZone, type CronSchedule} from '../../../src/reconcile/cron.js'

function sched(expr: string): CronSchedule {
  const r = parseCron(expr)
  if (!r.ok) throw new Error(r.error)
  return r.schedule
}
const at = (iso: string) => Date.parse(iso)
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())

test('parses lists, ranges, steps and names', () => {
  const s = sched('0,30 9-17/2 * JAN-mar mon-FRI')
  assert.equal(s.minutes, [0, 30])
  assert.equal(s.hours, [9, 11, 13, 15, 17])
  assert.equal(s.months, [1, 2, 3])
  assert.equal(s.daysOfWeek, [1, 2, 3, 4, 5])
  assert.equal(sched('*/15 * * * *').minutes, [0, 15, 30, 45])
  assert.equal(sched('5/20 * * * *').minutes, [5, 25, 45])
  assert.equal(sched('0 0 * * 7').daysOfWeek, [0])
  assert.equal(sched('@hourly').minutes, [0])
})

test('rejects what robfig/cron rejects, naming the field', () => {
  const bad: Array<[string, RegExp]> = [
    ['* * * *', /exactly 5 fields/],
    ['60 * * * *', /minute field.*out of range/],
    ['* 24 * * *', /hour field/],
    ['* * 0 * *', /day of month field/],
    ['* * * 13 *', /month field/],
    ['* * * * 8', /day of week field/],
    ['*/0 * * * *', /step/],
    ['5-1 * * * *', /backwards/],
    ['@often', /unknown descriptor/],
    ['TZ=UTC * * * * *', /time zones/],
    ['a * * * *', /not a number/],
    ['1,,2 * * * *', /empty list item/],
  ]
  for (const [expr, re] of bad) {
    const r = parseCron(expr)
    assert.is(r.ok, false, expr)
    if (!r.ok) assert.match(r.error, re, expr)
  }
})

test('nextAfter is strictly after and lands on whole minutes', () => {
  assert.is(iso(nextAfter(sched('*/5 * * * *'), at('2026-01-01T10:00:00Z'))), '2026-01-01T10:05:00.000Z')
  assert.is(iso(nextAfter(sched('*/5 * * * *'), at('2026-01-01T10:04:59Z'))), '2026-01-01T10:05:00.000Z')
  assert.is(iso(nextAfter(sched('@daily'), at('2026-01-31T23:59:00Z'))), '2026-02-01T00:00:00.000Z')
  assert.is(iso(nextAfter(sched('@yearly'), at('2026-06-01T00:00:00Z'))), '2027-01-01T00:00:00.000Z')
  assert.is(iso(nextAfter(sched('30 2 * * *'), at('2026-03-10T02:30:00Z'))), '2026-03-11T02:30:00.000Z')
})

test('day-of-month and day-of-week: OR when both restricted, AND when one is *', () => {
  // 2026-03-01 is a Sunday
  const either = sched('0 0 13 * 5') // the 13th, or any Friday
  assert.is(iso(nextAfter(either, at('2026-03-01T00:00:00Z'))), '2026-03-06T00:00:00.000Z')
  const fridays = sched('0 0 * * 5')
  assert.is(iso(nextAfter(fridays, at('2026-03-06T00:00:00Z'))), '2026-03-13T00:00:00.000Z')
})

test('leap days and impossible dates', () => {
  assert.is(iso(nextAfter(sched('0 0 29 2 *'), at('2026-01-01T00:00:00Z'))), '2028-02-29T00:00:00.000Z')
  assert.is(nextAfter(sched('0 0 30 2 *'), at('2026-01-01T00:00:00Z')), null)
})

test('time zones: wall-clock schedules across DST changes', () => {
  const nine = sched('0 9 * * *')
  // New York: EST (UTC−5) in January, EDT (UTC−4) in July
  assert.is(iso(nextAfter(nine, at('2026-01-15T00:00:00Z'), 'America/New_York')), '2026-01-15T14:00:00.000Z')
  assert.is(iso(nextAfter(nine, at('2026-07-15T00:00:00Z'), 'America/New_York')), '2026-07-15T13:00:00.000Z')
  // the day clocks spring forward (2026-03-08), 09:00 is EDT already
  assert.is(iso(nextAfter(nine, at('2026-03-08T00:00:00Z'), 'America/New_York')), '2026-03-08T13:00:00.000Z')
  // 01:30 happens twice when clocks fall back (2026-11-01): it fires once, at the first, as cron does
  const half = sched('30 1 * * *')
  const first = nextAfter(half, at('2026-11-01T04:00:00Z'), 'America/New_York')
  assert.is(iso(first), '2026-11-01T05:30:00.000Z')
  assert.is(iso(nextAfter(half, first!, 'America/New_York')), '2026-11-02T06:30:00.000Z')
  assert.is(iso(nextAfter(nine, at('2026-01-15T00:00:00Z'), 'UTC')), '2026-01-15T09:00:00.000Z')
  assert.ok(validTimeZone('Europe/Berlin'))
  assert.not.ok(validTimeZone('Mars/Olympus_Mons'))
})

test.run()
