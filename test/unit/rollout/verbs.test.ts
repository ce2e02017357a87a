import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {describeRollout, rolloutHistory, rolloutPause, rolloutRestart, rolloutStatus, rolloutUndo} from '../../../src/rollout/verbs.js'
import {configMap, deployment, desired, node, statefulset, World} from '../reconcile/fixtures.js'

const fleet = () => [node('a'), node('b')]
const web = (img: string) => deployment('web').replicas(2).image(img).configVolume('cfg')
const settle = (w: World) => {
  for (let i = 0; i < 8; i++) w.step()
}

function threeRevisions(): World {
  const w = new World(desired([...fleet(), configMap('cfg', {v: '1'}), web('x:1')], 'sha1', 'first'))
  settle(w)
  w.desired = desired([...fleet(), configMap('cfg', {v: '2'}), web('x:2')], 'sha2', 'second')
  settle(w)
  w.desired = desired([...fleet(), configMap('cfg', {v: '3'}), web('x:3')], 'sha3', 'third')
  settle(w)
  return w
}

test('history lists each revision with its commit subject', () => {
  const w = threeRevisions()
  const h = rolloutHistory(w.state, 'Deployment/default/web')
  if ('error' in h) throw new Error(h.error)
  assert.equal(h.map((r) => [r.revision, r.subject, r.commit, r.current]), [
    [1, 'first', 'sha1', false],
    [2, 'second', 'sha2', false],
    [3, 'third', 'sha3', true],
  ])
})

test('undo goes back (with the ConfigMap that revision used), a sync of the same commit keeps it, a new commit moves on', () => {
  const w = threeRevisions()
  const u = rolloutUndo(w.state, 'Deployment/default/web')
  assert.ok(u.ok)
  if (!u.ok) return
  assert.is(u.message, 'deployment.apps/web rolled back')
  w.state = u.state
  assert.equal((w.get('ConfigMap/default/cfg') as {data: unknown}).data, {v: '2'})
  settle(w)
  const img = () => w.get(w.running('web')[0] ? `Pod/default/${w.running('web')[0]}` : '').spec.containers[0].image
  assert.is(img(), 'x:2')
  assert.equal((w.get('ConfigMap/default/cfg') as {data: unknown}).data, {v: '2'}, 'same commit: the pin holds')
  const h = rolloutHistory(w.state, 'Deployment/default/web')
  if ('error' in h) throw new Error(h.error)
  assert.equal(h.at(-1)!.subject, 'second', 'the revived revision keeps its commit')
  assert.is(h.at(-1)!.revision, 4)
  // already there
  const again = rolloutUndo(w.state, 'Deployment/default/web', 4)
  assert.ok(again.ok && /skipped rollback/.test(again.message))
  // a new commit rolls forward and lifts the pins
  w.desired = desired([...fleet(), configMap('cfg', {v: '3'}), web('x:4')], 'sha4', 'fourth')
  settle(w)
  assert.is(img(), 'x:4')
  assert.equal((w.get('ConfigMap/default/cfg') as {data: unknown}).data, {v: '3'})
})

test('undo: unknown revision and paused deployment are refused', () => {
  const w = threeRevisions()
  const r = rolloutUndo(w.state, 'Deployment/default/web', 9)
  assert.equal(r, {ok: false, message: 'unable to find specified revision 9 in history'})
  const p = rolloutPause(w.state, 'Deployment/default/web', true)
  assert.ok(p.ok)
  if (!p.ok) return
  const r2 = rolloutUndo(p.state, 'Deployment/default/web')
  assert.is(r2.ok, false)
  assert.match(r2.ok ? '' : r2.message, /cannot rollback a paused deployment/)
})

test('restart rolls the pods like a template change; StatefulSet history from ControllerRevisions', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(2), statefulset('db').replicas(1)]))
  settle(w)
  const before = w.running('web')
  const r = rolloutRestart(w.state, 'Deployment/default/web', w.now)
  assert.ok(r.ok)
  if (r.ok) w.state = r.state
  settle(w)
  const after = w.running('web')
  assert.is(after.length, 2)
  assert.equal(after.filter((p) => before.includes(p)), [])
  assert.is(w.objects('ReplicaSet').length, 2)
  const h = rolloutHistory(w.state, 'StatefulSet/default/db')
  assert.ok(!('error' in h) && h.length === 1 && h[0].current)
})

test('StatefulSet undo goes back to the previous ControllerRevision, in place', () => {
  const w = new World(desired([...fleet(), statefulset('db').replicas(2)], 's1', 'db v1'))
  settle(w)
  w.desired = desired([...fleet(), statefulset('db').replicas(2).image('db:2')], 's2', 'db v2')
  settle(w)
  assert.is(w.get('Pod/default/db-0').spec.containers[0].image, 'db:2')
  const u = rolloutUndo(w.state, 'StatefulSet/default/db')
  assert.ok(u.ok)
  if (u.ok) w.state = u.state
  settle(w)
  assert.is(w.get('Pod/default/db-0').spec.containers[0].image, 'busybox:1.36')
  assert.is(w.get('Pod/default/db-1').spec.containers[0].image, 'busybox:1.36')
  const h = rolloutHistory(w.state, 'StatefulSet/default/db')
  if ('error' in h) throw new Error(h.error)
  assert.equal(h.map((r) => [r.revision, r.subject, r.current]), [[2, 'db v2', false], [3, 'db v1', true]])
})

test('rollout status follows the rollout in kubectl words, and reports an exceeded deadline', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(2).deadline(60)]))
  w.step({ready: false})
  w.pass()
  const st = () => rolloutStatus(w.state, 'Deployment/default/web') as {done: boolean; failed: boolean; message: string; reason?: string}
  const {reason, ...first} = st()
  assert.equal(first, {done: false, failed: false, message: 'Waiting for deployment "web" rollout to finish: 0 of 2 updated replicas are available...'})
  assert.match(reason!, /^web-[0-9a-z]+-[0-9a-z]+: container main: running, not ready$/, 'it names the pod that holds the rollout back')
  w.advance(61_000)
  w.pass()
  assert.equal(st(), {done: false, failed: true, message: 'deployment "web" exceeded its progress deadline'})
  w.allReady()
  w.pass()
  assert.equal(st(), {done: true, failed: false, message: 'deployment "web" successfully rolled out'})
  const db = new World(desired([...fleet(), statefulset('db').replicas(2)]))
  db.step({ready: false})
  db.pass()
  assert.is((rolloutStatus(db.state, 'StatefulSet/default/db') as {message: string}).message, 'Waiting for 2 pods to be ready...')
})

test('rollout status names the worst pod; every new pod crash-looping fails the rollout early (exit 5)', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(2)]))
  w.step({ready: false})
  const crash = (restarts: number) => {
    for (const n of Object.values(w.observed.nodes)) for (const p of n.pods) {
      p.ready = false
      p.containers = p.containers.map((c) => ({...c, ready: false, state: 'waiting', reason: 'CrashLoopBackOff', restartCount: restarts, lastTerminationReason: 'Error', lastExitCode: 1}))
    }
  }
  crash(1)
  w.pass()
  const s1 = rolloutStatus(w.state, 'Deployment/default/web') as {failed: boolean; reason?: string; message: string}
  assert.is(s1.failed, false, 'one restart: still waiting')
  assert.match(s1.reason!, /^web-[0-9a-z]+-[0-9a-z]+: container main: CrashLoopBackOff \(exit 1\), 1 restart$/)
  assert.match(describeRollout(s1 as never), /available\.\.\. \(web-.*CrashLoopBackOff \(exit 1\), 1 restart\)$/)
  crash(3)
  const r = w.pass()
  const s3 = rolloutStatus(w.state, 'Deployment/default/web') as {failed: boolean; message: string}
  assert.is(s3.failed, true)
  assert.match(s3.message, /^deployment "web" cannot start its new pods: web-.*: container main: CrashLoopBackOff \(exit 1\), 3 restarts$/)
  assert.ok(r.rollouts.some((x) => x.workload === 'Deployment/default/web' && x.failed), 'sync sees it failed: exit 5 now, not at --timeout')
})

test.run()
