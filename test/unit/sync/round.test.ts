// What a sync round does next, decided from data (src/sync/round.ts): each
// outcome, the order the checks are made in, the readiness poll's doubling,
// cap and deadline clamp, and actions on failed nodes left out.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {ExitCode} from '../../../src/errors.js'
import type {Action} from '../../../src/reconcile/plan.js'
import {afterExecute, decideRound, POLL_FIRST_MS, POLL_MAX_MS, STOPPED_MESSAGE, type RoundInput} from '../../../src/sync/round.js'

const del = (node: string, target = 'default/web-1'): Action => ({type: 'delete', node, target, reason: 'scale down'}) as Action

const base = (over: Partial<RoundInput> = {}): RoundInput => ({
  actions: [],
  rollouts: [],
  unreachable: new Set(),
  failedNodes: new Set(),
  othersInProgress: false,
  now: 1_000,
  deadline: 10_000,
  stopRequested: false,
  pollMs: POLL_FIRST_MS,
  ...over,
})
const waiting = {workload: 'deployment/web', done: false, failed: false, message: 'deployment/web: 1 of 3 updated replicas are available'}
const failing = {workload: 'deployment/api', done: false, failed: true, message: 'deployment/api exceeded its progress deadline'}

test('nothing to do, nothing waited for, every node fine: converged with exit 0', () => {
  const r = decideRound(base({rollouts: [{...waiting, done: true}]}))
  assert.equal(r, {kind: 'converged', exitCode: ExitCode.ok})
})

test('a rollout past its progress deadline fails the sync before anything else, even with actions to run', () => {
  const r = decideRound(base({actions: [del('n1')], rollouts: [waiting, failing], stopRequested: true, now: 20_000}))
  assert.equal(r, {kind: 'failed', exitCode: ExitCode.timeout, workload: 'deployment/api', message: failing.message})
})

test('actions to run: execute them, leaving out those on nodes an earlier action failed on', () => {
  const r = decideRound(base({actions: [del('n1', 'a'), del('n2', 'b'), del('n1', 'c')], failedNodes: new Set(['n1'])}))
  assert.equal(r.kind, 'execute')
  assert.equal(r.kind === 'execute' && r.actions.map((a) => a.target), ['b'])
})

test('actions are executed even past the deadline or with a stop requested: the plan decided is run, afterExecute stops', () => {
  const r = decideRound(base({actions: [del('n1')], now: 20_000, stopRequested: true}))
  assert.equal(r.kind, 'execute')
})

test('only actions on failed nodes and nothing moving elsewhere: settled with exit 4, naming the nodes sorted', () => {
  const r = decideRound(base({actions: [del('n2')], failedNodes: new Set(['n2']), unreachable: new Set(['n0'])}))
  assert.equal(r.kind, 'settled')
  if (r.kind !== 'settled') return
  assert.is(r.exitCode, ExitCode.hosts)
  assert.equal(r.failedNodes, ['n0', 'n2'])
  assert.match(r.message, /2 node\(s\) failed or unreachable/)
})

test('an unreachable node while pods elsewhere are still starting: wait, not settle', () => {
  const r = decideRound(base({unreachable: new Set(['n3']), othersInProgress: true, rollouts: [waiting]}))
  assert.equal(r.kind, 'wait')
  if (r.kind === 'wait') assert.equal(r.waitingFor, [waiting.message])
})

test('settled is decided before the deadline: a broken host is exit 4, not a timeout', () => {
  const r = decideRound(base({unreachable: new Set(['n3']), now: 20_000}))
  assert.is(r.kind, 'settled')
})

test('waiting past the deadline: timed out with exit 5, saying what it waited for', () => {
  const r = decideRound(base({rollouts: [waiting], now: 10_000}))
  assert.equal(r, {kind: 'timed-out', exitCode: ExitCode.timeout, waitingFor: [waiting.message], message: `timed out waiting: ${waiting.message}`})
})

test('timed out with no rollout named: says it waited for pods', () => {
  const r = decideRound(base({unreachable: new Set(['n1']), othersInProgress: true, now: 10_001}))
  assert.equal(r.kind === 'timed-out' && r.message, 'timed out waiting: pods to become ready')
})

test('the deadline is checked before a stop request', () => {
  assert.is(decideRound(base({rollouts: [waiting], now: 10_000, stopRequested: true})).kind, 'timed-out')
  assert.equal(decideRound(base({rollouts: [waiting], stopRequested: true})), {kind: 'stopped', exitCode: ExitCode.timeout, message: STOPPED_MESSAGE})
})

test('the readiness poll starts short, doubles, stops doubling at the cap', () => {
  const seen: number[] = []
  let pollMs = POLL_FIRST_MS
  for (let i = 0; i < 8; i++) {
    const r = decideRound(base({rollouts: [waiting], now: 0, deadline: 1e9, pollMs}))
    assert.is(r.kind, 'wait')
    if (r.kind !== 'wait') return
    seen.push(r.sleepMs)
    pollMs = r.nextPollMs
  }
  assert.equal(seen, [100, 200, 400, 800, 1000, 1000, 1000, 1000])
  assert.is(POLL_MAX_MS, 1000)
})

test('a wait never sleeps past the deadline', () => {
  const r = decideRound(base({rollouts: [waiting], now: 9_950, deadline: 10_000, pollMs: 800}))
  assert.equal(r.kind === 'wait' && r.sleepMs, 50)
})

test('after a plan ran: stopped wins over the deadline, the deadline over another round', () => {
  assert.equal(afterExecute({stopped: true, now: 20_000, deadline: 10_000, waitingFor: []}), {kind: 'stopped', exitCode: ExitCode.timeout, message: STOPPED_MESSAGE})
  const late = afterExecute({stopped: false, now: 10_000, deadline: 10_000, waitingFor: []})
  assert.equal(late, {kind: 'timed-out', exitCode: ExitCode.timeout, waitingFor: [], message: 'timed out: the plan was still being applied'})
  const named = afterExecute({stopped: false, now: 10_000, deadline: 10_000, waitingFor: ['a', 'b']})
  assert.equal(named.kind === 'timed-out' && named.message, 'timed out: a; b')
  assert.equal(afterExecute({stopped: false, now: 9_999, deadline: 10_000, waitingFor: ['a']}), {kind: 'next-round'})
})

test.run()
