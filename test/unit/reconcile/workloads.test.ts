import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {daemonset, desired, node, statefulset, summarize, World} from './fixtures.js'

const fleet = () => [node('a'), node('b'), node('c')]

test('StatefulSet OrderedReady: one ordinal at a time, each waits for the previous to be Ready', () => {
  const w = new World(desired([...fleet(), statefulset('db').replicas(3).claim('data')]))
  const r1 = w.step({ready: false})
  assert.equal(r1.plan.actions.map((a) => a.target), ['Pod/default/db-0'])
  assert.is(w.pass().plan.actions.length, 0, 'db-0 not ready: db-1 waits')
  w.setReady('db-0', true)
  const r3 = w.step({ready: false})
  assert.equal(r3.plan.actions.map((a) => a.target), ['Pod/default/db-1'])
  w.setReady('db-1', true)
  assert.equal(w.step().plan.actions.map((a) => a.target), ['Pod/default/db-2'])
  // claims data-db-<ordinal>, bound to the node of their pod
  const claims = w.objects('PersistentVolumeClaim').map((c) => [c.metadata.name, c.metadata.annotations['volume.kubernetes.io/selected-node'], c.status.phase])
  assert.is(claims.length, 3)
  for (const [name, nodeName, phase] of claims) {
    const ord = name.split('-').pop()
    assert.is(w.get(`Pod/default/db-${ord}`).spec.nodeName, nodeName)
    assert.is(phase, 'Bound')
  }
  assert.equal(w.get('Pod/default/db-1').spec.volumes, [{name: 'data', persistentVolumeClaim: {claimName: 'data-db-1'}}])
  assert.is(w.get('Pod/default/db-1').spec.hostname, 'db-1')
})

test('StatefulSet scale down removes the highest ordinal first, one per pass', () => {
  const w = new World(desired([...fleet(), statefulset('db').replicas(3).parallel()]))
  assert.is(w.step().plan.actions.length, 3, 'Parallel creates all at once')
  w.desired = desired([...fleet(), statefulset('db').replicas(1)])
  assert.equal(w.step().plan.actions.map((a) => a.target), ['Pod/default/db-2'])
  assert.equal(w.step().plan.actions.map((a) => a.target), ['Pod/default/db-1'])
  assert.is(w.pass().plan.actions.length, 0)
  assert.is(w.objects('PersistentVolumeClaim').length, 0)
})

test('StatefulSet OrderedReady scale-down waits while the pod it deleted is still terminating (processCondemned)', () => {
  const w = new World(desired([...fleet(), statefulset('db').replicas(3).parallel()]))
  w.step()
  w.allReady()
  w.pass()
  w.desired = desired([...fleet(), statefulset('db').replicas(1)])
  assert.equal(w.pass().plan.actions.map((a) => `${a.type} ${a.target}`), ['delete Pod/default/db-2'])
  // the host has not stopped db-2 yet: db-1 waits
  assert.equal(w.pass().plan.actions.map((a) => `${a.type} ${a.target}`), ['delete Pod/default/db-2'], 'db-1 is not deleted while db-2 terminates')
  assert.is(w.get('Pod/default/db-1').metadata.deletionTimestamp, undefined)
  w.apply()
  assert.equal(w.pass().plan.actions.map((a) => `${a.type} ${a.target}`), ['delete Pod/default/db-1'])
})

test('StatefulSet rolling update: highest ordinal first, in place, down to the partition', () => {
  const w = new World(desired([...fleet(), statefulset('db').replicas(3)]))
  for (let i = 0; i < 3; i++) w.step()
  assert.is(w.running('db').length, 3)
  w.desired = desired([...fleet(), statefulset('db').replicas(3).partition(1).image('busybox:1.37')])
  const r1 = w.step({ready: false})
  assert.equal(summarize(r1.plan.actions).map((s) => s.split(' ')[0] + ' ' + s.split(' ')[2]), ['replace db-2'])
  const node2 = w.get('Pod/default/db-2').spec.nodeName
  assert.is(r1.plan.actions[0].node, node2, 'replaced on its own node')
  assert.is(w.pass().plan.actions.length, 0, 'waits for db-2 to be ready')
  w.setReady('db-2', true)
  assert.equal(w.step().plan.actions.map((a) => `${a.type} ${a.target}`), ['replace Pod/default/db-1'])
  assert.is(w.pass().plan.actions.length, 0, 'partition 1 keeps db-0 at the old revision')
  const sts = w.get('StatefulSet/default/db')
  assert.is(sts.status.updatedReplicas, 2)
  assert.is(w.get('Pod/default/db-0').spec.containers[0].image, 'busybox:1.36')
  assert.is(w.objects('ControllerRevision').length, 2)
})

test('DaemonSet: one pod per node it tolerates; none on a tainted node', () => {
  const nodes = [node('a'), node('b'), node('gpu').taint('dedicated', 'batch')]
  const w = new World(desired([...nodes, daemonset('agent')]))
  const r = w.step()
  assert.equal(r.plan.actions.map((a) => a.node).sort(), ['a', 'b'])
  const ds = w.get('DaemonSet/default/agent')
  assert.is(ds.status.desiredNumberScheduled, 2)
  // tolerating the taint adds the third node
  w.desired = desired([...nodes, daemonset('agent').tolerate('dedicated')])
  const r2 = w.pass()
  assert.ok(r2.plan.actions.some((a) => a.type === 'create' && a.node === 'gpu'))
})

test('DaemonSet nodeSelector and rolling update with maxUnavailable 1', () => {
  const nodes = [node('a').label('role', 'edge'), node('b').label('role', 'edge'), node('c')]
  const w = new World(desired([...nodes, daemonset('agent').nodeSelector({role: 'edge'})]))
  assert.equal(w.step().plan.actions.map((a) => a.node), ['a', 'b'])
  w.desired = desired([...nodes, daemonset('agent').nodeSelector({role: 'edge'}).image('x:2')])
  const r1 = w.step({ready: false})
  assert.equal(r1.plan.actions.map((a) => `${a.type} ${a.node}`), ['delete a'])
  const r2 = w.step({ready: false})
  assert.equal(r2.plan.actions.map((a) => `${a.type} ${a.node}`), ['create a'])
  assert.is(w.pass().plan.actions.length, 0, 'new pod on a not ready: b waits')
  w.allReady()
  assert.equal(w.step().plan.actions.map((a) => `${a.type} ${a.node}`), ['delete b'])
})

test.run()
