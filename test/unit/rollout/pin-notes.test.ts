// Pins through the pure reconcile pass: pause survives commits that change
// the Deployment (as kubectl apply keeps a live spec.paused the manifest
// does not set), resume rolls what waited; undo's pin holds for the same
// commit and diff's notes say held or lifted.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {rolloutPause, rolloutUndo} from '../../../src/rollout/verbs.js'
import {pinNotes} from '../../../src/rollout/pin-notes.js'
import {deployment, desired, node, World} from '../reconcile/fixtures.js'

const fleet = () => [node('a'), node('b')]
const web = (img: string) => deployment('web').replicas(2).image(img)
const settle = (w: World) => {
  for (let i = 0; i < 8; i++) w.step()
}
const images = (w: World) => w.running('web').map((p) => w.get(`Pod/default/${p}`).spec.containers[0].image).sort()
const KEY = 'Deployment/default/web'

test('pause is kept across commits that change the Deployment; resume rolls what waited', () => {
  const w = new World(desired([...fleet(), web('x:1')], 'sha1', 'first'))
  settle(w)
  const p = rolloutPause(w.state, KEY, true)
  assert.ok(p.ok)
  if (p.ok) w.state = p.state
  w.desired = desired([...fleet(), web('x:2')], 'sha2', 'second')
  settle(w)
  w.desired = desired([...fleet(), web('x:3').replicas(3)], 'sha3', 'third')
  settle(w)
  assert.equal(images(w), ['x:1', 'x:1', 'x:1'], 'paused: no rollout, but scaling follows git')
  assert.equal(rolloutUndo(w.state, KEY), {ok: false, message: "you cannot rollback a paused deployment; resume it first with 'tsctl rollout resume deployment/web' and try again"})
  const r = rolloutPause(w.state, KEY, false)
  assert.ok(r.ok)
  if (r.ok) w.state = r.state
  settle(w)
  assert.equal(images(w), ['x:3', 'x:3', 'x:3'])
  assert.equal(rolloutPause(w.state, KEY, false), {ok: false, message: 'deployment.apps/web is not paused'})
})

test('pin notes: held for the same commit, lifted by a commit changing the workload', () => {
  const w = new World(desired([...fleet(), web('x:1')], 'sha1', 'first'))
  settle(w)
  w.desired = desired([...fleet(), web('x:2')], 'sha2', 'second')
  settle(w)
  const u = rolloutUndo(w.state, KEY)
  assert.ok(u.ok)
  if (u.ok) w.state = u.state
  settle(w)
  assert.equal(images(w), ['x:1', 'x:1'])
  assert.equal(pinNotes(w.state, w.desired), [{object: KEY, pinnedRevision: '1', lifted: false}])
  assert.equal(pinNotes(w.state, desired([...fleet(), web('x:4')], 'sha4', 'fourth')), [{object: KEY, pinnedRevision: '1', lifted: true}])
})

test.run()
