// The watch loop against a recording sync: ordering, supersede, coalesce,
// resync, lock retries, stop. No git, no clock thresholds: the test waits
// for conditions and asserts on the recorded passes.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {watchLoop, type WatchRecord, type WatchLoopOptions} from '../../../src/gitops/watch-loop.js'
import {LockedError, UserError} from '../../../src/errors.js'
import {FakeBranch, RecordingSync, nullBackend, sha} from './fakes.js'

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

const running: AbortController[] = []
// a failed assertion must not leave a loop running (the file would never exit)
test.after.each(() => {
  for (const ac of running.splice(0)) ac.abort()
})

function start(branch: FakeBranch, sync: RecordingSync, extra: Partial<WatchLoopOptions> = {}) {
  const ac = new AbortController()
  running.push(ac)
  const records: WatchRecord[] = []
  const done = watchLoop({source: branch, order: branch, sync: sync.fn, backend: nullBackend, applied: null, resyncMs: 0, signal: ac.signal, emit: (r) => records.push(r), retryMs: {min: 1, max: 4}, ...extra})
  return {ac, records, done}
}

test('three commits pushed in quick succession each get their own pass, in order', async () => {
  const b = new FakeBranch()
  b.push(1)
  const s = new RecordingSync()
  // the first commit's rollout waits for readiness (many steps); 2 and 3 arrive meanwhile
  s.steps = (ref) => (ref === sha(1) ? 50 : 3)
  s.onStep = (ref, i) => {
    if (ref === sha(1) && i === 1) b.push(2, 3)
  }
  const w = start(b, s)
  await until(() => s.passes.length === 3 && w.records.some((r) => r.event === 'pass.end' && r.commit === sha(3)), 'three passes')
  w.ac.abort()
  const res = await w.done
  assert.equal(s.passes.map((p) => p.ref), [sha(1), sha(2), sha(3)])
  // the waiting rollout was superseded after the step in flight, not run to the end
  assert.ok(s.passes[0].stopped)
  assert.ok(s.passes[0].stepsRun < 50)
  assert.ok(w.records.some((r) => r.event === 'superseded' && r.commit === sha(1)))
  // commit 2 knew commit 3 was there: one step, then superseded too; 3 ran to the end
  assert.equal(s.passes[2], {ref: sha(3), stepsRun: 3, stopped: false})
  assert.equal(res.passes, 3)
  assert.equal(res.last, sha(3))
  assert.ok(b.closed, 'the tip source was closed')
})

test('--coalesce goes straight to the tip', async () => {
  const b = new FakeBranch()
  b.push(1)
  const s = new RecordingSync()
  s.steps = (ref) => (ref === sha(1) ? 50 : 1)
  s.onStep = (ref, i) => {
    if (ref === sha(1) && i === 0) b.push(2, 3, 4)
  }
  const w = start(b, s, {coalesce: true})
  await until(() => w.records.some((r) => r.event === 'pass.end' && r.commit === sha(4)), 'the tip')
  w.ac.abort()
  await w.done
  assert.equal(s.passes.map((p) => p.ref), [sha(1), sha(4)])
  assert.equal(w.records.find((r) => r.event === 'commit' && r.commit === sha(4))?.skipped, 2)
})

test('resumes after the applied commit: only newer commits get passes', async () => {
  const b = new FakeBranch()
  b.push(1, 2, 3)
  const s = new RecordingSync()
  const w = start(b, s, {applied: sha(2)})
  await until(() => s.passes.length === 1 && w.records.some((r) => r.event === 'pass.end'), 'one pass')
  w.ac.abort()
  await w.done
  assert.equal(s.passes.map((p) => p.ref), [sha(3)])
})

test('idle: periodic resync passes of the last commit', async () => {
  const b = new FakeBranch()
  b.push(1)
  const s = new RecordingSync()
  const w = start(b, s, {resyncMs: 5})
  await until(() => s.passes.length >= 3, 'resyncs')
  w.ac.abort()
  await w.done
  assert.ok(s.passes.every((p) => p.ref === sha(1)))
  const starts = w.records.filter((r) => r.event === 'pass.start')
  assert.equal(starts[0].reason, 'commit')
  assert.equal(starts[1].reason, 'resync')
})

test('no applied commit yet: the first pass is the tip, not the whole history', async () => {
  const b = new FakeBranch()
  b.push(1, 2, 3)
  const s = new RecordingSync()
  const w = start(b, s)
  await until(() => w.records.some((r) => r.event === 'pass.end'), 'a pass')
  w.ac.abort()
  await w.done
  assert.equal(s.passes.map((p) => p.ref), [sha(3)])
})

test('a commit rejected as invalid (exit 2) is not the one resyncs use', async () => {
  const b = new FakeBranch()
  b.push(1)
  const s = new RecordingSync()
  s.script = (ref) => (ref === sha(2) ? new UserError('manifests/web.yaml:3:1: bad') : undefined)
  s.onStep = (ref) => {
    if (ref === sha(1) && !b.commits.includes(sha(2))) b.push(2)
  }
  const w = start(b, s, {resyncMs: 5})
  await until(() => s.passes.length >= 4, 'passes')
  w.ac.abort()
  await w.done
  assert.equal(s.passes.slice(0, 2).map((p) => p.ref), [sha(1), sha(2)])
  assert.ok(s.passes.slice(2).every((p) => p.ref === sha(1)), 'resyncs keep the last valid commit')
  assert.ok(w.records.some((r) => r.event === 'pass.error' && r.exitCode === 2 && r.commit === sha(2)))
})

test('a locked state is retried (same commit, no commit skipped)', async () => {
  const b = new FakeBranch()
  b.push(1)
  const s = new RecordingSync()
  s.onStep = (ref) => {
    if (ref === sha(1) && !b.commits.includes(sha(2))) b.push(2)
  }
  s.script = (ref, call) => (call === 0 ? new LockedError('state is locked by "tsctl sync"') : call === 2 ? {exitCode: 3, converged: false, commit: null} : undefined)
  const w = start(b, s)
  await until(() => w.records.some((r) => r.event === 'pass.end' && r.commit === sha(2)), 'commit 2')
  w.ac.abort()
  const res = await w.done
  assert.equal(s.passes.map((p) => p.ref), [sha(1), sha(1), sha(2), sha(2)])
  assert.equal(res.passes, 2)
  assert.equal(w.records.filter((r) => r.event === 'pass.error').length, 2)
})

test('stop (SIGINT/SIGTERM) ends the pass after the step in flight', async () => {
  const b = new FakeBranch()
  b.push(1)
  const s = new RecordingSync()
  s.steps = () => 100
  let ac: AbortController | undefined
  s.onStep = (_ref, i) => {
    if (i === 2) ac!.abort()
  }
  const w = start(b, s)
  ac = w.ac
  const res = await w.done
  assert.equal(s.passes.length, 1, 'no new pass after the stop')
  assert.equal(s.passes[0].stepsRun, 3)
  assert.ok(s.passes[0].stopped)
  assert.equal(res.passes, 1)
  assert.equal(w.records.at(-1)?.event, 'watch.stop')
})

test('a force push (history rewritten) goes to the new tip', async () => {
  const b = new FakeBranch()
  b.push(1)
  const s = new RecordingSync()
  s.onStep = (ref) => {
    if (ref === sha(1) && !b.commits.includes(sha(2))) b.push(2)
  }
  const w = start(b, s)
  await until(() => w.records.some((r) => r.event === 'pass.end' && r.commit === sha(2)), 'commit 2')
  b.reset([1, 7, 8])
  await until(() => w.records.some((r) => r.event === 'pass.end' && r.commit === sha(8)), 'commit 8')
  w.ac.abort()
  await w.done
  assert.equal(s.passes.map((p) => p.ref), [sha(1), sha(2), sha(8)])
  assert.ok(w.records.some((r) => r.event === 'rewritten'))
})

test('records are one JSON object each with time, level, event, message', async () => {
  const b = new FakeBranch()
  b.push(1)
  const s = new RecordingSync()
  const w = start(b, s)
  await until(() => w.records.some((r) => r.event === 'pass.end'), 'a pass')
  w.ac.abort()
  await w.done
  for (const r of w.records) {
    assert.type(r.time, 'string')
    assert.ok(['info', 'warn', 'error'].includes(r.level))
    assert.type(r.message, 'string')
    assert.not.match(JSON.stringify(r), /\n/)
  }
  assert.equal(w.records.map((r) => r.event).filter((e) => e !== 'sync'), ['watch.start', 'commit', 'pass.start', 'pass.end', 'watch.stop'])
})

test.run()
