// A pod whose supervisor died (its host rebooted: the runtime reports phase
// Unknown) is applied again on the same node; a finished-by-design pod is not.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {deployment, desired, node, World} from './fixtures.js'

test('a pod observed Unknown (supervisor gone) is started again on its node, same UID', () => {
  const w = new World(desired([node('a'), node('b'), deployment('web').replicas(2)]))
  w.step()
  w.allReady()
  assert.is(w.pass().plan.actions.length, 0)
  const name = w.running('web')[0]
  const p = w.findPod(name)!
  const nodeOf = Object.values(w.observed.nodes).find((n) => n.pods.includes(p))!.name
  p.phase = 'Unknown'
  p.ready = false
  const r = w.pass()
  assert.equal(r.plan.actions.map((a) => `${a.type} ${a.node} ${a.target}`), [`replace ${nodeOf} Pod/default/${name}`])
  assert.match((r.plan.actions[0] as {reason: string}).reason, 'supervisor')
  assert.is((r.plan.actions[0] as {pod: {metadata: {uid: string}}}).pod.metadata.uid, p.uid)
  w.apply()
  w.allReady()
  assert.is(w.pass().plan.actions.length, 0, 'converged again')
})

test.run()
