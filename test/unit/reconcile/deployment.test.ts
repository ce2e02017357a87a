import {test} from 'uvu'
import {appendRevisionHistory} from '../../../src/reconcile/controllers/deployment.js'
import * as assert from 'uvu/assert'
import {resolveFenceposts} from '../../../src/reconcile/controllers/deployment.js'
import {deployment, desired, node, summarize, World} from './fixtures.js'

const fleet = () => [node('a'), node('b'), node('c')]

test('create: a new Deployment gets a ReplicaSet with revision 1 and its pods are placed', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(3)], 'aaaa1111', 'add web'))
  const r = w.pass()
  const rs = w.objects('ReplicaSet')
  assert.is(rs.length, 1)
  assert.is(rs[0].metadata.annotations['deployment.kubernetes.io/revision'], '1')
  assert.is(rs[0].metadata.annotations['tsctl.io/commit'], 'aaaa1111')
  assert.is(rs[0].metadata.annotations['tsctl.io/commit-subject'], 'add web')
  assert.match(rs[0].metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/)
  assert.is(r.plan.actions.filter((a) => a.type === 'create').length, 3)
  assert.is(r.summary['Deployment/default/web'].place.length, 3)
  // the three pods spread over the three nodes (least allocated)
  assert.equal(new Set(r.plan.actions.map((a) => a.node)).size, 3)
})

test('scale up and down', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(2)]))
  w.step()
  w.desired = desired([...fleet(), deployment('web').replicas(5)])
  assert.is(w.step().plan.actions.filter((a) => a.type === 'create').length, 3)
  w.desired = desired([...fleet(), deployment('web').replicas(1)])
  const r = w.step()
  assert.is(r.plan.actions.filter((a) => a.type === 'delete').length, 4)
  assert.is(r.summary['Deployment/default/web'].stop.length, 4)
  assert.is(w.running('web').length, 1)
  assert.is(w.pass().plan.actions.length, 0)
})

test('fenceposts: maxSurge rounds up, maxUnavailable rounds down', () => {
  const f = (replicas: number, s: number | string, u: number | string) =>
    resolveFenceposts({spec: {replicas, strategy: {rollingUpdate: {maxSurge: s, maxUnavailable: u}}}})
  assert.equal(f(10, '25%', '25%'), {surge: 3, unavailable: 2})
  assert.equal(f(4, '25%', '25%'), {surge: 1, unavailable: 1})
  assert.equal(f(3, '25%', '25%'), {surge: 1, unavailable: 0})
  assert.equal(f(3, 0, 0), {surge: 0, unavailable: 1})
  assert.equal(f(1, '25%', '25%'), {surge: 1, unavailable: 0})
})

test('rolling update of 10 replicas at 25%/25%: never above 13 pods, never below 8 ready, step by step', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(10)]))
  w.step()
  w.allReady()
  assert.is(w.pass().plan.actions.length, 0)
  w.desired = desired([...fleet(), deployment('web').replicas(10).image('busybox:1.37')], 'bbbb2222', 'bump busybox')
  let passes = 0
  const seen: Array<[number, number, number]> = []
  for (;;) {
    const r = w.pass()
    if (r.plan.actions.length === 0) break
    // execute: deletes first, then creates; new pods not ready until observed
    w.apply({ready: false})
    const total = w.running('web').length
    const ready = w.readyCount('web')
    seen.push([r.plan.actions.filter((a) => a.type === 'create').length, r.plan.actions.filter((a) => a.type === 'delete').length, total])
    assert.ok(total <= 13, `pass ${passes}: ${total} pods > 13`)
    assert.ok(ready >= 8, `pass ${passes}: only ${ready} ready`)
    w.allReady()
    if (++passes > 20) throw new Error('no convergence')
  }
  // first pass: surge 3 + 2 more after scaling old down by 2 = 5 new, 2 old stopped
  assert.equal(seen[0], [5, 2, 13])
  const rs = w.objects('ReplicaSet').sort((a, b) => Number(a.metadata.annotations['deployment.kubernetes.io/revision']) - Number(b.metadata.annotations['deployment.kubernetes.io/revision']))
  assert.is(rs.length, 2)
  assert.is(rs[0].spec.replicas, 0)
  assert.is(rs[1].spec.replicas, 10)
  assert.is(rs[1].metadata.annotations['tsctl.io/commit-subject'], 'bump busybox')
  const d = w.get('Deployment/default/web')
  assert.is(d.metadata.annotations['deployment.kubernetes.io/revision'], '2')
  assert.is(d.status.updatedReplicas, 10)
  assert.is(d.status.conditions.find((c: {type: string}) => c.type === 'Progressing').reason, 'NewReplicaSetAvailable')
  assert.equal(w.last.rollouts, [{workload: 'Deployment/default/web', done: true, failed: false, message: 'deployment "web" successfully rolled out'}])
})

test('rolling update waits for readiness: no progress while new pods are not ready', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(4).rolling(1, 0)]))
  w.step()
  w.allReady()
  w.desired = desired([...fleet(), deployment('web').replicas(4).rolling(1, 0).image('busybox:1.37')])
  const r1 = w.step({ready: false})
  assert.equal(summarize(r1.plan.actions).map((s) => s.split(' ')[0]), ['create'])
  // not ready: the next pass plans nothing
  assert.is(w.pass().plan.actions.length, 0)
  w.allReady()
  const r3 = w.pass()
  assert.equal(r3.plan.actions.map((a) => a.type).sort(), ['create', 'delete'])
})

test('minReadySeconds: ready pods count as available only after it', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(2).rolling(1, 0).minReady(30)]))
  w.step()
  w.allReady()
  w.advance(30_000)
  w.pass()
  w.desired = desired([...fleet(), deployment('web').replicas(2).rolling(1, 0).minReady(30).image('x:2')])
  w.step()
  w.allReady()
  assert.is(w.pass().plan.actions.length, 0, 'ready but not yet available for 30 s')
  w.advance(30_000)
  assert.ok(w.pass().plan.actions.some((a) => a.type === 'delete'))
})

test('Recreate: old pods stop first; new ones start after the hosts confirm', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(3).recreate()]))
  w.step()
  w.allReady()
  w.desired = desired([...fleet(), deployment('web').replicas(3).recreate().image('x:2')])
  const r1 = w.step()
  assert.equal([...new Set(r1.plan.actions.map((a) => a.type))], ['delete'])
  assert.is(r1.plan.actions.length, 3)
  const r2 = w.step()
  assert.equal([...new Set(r2.plan.actions.map((a) => a.type))], ['create'])
  assert.is(r2.plan.actions.length, 3)
})

test('paused: a template change starts no rollout; scaling still applies', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(2)]))
  w.step()
  w.allReady()
  w.desired = desired([...fleet(), deployment('web').replicas(3).paused().image('x:2')])
  const r = w.step()
  assert.is(w.objects('ReplicaSet').length, 1)
  assert.is(r.plan.actions.length, 1)
  assert.is(r.plan.actions[0].type, 'create')
  const d = w.get('Deployment/default/web')
  assert.is(d.status.conditions.find((c: {type: string}) => c.type === 'Progressing').reason, 'DeploymentPaused')
  w.desired = desired([...fleet(), deployment('web').replicas(3).image('x:2')])
  assert.ok(w.pass().plan.actions.some((a) => a.type === 'create'), 'resume rolls out')
})

test('revisionHistoryLimit: old ReplicaSets beyond the limit are deleted, oldest first', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(1).history(2)]))
  w.step()
  w.allReady()
  for (let i = 2; i <= 5; i++) {
    w.desired = desired([...fleet(), deployment('web').replicas(1).history(2).image(`x:${i}`)], `sha${i}`, `v${i}`)
    for (let k = 0; k < 6; k++) {
      w.step()
      w.allReady()
    }
  }
  const revs = w.objects('ReplicaSet').map((rs) => Number(rs.metadata.annotations['deployment.kubernetes.io/revision'])).sort()
  assert.equal(revs, [3, 4, 5])
})

test('a revert reuses the old ReplicaSet under the next revision number', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(1)]))
  w.step()
  w.allReady()
  for (const img of ['x:2', 'busybox:1.36']) {
    w.desired = desired([...fleet(), deployment('web').replicas(1).image(img)], `sha-${img}`, `use ${img}`)
    for (let k = 0; k < 5; k++) {
      w.step()
      w.allReady()
    }
  }
  const rs = w.objects('ReplicaSet')
  assert.is(rs.length, 2)
  const first = rs.find((r) => r.spec.template.spec.containers[0].image === 'busybox:1.36')
  assert.is(first.metadata.annotations['deployment.kubernetes.io/revision'], '3')
  assert.is(first.metadata.annotations['deployment.kubernetes.io/revision-history'], '1', 'the revived ReplicaSet keeps the number it had (deployment_util.go)')
  assert.is(first.metadata.annotations['tsctl.io/commit-subject'], 'use busybox:1.36')
})

test('revision-history grows by each revival and stays within 2,000 characters, oldest dropped first', () => {
  assert.is(appendRevisionHistory(undefined, '1'), '1')
  assert.is(appendRevisionHistory('1,3', '5'), '1,3,5')
  const long = Array.from({length: 400}, (_, i) => String(1000 + i)).join(',') // 1,999 characters
  const next = appendRevisionHistory(long, '99999')!
  assert.ok(next.length <= 2000, String(next.length))
  assert.ok(next.endsWith(',99999'))
  assert.ok(!next.startsWith('1000,'), 'the oldest went first')
})

test('progressDeadlineSeconds: no progress → Progressing False ProgressDeadlineExceeded', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(2).deadline(60)]))
  w.step({ready: false})
  w.pass()
  w.advance(30_000)
  let d = w.pass() && w.get('Deployment/default/web')
  assert.is(d.status.conditions.find((c: {type: string}) => c.type === 'Progressing').status, 'True')
  w.advance(31_000)
  w.pass()
  d = w.get('Deployment/default/web')
  const p = d.status.conditions.find((c: {type: string}) => c.type === 'Progressing')
  assert.is(p.status, 'False')
  assert.is(p.reason, 'ProgressDeadlineExceeded')
  assert.ok(w.last.events.some((e) => e.reason === 'ProgressDeadlineExceeded'))
})

test('scale down removes unscheduled, then not-ready pods first (ActivePodsWithRanks)', () => {
  const w = new World(desired([node('a').capacity('1', '8Gi'), deployment('web').replicas(3).requests('400m', '64Mi')]))
  w.step()
  const pending = Object.values(w.last.summary)[0].pending
  assert.is(pending.length, 1, 'the third pod does not fit: 2 × 400m of 1 CPU')
  const [notReady] = w.running('web')
  w.allReady().setReady(notReady, false)
  w.pass()
  w.desired = desired([node('a').capacity('1', '8Gi'), deployment('web').replicas(1).requests('400m', '64Mi')])
  const r = w.pass()
  assert.equal(r.plan.actions.map((a) => `${a.type} ${a.target}`), [`delete Pod/default/${notReady}`])
  assert.is(w.get(pending[0]), undefined, 'the unscheduled pod went first, without any host action')
})

test('a newer commit mid-rollout supersedes it; the bounds hold at every step', () => {
  const fleet3 = fleet()
  const w = new World(desired([...fleet3, deployment('web').replicas(8)]))
  w.step()
  w.allReady()
  w.pass()
  w.desired = desired([...fleet3, deployment('web').replicas(8).image('x:2')], 'sha2', 'v2')
  w.step({ready: false})
  w.allReady()
  w.step({ready: false}) // half way through v2
  w.desired = desired([...fleet3, deployment('web').replicas(8).image('x:3')], 'sha3', 'v3')
  for (let i = 0; i < 30; i++) {
    const r = w.pass()
    if (r.plan.actions.length === 0) break
    w.apply({ready: false})
    assert.ok(w.running('web').length <= 10, `${w.running('web').length} pods > 8 + surge 2`)
    assert.ok(w.readyCount('web') >= 6, `${w.readyCount('web')} ready < 8 - 2`)
    w.allReady()
  }
  const images = w.running('web').map((n) => w.get(`Pod/default/${n}`).spec.containers[0].image)
  assert.equal([...new Set(images)], ['x:3'])
  assert.is(images.length, 8)
  const revs = w.objects('ReplicaSet').map((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision']).sort()
  assert.equal(revs, ['1', '2', '3'])
})

test('scaling 10 → 20 in the middle of a rollout is shared in proportion (old 8 + new 5 → 14 + 9)', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(10).rolling(3, 2)]))
  w.step()
  w.allReady()
  w.pass()
  w.desired = desired([...fleet(), deployment('web').replicas(10).rolling(3, 2).image('x:2')])
  w.step({ready: false}) // old 8, new 5 (13 = 10 + surge 3)
  const sizes = () =>
    w.objects('ReplicaSet')
      .sort((a, b) => Number(a.metadata.annotations['deployment.kubernetes.io/revision']) - Number(b.metadata.annotations['deployment.kubernetes.io/revision']))
      .map((rs) => rs.spec.replicas)
  assert.equal(sizes(), [8, 5])
  w.desired = desired([...fleet(), deployment('web').replicas(20).rolling(3, 2).image('x:2')])
  w.pass()
  // allowed 23, before 13: old 8 → round(8·23/13)=14, new 5 → round(5·23/13)=9; 14 + 9 = 23
  assert.equal(sizes(), [14, 9])
  assert.is(w.objects('ReplicaSet')[0].metadata.annotations['deployment.kubernetes.io/desired-replicas'], '20')
})

test.run()
