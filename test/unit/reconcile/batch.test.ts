import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {cronjob, desired, job, node, T0, World} from './fixtures.js'

const fleet = () => [node('a'), node('b')]
const condition = (o: {status?: {conditions?: Array<{type: string; reason?: string; status: string}>}}, type: string) =>
  o.status?.conditions?.find((c) => c.type === type)

test('Job: completions 3, parallelism 2 → two pods, then one, then Complete', () => {
  const w = new World(desired([...fleet(), job('migrate').completions(3).parallelism(2)]))
  const r1 = w.step() // simulated pods of Jobs succeed at once
  assert.is(r1.plan.actions.length, 2)
  const r2 = w.step()
  assert.is(r2.plan.actions.length, 1)
  w.pass()
  const j = w.get('Job/default/migrate')
  assert.is(j.status.succeeded, 3)
  assert.is(condition(j, 'Complete')?.status, 'True')
  assert.is(w.pass().plan.actions.length, 0)
})

test('Job: failed pods count against backoffLimit, then BackoffLimitExceeded', () => {
  const w = new World(desired([...fleet(), job('flaky').backoffLimit(1)]))
  const failNew = (r: ReturnType<World['pass']>) => {
    w.apply()
    for (const a of r.plan.actions) if (a.type === 'create') w.setPhase(a.pod.metadata.name, 'Failed')
  }
  failNew(w.pass())
  w.advance(10_000) // the backoff delay after one failure
  const r2 = w.pass()
  assert.is(r2.plan.actions.length, 1, 'one failure ≤ backoffLimit 1: retry')
  failNew(r2)
  const r3 = w.pass()
  assert.is(r3.plan.actions.length, 0)
  const j = w.get('Job/default/flaky')
  assert.is(condition(j, 'Failed')?.reason, 'BackoffLimitExceeded')
  assert.is(j.status.failed, 2)
})

test('Job: a failed pod is retried after the backoff delay (10 s, then 20 s)', () => {
  const w = new World(desired([...fleet(), job('retry').backoffLimit(5)]))
  const failAll = () => {
    for (const n of Object.values(w.observed.nodes))
      for (const p of n.pods)
        if (p.phase !== 'Failed') {
          p.phase = 'Failed'
          p.ready = false
          p.containers = p.containers.map((c) => ({...c, state: 'terminated', exitCode: 1, finishedAt: w.now, ready: false}))
        }
  }
  w.step()
  failAll()
  assert.is(w.pass().plan.actions.length, 0, 'within 10 s of the failure')
  w.advance(10_000)
  assert.is(w.step().plan.actions.length, 1)
  failAll()
  w.advance(10_000)
  assert.is(w.pass().plan.actions.length, 0, 'second failure: 20 s')
  w.advance(10_000)
  assert.is(w.pass().plan.actions.length, 1)
})

/** The pods the last pass created end as PHASE, finished now (simulated Job pods otherwise succeed at once). */
function finishAll(w: World, phase: 'Failed' | 'Succeeded') {
  const made = new Set(w.last.plan.actions.filter((a) => a.type === 'create').map((a) => a.target.split('/')[2]))
  for (const n of Object.values(w.observed.nodes))
    for (const p of n.pods)
      if (made.has(p.name)) {
        p.phase = phase
        p.ready = false
        p.containers = p.containers.map((c) => ({...c, state: 'terminated', exitCode: phase === 'Failed' ? 1 : 0, finishedAt: w.now, ready: false}))
      }
}

test('Job: restarts in place (OnFailure) fail the Job when they reach backoffLimit (pastBackoffLimitOnFailure: >=, not >)', () => {
  const w = new World(desired([...fleet(), job('inplace').restartPolicy('OnFailure').backoffLimit(2)]))
  w.step()
  const restart = (n: number) => {
    for (const node of Object.values(w.observed.nodes)) for (const p of node.pods) { p.phase = 'Running'; p.containers = p.containers.map((c) => ({...c, state: 'running', restartCount: n})) }
  }
  restart(1)
  w.pass()
  assert.is(condition(w.get('Job/default/inplace'), 'Failed'), undefined, 'one restart < 2')
  restart(2)
  w.pass()
  assert.is(condition(w.get('Job/default/inplace'), 'Failed')?.reason, 'BackoffLimitExceeded', 'two restarts reach backoffLimit 2')
})

test('Job: the backoff counts failures since the last success, and is capped at 10 minutes', () => {
  const w = new World(desired([...fleet(), job('batch').completions(3).backoffLimit(20)]))
  w.pass()
  w.apply()
  finishAll(w, 'Failed')
  w.advance(10_000)
  w.step()
  finishAll(w, 'Failed')
  w.advance(20_000)
  w.step()
  finishAll(w, 'Succeeded')
  const r = w.step()
  assert.is(r.plan.actions.length, 1, 'a success: the next pod comes at once')
  finishAll(w, 'Failed')
  w.advance(9_999)
  assert.is(w.pass().plan.actions.length, 0, 'one failure since the success: 10 s, not 40 s')
  w.advance(1)
  assert.is(w.pass().plan.actions.length, 1)
  // many failures: the wait stops growing at 10 min (older releases: 6 min)
  const many = new World(desired([...fleet(), job('many').backoffLimit(50)]))
  many.pass()
  many.apply()
  let wait = 10_000
  for (let i = 1; i <= 8; i++) {
    finishAll(many, 'Failed')
    many.advance(wait - 1)
    assert.is(many.pass().plan.actions.length, 0, `failure ${i}: still waiting at ${wait - 1} ms`)
    many.advance(1)
    assert.is(many.step().plan.actions.length, 1, `failure ${i}: a new pod after ${wait} ms`)
    wait = Math.min(600_000, wait * 2)
  }
  assert.is(wait, 600_000)
})

test('Job: activeDeadlineSeconds stops the running pod', () => {
  const w = new World(desired([...fleet(), job('slow').activeDeadline(60)]))
  w.pass()
  w.apply()
  w.setPhase(w.running('slow')[0], 'Running')
  w.advance(61_000)
  const r = w.pass()
  assert.equal(r.plan.actions.map((a) => a.type), ['delete'])
  assert.is(condition(w.get('Job/default/slow'), 'Failed')?.reason, 'DeadlineExceeded')
})

test('CronJob: runs the most recent missed time once, named after it', () => {
  const w = new World(desired([...fleet(), cronjob('report').schedule('*/5 * * * *')]))
  w.pass() // created at T0 (12:00): nothing due yet
  assert.is(w.objects('Job').length, 0)
  w.advance(12 * 60_000) // 12:12 — 12:05 and 12:10 were due; only 12:10 runs
  const r = w.pass()
  const jobs = w.objects('Job')
  assert.equal(jobs.map((j) => j.metadata.name), [`report-${Math.floor((T0 + 10 * 60_000) / 60_000)}`])
  assert.is(jobs[0].metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-03-01T12:10:00.000Z')
  assert.is(r.plan.actions.length, 1)
  assert.is(w.get('CronJob/default/report').status.lastScheduleTime, '2026-03-01T12:10:00.000Z')
  const again = w.pass()
  assert.is(w.objects('Job').length, 1, 'same time: no second job')
  assert.equal(again.plan.actions.map((a) => a.target), r.plan.actions.map((a) => a.target), 'the unapplied create is planned again, same name')
})

test('CronJob: startingDeadlineSeconds skips a time past its window', () => {
  const w = new World(desired([...fleet(), cronjob('report').schedule('0 * * * *').startingDeadline(120)]))
  w.pass()
  w.advance(63 * 60_000) // 13:03, the 13:00 run is 3 min late > 120 s
  w.pass()
  assert.is(w.objects('Job').length, 0)
})

test('CronJob: Forbid skips while a job runs; Replace deletes it', () => {
  for (const policy of ['Forbid', 'Replace'] as const) {
    const w = new World(desired([...fleet(), cronjob('sync').schedule('*/5 * * * *').policy(policy)]))
    w.pass()
    w.advance(5 * 60_000)
    w.pass()
    w.apply()
    const first = w.objects('Job')[0].metadata.name
    for (const p of w.running('sync')) w.setPhase(p, 'Running')
    w.advance(5 * 60_000)
    const r = w.pass()
    const names = w.objects('Job').map((j) => j.metadata.name).sort()
    if (policy === 'Forbid') {
      assert.equal(names, [first])
      assert.is(r.plan.actions.length, 0)
      assert.ok(w.state.events.some((e) => e.reason === 'JobAlreadyActive'))
    } else {
      assert.is(names.length, 1)
      assert.is.not(names[0], first)
      assert.equal(r.plan.actions.map((a) => a.type).sort(), ['create', 'delete'])
    }
  }
})

test('CronJob: suspend, and successful history limit 3', () => {
  const w = new World(desired([...fleet(), cronjob('tick').schedule('* * * * *')]))
  for (let i = 0; i < 6; i++) {
    w.advance(60_000)
    w.step()
  }
  w.pass()
  const done = w.objects('Job').filter((j) => condition(j, 'Complete'))
  assert.is(done.length, 3)
  assert.is(w.objects('Job').length, 3, 'older finished jobs deleted')
  w.desired = desired([...fleet(), cronjob('tick').schedule('* * * * *').suspend()])
  w.advance(60_000)
  w.pass()
  assert.is(w.pass().plan.actions.filter((a) => a.type === 'create').length, 0)
})

test('CronJob: spec.timeZone reads the schedule in that zone; an unknown zone is reported', () => {
  const w = new World(desired([...fleet(), cronjob('morning').schedule('0 9 * * *').set((o) => (o.spec.timeZone = 'America/New_York'))]))
  w.pass() // 12:00Z is 07:00 in New York
  w.advance(2 * 3_600_000 + 60_000) // 14:01Z = 09:01 EST
  w.pass()
  assert.equal(w.objects('Job').map((j) => j.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp']), ['2026-03-01T14:00:00.000Z'])
  const bad = new World(desired([...fleet(), cronjob('x').set((o) => (o.spec.timeZone = 'Mars/Olympus_Mons'))]))
  bad.advance(3_600_000)
  bad.pass()
  assert.is(bad.objects('Job').length, 0)
  assert.ok(bad.state.events.some((e) => e.reason === 'UnknownTimeZone'))
})

test.run()
