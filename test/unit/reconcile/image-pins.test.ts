import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {rolloutRestart, rolloutUndo} from '../../../src/rollout/verbs.js'
import {pinsOf} from '../../../src/reconcile/image-pins.js'
import {daemonset, deployment, desired, node, pod, statefulset, World} from './fixtures.js'

const D = (c: string) => `sha256:${c.repeat(64)}`
const fleet = () => [node('a'), node('b')]
const podsOf = (w: World, prefix: string) => w.objects('Pod').filter((p) => p.metadata.name.startsWith(prefix) && !p.metadata.deletionTimestamp)

test('a new ReplicaSet pins its registry image to this pass\'s answer, and so does every pod made from it', () => {
  const w = new World(desired([...fleet(), deployment('web').image('nginx:1.27').replicas(2)]))
  w.images = {'nginx:1.27': D('1')}
  const r = w.step()
  assert.equal(r.imageNeeds, [])
  const [rs] = w.objects('ReplicaSet')
  assert.equal(pinsOf(rs), {'nginx:1.27': D('1')})
  assert.is(podsOf(w, 'web-').length, 2)
  for (const p of podsOf(w, 'web-')) assert.equal(pinsOf(p), {'nginx:1.27': D('1')})
})

test('without an answer the pass says which image it needs, and its pods carry no pin', () => {
  const w = new World(desired([...fleet(), deployment('web').image('nginx:1.27').replicas(1)]))
  const r = w.pass()
  assert.equal(r.imageNeeds, ['nginx:1.27'])
  for (const p of w.objects('Pod')) assert.equal(pinsOf(p), {})
})

test('a moved tag does not change a revision: scale-ups of the same template keep its digest', () => {
  const w = new World(desired([...fleet(), deployment('web').image('nginx:1.27').replicas(1)]))
  w.images = {'nginx:1.27': D('1')}
  w.step()
  w.allReady()
  w.images = {'nginx:1.27': D('2')}
  w.desired = desired([...fleet(), deployment('web').image('nginx:1.27').replicas(3)])
  const r = w.step()
  assert.equal(r.imageNeeds, [])
  assert.is(w.objects('ReplicaSet').length, 1)
  for (const p of podsOf(w, 'web-')) assert.equal(pinsOf(p), {'nginx:1.27': D('1')})
})

test('a new template pins afresh; rollout undo revives the old ReplicaSet with its own digest and needs no answer', () => {
  const w = new World(desired([...fleet(), deployment('web').image('app:1').replicas(2)]))
  w.images = {'app:1': D('1')}
  w.step()
  w.allReady()
  w.images = {'app:2': D('2')}
  w.desired = desired([...fleet(), deployment('web').image('app:2').replicas(2)])
  for (let i = 0; i < 8; i++) {
    w.step()
    w.allReady()
  }
  assert.ok(podsOf(w, 'web-').every((p) => pinsOf(p)['app:2'] === D('2')))
  const undone = rolloutUndo(w.state, 'Deployment/default/web')
  assert.ok(undone.ok, undone.message)
  if (!undone.ok) return
  w.state = undone.state
  w.images = {} // no registry: the revision's pin is all undo needs
  for (let i = 0; i < 8; i++) {
    const r = w.step()
    assert.equal(r.imageNeeds, [])
    w.allReady()
  }
  const pods = podsOf(w, 'web-')
  assert.is(pods.length, 2)
  for (const p of pods) assert.equal(pinsOf(p), {'app:1': D('1')})
})

test('rollout restart makes a new revision, which takes what the tag names now', () => {
  const w = new World(desired([...fleet(), deployment('web').image('app:latest').replicas(1)]))
  w.images = {'app:latest': D('1')}
  w.step()
  w.allReady()
  const restarted = rolloutRestart(w.state, 'Deployment/default/web', w.now)
  assert.ok(restarted.ok)
  if (!restarted.ok) return
  w.state = restarted.state
  w.images = {'app:latest': D('3')}
  for (let i = 0; i < 6; i++) {
    w.step()
    w.allReady()
  }
  const pods = podsOf(w, 'web-')
  assert.is(pods.length, 1)
  assert.equal(pinsOf(pods[0]), {'app:latest': D('3')})
})

test('StatefulSet and DaemonSet pods are pinned through their ControllerRevision', () => {
  const w = new World(desired([...fleet(), statefulset('db').image('postgres:16').replicas(1), daemonset('agent').image('agent:2')]))
  w.images = {'postgres:16': D('4'), 'agent:2': D('5')}
  w.step()
  const revs = w.objects('ControllerRevision')
  assert.is(revs.length, 2)
  assert.equal(revs.map((r) => pinsOf(r)).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)), [{'agent:2': D('5')}, {'postgres:16': D('4')}])
  assert.equal(pinsOf(podsOf(w, 'db-')[0]), {'postgres:16': D('4')})
  for (const p of podsOf(w, 'agent-')) assert.equal(pinsOf(p), {'agent:2': D('5')})
})

test('oci: images are not pinned; an image written with @sha256: pins itself', () => {
  const pinned = `registry.example.com/app@${D('7')}`
  const w = new World(desired([...fleet(), deployment('a').image('oci:images/busybox').replicas(1), deployment('b').image(pinned).replicas(1)]))
  const r = w.step()
  assert.equal(r.imageNeeds, [])
  assert.equal(pinsOf(podsOf(w, 'a-')[0]), {})
  assert.equal(pinsOf(podsOf(w, 'b-')[0]), {[pinned]: D('7')})
})

test('a bare Pod keeps its pin while its spec is unchanged, whatever the tag names later', () => {
  const w = new World(desired([...fleet(), pod('solo').image('app:1')]))
  w.images = {'app:1': D('1')}
  w.step()
  w.images = {'app:1': D('2')}
  const r = w.step()
  assert.equal(r.imageNeeds, [])
  assert.equal(pinsOf(w.objects('Pod').find((p) => p.metadata.name === 'solo')), {'app:1': D('1')})
})

test('the same inputs give the same pins (reconcile stays deterministic)', () => {
  const mk = () => {
    const w = new World(desired([...fleet(), deployment('web').image('nginx:1.27').replicas(2)]))
    w.images = {'nginx:1.27': D('1')}
    return JSON.stringify(w.step().state)
  }
  assert.is(mk(), mk())
})

test.run()
