// A Node removed from git is drained, as kubectl drain and then delete
// would: its pods are stopped on that host (controllers place theirs
// elsewhere), then the Node is forgotten. While its host cannot be reached
// its pods stay terminating and are stopped when it comes back, never
// forgotten while they run.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {nodesToObserve} from '../../../src/reconcile/index.js'
import {deployment, desired, node, pod, World} from './fixtures.js'

const two = () => [node('a'), node('b'), deployment('web').replicas(2)]

test('removing a Node: its pods are stopped there and placed elsewhere, then the Node is forgotten', () => {
  const w = new World(desired(two()))
  w.step()
  w.allReady()
  w.pass()
  assert.is(w.observed.nodes.b.pods.length, 1, 'spread: one pod on b')
  w.desired = desired([node('a'), deployment('web').replicas(2)], 'c0ffee0000000000000000000000000000000002')
  assert.equal(nodesToObserve(w.desired.objects.map((d) => d.object), w.state).map((n) => n.metadata.name), ['a', 'b'], 'sync still observes b')
  const r = w.step()
  const acts = r.plan.actions.map((a) => `${a.type} ${a.node}`).sort()
  assert.equal(acts, ['create a', 'delete b'], 'the diff shows the deletion on that host and the replacement')
  assert.ok(r.state.events.some((e) => e.reason === 'Draining' && e.object === 'Node/b'))
  w.allReady()
  const r2 = w.pass()
  assert.is(w.get('Node/b'), undefined, 'drained: forgotten')
  assert.is(w.state.nodes.b, undefined)
  assert.ok(r2.state.events.some((e) => e.reason === 'NodeDrained'))
  assert.equal(nodesToObserve(w.desired.objects.map((d) => d.object), w.state).map((n) => n.metadata.name), ['a'])
})

test('an unreachable removed Node keeps its pods terminating; they are stopped when it comes back', () => {
  const w = new World(desired([node('a'), node('b'), pod('tool').on('b')]))
  w.step()
  w.allReady()
  w.pass()
  w.desired = desired([node('a')], 'c0ffee0000000000000000000000000000000003')
  w.observed.nodes.b = {...w.observed.nodes.b, reachable: false, error: 'connection refused'}
  const r = w.pass()
  assert.equal(r.plan.actions, [], 'nothing can be done there now')
  assert.ok(w.get('Pod/default/tool').metadata.deletionTimestamp, 'terminating, not forgotten')
  assert.ok(w.get('Node/b'), 'the Node is kept until drained')
  assert.ok(r.state.events.some((e) => e.reason === 'NodeUnreachable' && /will be stopped when it comes back/.test(e.message)))
  w.observed.nodes.b = {...w.observed.nodes.b, reachable: true}
  delete w.observed.nodes.b.error
  const back = w.step()
  assert.equal(back.plan.actions.map((a) => `${a.type} ${a.node} ${a.target}`), ['delete b Pod/default/tool'])
  w.pass()
  assert.is(w.get('Node/b'), undefined)
})

test('a Node back in git before it is drained is a Node again', () => {
  const w = new World(desired([node('a'), node('b')]))
  w.step()
  w.desired = desired([node('a')], 'c0ffee0000000000000000000000000000000004')
  w.observed.nodes.b = {...w.observed.nodes.b, reachable: false}
  w.pass()
  assert.ok(w.get('Node/b').metadata.deletionTimestamp)
  w.desired = desired([node('a'), node('b')], 'c0ffee0000000000000000000000000000000005')
  w.pass()
  assert.is(w.get('Node/b').metadata.deletionTimestamp, undefined)
})

test.run()
