// Events from observed pod status, as describe pod shows them: Started,
// Restarted/OOMKilled, BackOff, Unhealthy — each recorded once per change.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {deployment, desired, node, World} from './fixtures.js'

const reasons = (w: World, pod: string) => w.state.events.filter((e) => e.object === `Pod/default/${pod}`).map((e) => e.reason)

function setup() {
  const w = new World(desired([node('a'), deployment('web').replicas(1)]))
  w.step()
  w.allReady()
  w.pass()
  const name = w.running('web')[0]
  return {w, name, p: w.findPod(name)!}
}

test('a container that starts is recorded once as Started', () => {
  const {w, name} = setup()
  assert.equal(reasons(w, name).filter((r) => r === 'Started').length, 1)
  w.advance(1000)
  w.pass()
  assert.equal(reasons(w, name).filter((r) => r === 'Started').length, 1, 'no repeat while nothing changes')
})

test('a restart: Restarted (or OOMKilled) and Started again; CrashLoopBackOff: BackOff once', () => {
  const {w, name, p} = setup()
  w.advance(5000)
  const c = p.containers[0]
  Object.assign(c, {restartCount: 1, startedAt: w.now, lastTerminationReason: 'OOMKilled', lastExitCode: 137})
  w.pass()
  assert.equal(reasons(w, name).slice(-2), ['Started', 'OOMKilled'])
  w.advance(5000)
  Object.assign(c, {state: 'waiting', reason: 'CrashLoopBackOff', restartCount: 2, lastTerminationReason: 'Error', lastExitCode: 1, ready: false})
  w.pass()
  assert.equal(reasons(w, name).slice(-2), ['Restarted', 'BackOff'])
  w.advance(1000)
  w.pass()
  assert.equal(reasons(w, name).slice(-1), ['BackOff'], 'not repeated')
  assert.match(w.state.events.filter((e) => e.reason === 'Restarted').at(-1)!.message, 'exit code 1')
})

test('ready → not ready in the same run is a failed readiness probe (only with a readiness probe)', () => {
  const {w, name} = setup()
  // the fixture's template has no readiness probe: nothing is said
  w.setReady(name, false)
  w.advance(1000)
  w.pass()
  assert.not.ok(reasons(w, name).includes('Unhealthy'))
  // with a probe in the pod's spec, the same change is an Unhealthy warning
  const pod = w.get(`Pod/default/${name}`)
  pod.spec.containers[0].readinessProbe = {exec: {command: ['true']}}
  w.setReady(name, true)
  w.pass()
  w.setReady(name, false)
  w.advance(1000)
  w.pass()
  assert.equal(reasons(w, name).filter((r) => r === 'Unhealthy').length, 1)
})

test.run()
