// A pod whose ConfigMap, Secret, key or claim the commit does not hold is
// accepted and waits, as Kubernetes makes it wait (the kubelet's
// CreateContainerConfigError / FailedMount, the scheduler's "persistentvolumeclaim
// not found"); a later commit that adds the object lets it start.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {readFileSync} from 'node:fs'
import {UNMOUNTABLE_VOLUME_TYPES} from '../../../src/reconcile/config-wait.js'
import {podStatus} from '../../../src/render/kube.js'
import {configMap, deployment, desired, node, pod, World} from './fixtures.js'

const secretRef = (name: string, key: string, optional?: boolean) => ({name: 'TOKEN', valueFrom: {secretKeyRef: {name, key, ...(optional ? {optional} : {})}}})

test('missing ConfigMap volume: bound, not started, ContainerCreating with the FailedMount message; the commit adding it starts it', () => {
  const w = new World(desired([node('a'), deployment('web').replicas(2).configVolume('cfg')]))
  const r = w.step()
  assert.equal(r.plan.actions, [], 'nothing is sent to a host')
  const pods = w.objects('Pod')
  assert.is(pods.length, 2)
  for (const p of pods) {
    assert.is(p.spec.nodeName, 'a', 'the pod is bound, as the scheduler would bind it')
    assert.equal(p.status.containerStatuses[0].state.waiting, {reason: 'ContainerCreating', message: 'MountVolume.SetUp failed for volume "config" : configmap "cfg" not found'})
    assert.is(podStatus(p), 'ContainerCreating')
  }
  assert.ok(r.state.events.some((e) => e.reason === 'FailedMount' && e.message.includes('configmap "cfg" not found')))
  assert.equal(Object.values(r.summary).flatMap((b) => b.pending).length, 2, 'diff shows them pending')
  assert.ok(r.rollouts.some((x) => !x.done), 'the rollout is not done')
  w.desired = desired([node('a'), deployment('web').replicas(2).configVolume('cfg'), configMap('cfg', {k: 'v'})], 'c0ffee0000000000000000000000000000000002')
  const r2 = w.step()
  assert.equal(r2.plan.actions.map((a) => a.type), ['create', 'create'], 'the next commit starts them')
})

test('missing Secret key in env: CreateContainerConfigError with the kubelet message', () => {
  const secret = {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db', namespace: 'default'}, data: {user: 'dQ=='}}
  const w = new World(desired([node('a'), secret, pod('tool').set((o) => o.spec.containers[0].env = [secretRef('db', 'password')])]))
  const r = w.step()
  assert.equal(r.plan.actions, [])
  const p = w.get('Pod/default/tool')
  assert.equal(p.status.containerStatuses[0].state.waiting, {reason: 'CreateContainerConfigError', message: "couldn't find key password in Secret default/db"})
  assert.is(podStatus(p), 'CreateContainerConfigError')
  assert.ok(r.state.events.some((e) => e.reason === 'Failed' && e.message === "Error: couldn't find key password in Secret default/db"))
  assert.is(w.pass().state.events.filter((e) => e.reason === 'Failed').length, 1, 'the event is recorded once')
})

test('optional references never hold a pod', () => {
  const w = new World(desired([node('a'), pod('tool').set((o) => {
    o.spec.containers[0].env = [secretRef('absent', 'k', true)]
    o.spec.volumes = [{name: 'c', configMap: {name: 'absent', optional: true}}]
  })]))
  assert.equal(w.step().plan.actions.map((a) => a.type), ['create'])
})

test('a missing claim: Pending, unschedulable, the scheduler message names the claim', () => {
  const w = new World(desired([node('a'), node('b'), pod('db').set((o) => (o.spec.volumes = [{name: 'data', persistentVolumeClaim: {claimName: 'data'}}]))]))
  const r = w.step()
  assert.equal(r.plan.actions, [])
  const p = w.get('Pod/default/db')
  assert.is(p.spec.nodeName, undefined)
  const cond = p.status.conditions.find((c: {type: string}) => c.type === 'PodScheduled')
  assert.equal([cond.status, cond.reason, cond.message], ['False', 'Unschedulable', '0/2 nodes are available: persistentvolumeclaim "data" not found.'])
})

test('a running pod whose ConfigMap leaves git keeps running; its replacement would wait', () => {
  const objs = () => [node('a'), deployment('web').replicas(1).configVolume('cfg')]
  const w = new World(desired([...objs(), configMap('cfg', {k: 'v'})]))
  w.step()
  w.allReady()
  w.desired = desired(objs(), 'c0ffee0000000000000000000000000000000003')
  const r = w.step()
  assert.equal(r.plan.actions.filter((a) => a.type !== 'updateFiles'), [], 'no stop, no replace')
  assert.equal(r.plan.actions, [], 'and no file update from a ConfigMap that is gone')
})

test('a volume type no host can mount: accepted, Pending in ContainerCreating naming the type', () => {
  const w = new World(desired([node('a'), pod('san').set((o) => {
    o.spec.volumes = [{name: 'disk', iscsi: {targetPortal: '198.18.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0}}]
    o.spec.containers[0].volumeMounts = [{name: 'disk', mountPath: '/d'}]
  })]))
  const r = w.step()
  assert.equal(r.plan.actions, [])
  const p = w.get('Pod/default/san')
  assert.is(podStatus(p), 'ContainerCreating')
  assert.is(p.status.containerStatuses[0].state.waiting.message, 'MountVolume.SetUp failed for volume "disk" : tsctl hosts cannot mount iscsi volumes')
})

test('the unmountable volume types are exactly the ones the schema marks so', () => {
  const defs = JSON.parse(readFileSync(new URL('../../../../schemas/definitions.json', import.meta.url), 'utf8'))
  const props = defs.definitions.Volume.properties as Record<string, {'x-tsctl-unsupported'?: string}>
  const marked = Object.keys(props).filter((k) => props[k]['x-tsctl-unsupported']?.includes('cannot mount')).sort()
  assert.equal(marked, [...UNMOUNTABLE_VOLUME_TYPES].sort())
})

test('schedulingGates: the pod is not placed (SchedulingGated) until a commit removes them', () => {
  const gated = () => pod('batch').set((o) => (o.spec.schedulingGates = [{name: 'example.com/quota'}]))
  const w = new World(desired([node('a'), gated()]))
  const r = w.step()
  assert.equal(r.plan.actions, [])
  const p = w.get('Pod/default/batch')
  assert.is(p.spec.nodeName, undefined)
  assert.is(podStatus(p), 'SchedulingGated')
  w.desired = desired([node('a'), pod('batch')], 'c0ffee0000000000000000000000000000000004')
  assert.equal(w.step().plan.actions.map((a) => `${a.type} ${a.node}`), ['create a'])
})

test.run()
