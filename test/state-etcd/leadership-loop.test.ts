// Pure parts, no etcd: the watch loop behind a fake Leadership (standby
// runs nothing; on taking over it resumes after the state's applied
// commit; losing the leadership stops the pass and stands by), the key
// layout's diff (sliding event window, hint, deletes) and the state:
// section of tsctl.yaml.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {watchLoop, type WatchRecord} from '../../src/gitops/watch-loop.js'
import type {StateBackend} from '../../src/state/backend.js'
import {normalizeEndpoint, parseEtcdAddress, parseStateSection} from '../../src/state/etcd-config.js'
import {applyDelta, diffState, snapshotOf, stateOf} from '../../src/state/etcd-keys.js'
import type {LeaderRef, Leadership} from '../../src/state/leadership.js'
import {upgradeState} from '../../src/state/upgrade.js'
import {FakeBranch, RecordingSync, sha} from '../unit/gitops/fakes.js'
import {bigState, clone} from './_helpers.js'

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

/** A leadership the test hands over: `grant()` makes acquire() return, `take()` loses it. */
class FakeLeadership implements Leadership {
  leading = false
  private waiters: (() => void)[] = []
  private lost: ((why: string) => void)[] = []
  reason: string | undefined
  resigned = 0
  constructor(private readonly other: LeaderRef) {}
  async acquire(signal: AbortSignal, standby: (l: LeaderRef) => void): Promise<boolean> {
    if (this.leading) return true
    standby(this.other)
    await new Promise<void>((r) => {
      this.waiters.push(r)
      signal.addEventListener('abort', () => r(), {once: true})
    })
    return !signal.aborted
  }
  grant(): void {
    this.leading = true
    for (const w of this.waiters.splice(0)) w()
  }
  take(why: string): void {
    this.leading = false
    this.reason = why
    for (const cb of this.lost) cb(why)
  }
  isLeader = () => this.leading
  lostReason = () => this.reason
  onLost(cb: (why: string) => void): void {
    this.lost.push(cb)
  }
  async resign(): Promise<void> {
    this.resigned++
  }
  describe = () => 'me/1'
}

test('standby runs no pass; on taking over it resumes after the applied commit the state records; losing it stops the pass and stands by', async () => {
  const b = new FakeBranch()
  b.push(1, 2, 3)
  const s = new RecordingSync()
  s.steps = (ref) => (ref === sha(3) ? 1000 : 1)
  let applied = sha(2) // the dead leader finished 2
  const backend: StateBackend = {describe: () => 'fake', read: async () => ({appliedCommit: {sha: applied}}) as never, write: async () => {}, lock: async () => ({}) as never, unlock: async () => null, lockInfo: async () => null}
  const gate = new FakeLeadership({host: 'other', pid: 42})
  const ac = new AbortController()
  const records: WatchRecord[] = []
  const done = watchLoop({source: b, order: b, sync: s.fn, backend, applied: null, resyncMs: 0, signal: ac.signal, emit: (r) => records.push(r), retryMs: {min: 1, max: 4}, leadership: gate})
  try {
    await until(() => records.some((r) => r.event === 'standby'), 'standby')
    assert.equal(records.find((r) => r.event === 'standby')!.message, 'standby (leader: other/42)')
    await new Promise((r) => setTimeout(r, 30))
    assert.is(s.passes.length, 0, 'a standby runs no pass')
    gate.grant()
    await until(() => s.passes.length === 1 && s.passes[0].stepsRun > 3, 'the pass of commit 3')
    assert.equal(s.passes.map((p) => p.ref), [sha(3)], 'resumes after 2: not 1, not 2 again')
    assert.ok(records.some((r) => r.event === 'leader' && r.commit === sha(2)))
    applied = sha(2) // it did not finish 3
    gate.take('lease ran out')
    await until(() => records.filter((r) => r.event === 'standby').length === 2, 'standby again')
    assert.ok(s.passes[0].stopped, 'the pass stopped after the step in flight')
    assert.ok(records.some((r) => r.event === 'leadership.lost' && r.message.includes('lease ran out')))
    gate.grant()
    await until(() => s.passes.length === 2, 'the pass of 3, again, by the new leadership')
    assert.is(s.passes[1].ref, sha(3))
  } finally {
    ac.abort()
    await done
  }
  assert.is(gate.resigned, 1, 'a stopped watcher resigns')
})

test('diffState: adding an event puts one key; trimming deletes the oldest; a hint skips untouched objects; removed objects are deleted', () => {
  const s = bigState(30)
  s.serial = 1
  const base = snapshotOf([])
  const first = diffState(base, s)
  applyDelta(base, first, 1)
  assert.is(first.deletes.length, 0)
  const t = clone(s)
  t.events.push({time: 't', type: 'Normal', reason: 'R', object: 'o', message: 'm'})
  t.events.shift()
  const d = diffState(base, t)
  assert.equal(d.puts.map(([k]) => k), ['events/000000000006'])
  assert.equal(d.deletes, ['events/000000000001'])
  applyDelta(base, d, 2)
  const u = clone(t)
  ;(u.objects['Pod/default/web-00003'] as unknown as {status: object}).status = {phase: 'Failed'}
  ;(u.objects['Pod/default/web-00004'] as unknown as {status: object}).status = {phase: 'Failed'}
  delete u.objects['Pod/default/web-00005']
  const hinted = diffState(base, u, new Set(['Pod/default/web-00003']))
  assert.equal(hinted.puts.map(([k]) => k), ['pods/Pod/default/web-00003'], 'web-00004 was promised unchanged')
  assert.equal(hinted.deletes, ['pods/Pod/default/web-00005'])
  const full = diffState(base, u)
  assert.equal(full.puts.map(([k]) => k).sort(), ['pods/Pod/default/web-00003', 'pods/Pod/default/web-00004'])
  applyDelta(base, full, 3)
  u.serial = 3
  assert.is(JSON.stringify(upgradeState(stateOf(base), 'x')), JSON.stringify(u))
})

test('state: of tsctl.yaml: endpoints, prefix, ttl, tls, auth; a password and unknown fields are errors', () => {
  const errs: string[] = []
  const c = parseStateSection({backend: 'etcd', endpoints: ['10.0.0.5:2379', 'https://e:2379'], prefix: '/tsctl/prod/', ttl: '15s', tls: {ca: 'ca.pem'}, auth: {user: 'tsctl'}}, (p, m) => errs.push(`${p}: ${m}`))
  assert.equal(errs, [])
  assert.equal(c, {backend: 'etcd', etcd: {endpoints: ['http://10.0.0.5:2379', 'https://e:2379'], prefix: '/tsctl/prod', ttlSeconds: 15, tls: {ca: 'ca.pem'}, auth: {user: 'tsctl'}}})
  parseStateSection({backend: 'zk', endpoints: ['nope'], ttl: '1s', password: 'x', auth: {user: 'u', password: 'p'}, tls: {cert: 'c'}, extra: 1}, (p, m) => errs.push(`${p}: ${m}`))
  assert.equal(errs.map((e) => e.split(':')[0]).sort(), ['/state/auth/password', '/state/backend', '/state/endpoints/0', '/state/extra', '/state/password', '/state/tls', '/state/ttl'])
  assert.is(normalizeEndpoint('[::1]:2379'), 'http://[::1]:2379')
  assert.is(normalizeEndpoint('host'), undefined)
  assert.equal(parseEtcdAddress('etcd://a:1,b:2/tsctl/x'), {endpoints: ['http://a:1', 'http://b:2'], prefix: '/tsctl/x'})
  assert.equal(parseEtcdAddress('etcds://a:1'), {endpoints: ['https://a:1'], prefix: '/tsctl/default'})
  assert.is(parseEtcdAddress('etcd://a/x'), undefined)
})

test.run()
