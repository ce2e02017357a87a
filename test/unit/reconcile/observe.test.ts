import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {configMap, daemonset, deployment, desired, node, pod, service, statefulset, World} from './fixtures.js'

const fleet = () => [node('a'), node('b'), node('c')]

function unreachable(w: World, name: string) {
  w.observed.nodes[name] = {name, reachable: false, observedAt: w.now, error: 'ssh: connect timed out', pods: []}
}

test('drift: a pod missing on its host is started again', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(2)]))
  w.step()
  assert.is(w.pass().plan.actions.length, 0)
  const victim = w.running('web')[0]
  const n = Object.values(w.observed.nodes).find((x) => x.pods.some((p) => p.name === victim))!
  n.pods = n.pods.filter((p) => p.name !== victim)
  const r = w.pass()
  assert.equal(r.plan.actions.map((a) => `${a.type} ${a.target}`), [`create Pod/default/${victim}`])
  assert.match((r.plan.actions[0] as {reason: string}).reason, /drift/)
})

test('an unreachable node is not evidence: its pods stay, nothing is planned for it', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(3)]))
  w.step()
  const onA = w.observed.nodes.a.pods.map((p) => p.name)
  unreachable(w, 'a')
  const r = w.pass()
  assert.is(r.plan.actions.length, 0)
  for (const name of onA) assert.ok(w.get(`Pod/default/${name}`), `${name} kept`)
  assert.ok(r.summary['Deployment/default/web'].pending.length === onA.length)
})

test('node failure: past the grace period Deployment pods move, StatefulSet pods do not; the returning node stops the moved pods', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(3), statefulset('db').replicas(3).parallel(), daemonset('agent'), pod('tool').on('a')]))
  w.step()
  const webOnA = w.observed.nodes.a.pods.filter((p) => p.name.startsWith('web')).map((p) => p.name)
  const dbOnA = w.observed.nodes.a.pods.filter((p) => p.name.startsWith('db')).map((p) => p.name)
  assert.ok(webOnA.length > 0 && dbOnA.length > 0)
  const saved = structuredClone(w.observed.nodes.a)
  unreachable(w, 'a')
  w.pass()
  w.advance(39_000)
  assert.is(w.pass().plan.actions.length, 0, 'within the grace period')
  w.advance(2_000)
  const r = w.pass()
  assert.is(w.state.nodes.a.ready, false)
  const creates = r.plan.actions.filter((a) => a.type === 'create')
  assert.is(creates.length, webOnA.length, 'only the Deployment pods are replaced')
  assert.ok(creates.every((a) => a.node !== 'a' && a.target.startsWith('Pod/default/web-')))
  for (const name of dbOnA) assert.is(w.get(`Pod/default/${name}`).spec.nodeName, 'a', 'StatefulSet pod keeps its node')
  const agentOnA = w.objects('Pod').find((p) => p.metadata.name.startsWith('agent-') && p.spec.nodeName === 'a')
  assert.ok(agentOnA && !agentOnA.metadata.deletionTimestamp, 'DaemonSet pod stays')
  assert.ok(!w.get('Pod/default/tool').metadata.deletionTimestamp, 'bare pod stays')
  assert.is(w.get('Pod/default/tool').status.conditions.find((c: {type: string}) => c.type === 'Ready').status, 'False')
  w.apply()
  // node a returns, still running the old pods
  w.observed.nodes.a = {...saved, observedAt: w.now}
  const back = w.pass()
  assert.equal(back.plan.actions.map((a) => `${a.type} ${a.node}`).sort(), webOnA.map(() => 'delete a'))
  assert.is(w.state.nodes.a.ready, true)
  w.apply()
  assert.is(w.pass().plan.actions.length, 0)
})

test('UpdateFiles: a ConfigMap change reaches running pods without a restart', () => {
  const objs = (v: string) => [...fleet(), configMap('web-config', {'app.conf': v}), deployment('web').replicas(2).configVolume('web-config')]
  const w = new World(desired(objs('a=1')))
  w.step()
  assert.is(w.pass().plan.actions.length, 0)
  w.desired = desired(objs('a=2'))
  const r = w.pass()
  assert.equal([...new Set(r.plan.actions.map((a) => a.type))], ['updateFiles'])
  assert.is(r.plan.actions.length, 2)
  assert.is(w.objects('ReplicaSet').length, 1, 'no rollout')
  assert.is(r.summary['Deployment/default/web'].update.length, 2)
  w.apply()
  assert.is(w.pass().plan.actions.length, 0)
})

test('bare Pod: spec change → ReplacePod on the same node', () => {
  const w = new World(desired([...fleet(), pod('tool')]))
  const r1 = w.step()
  const n = r1.plan.actions[0].node
  w.desired = desired([...fleet(), pod('tool').image('busybox:1.37')])
  const r2 = w.step()
  assert.equal(r2.plan.actions.map((a) => `${a.type} ${a.node} ${a.target}`), [`replace ${n} Pod/default/tool`])
  assert.is(w.pass().plan.actions.length, 0)
})

test('prune: removed objects stop their pods; with prune off they stay', () => {
  for (const prune of [true, false]) {
    const w = new World(desired([...fleet(), deployment('web').replicas(2), deployment('api').replicas(1)]), {prune})
    w.step()
    w.desired = desired([...fleet(), deployment('web').replicas(2)])
    const r = w.pass()
    if (prune) {
      assert.equal(r.plan.actions.map((a) => a.type), ['delete'])
      assert.ok(r.plan.actions[0].target.startsWith('Pod/default/api-'))
      assert.is(w.get('Deployment/default/api'), undefined)
      w.apply()
      w.pass()
      assert.equal(Object.keys(w.state.objects).filter((k) => k.includes('api')), [])
    } else {
      assert.is(r.plan.actions.length, 0)
      assert.is(w.get('Deployment/default/api').metadata.annotations['tsctl.io/orphaned'], 'true')
    }
  }
})

test('pods on a host that nothing owns are deleted only with prune', () => {
  for (const prune of [true, false]) {
    const w = new World(desired([...fleet()]), {prune})
    w.observed.nodes.b.pods.push({namespace: 'default', name: 'stray', uid: 'x', specHash: 'y', phase: 'Running', ready: true, initContainers: [], containers: []})
    const r = w.pass()
    assert.is(r.plan.actions.length, prune ? 1 : 0)
    assert.ok(r.summary['(unowned)'][prune ? 'stop' : 'ignore'].includes('Pod/default/stray'))
  }
})

test('unschedulable: Pending with the scheduler message and one FailedScheduling event', () => {
  const w = new World(desired([node('a').taint('dedicated', 'batch'), deployment('web').replicas(1)]))
  const r = w.pass()
  assert.is(r.plan.actions.length, 0)
  const [key] = r.summary['Deployment/default/web'].pending
  const p = w.get(key)
  const cond = p.status.conditions.find((c: {type: string}) => c.type === 'PodScheduled')
  assert.is(cond.status, 'False')
  assert.match(cond.message, /0\/1 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: batch\}/)
  w.pass()
  assert.is(w.state.events.filter((e) => e.reason === 'FailedScheduling').length, 1)
})

test('Endpoints: ready pods under addresses, others under notReadyAddresses', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(2), service('web', {app: 'web'})]))
  w.step({ready: false})
  const [first] = w.running('web')
  w.setReady(first, true)
  w.pass()
  const ep = w.get('Endpoints/default/web')
  assert.is(ep.subsets.length, 1)
  assert.equal(ep.subsets[0].addresses.map((a: {targetRef: {name: string}}) => a.targetRef.name), [first])
  assert.is(ep.subsets[0].notReadyAddresses.length, 1)
  assert.equal(ep.subsets[0].ports, [{name: 'http', port: 8080, protocol: 'TCP'}])
})

test('a claim binds to the node of its first pod, holds the next pod there, and is deleted from that node when pruned', () => {
  const claim = {apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'cache', namespace: 'default'}, spec: {accessModes: ['ReadWriteOnce'], resources: {requests: {storage: '1Gi'}}}}
  const user = (name: string) => pod(name).set((o) => {
    o.spec.volumes = [{name: 'c', persistentVolumeClaim: {claimName: 'cache'}}]
  })
  const w = new World(desired([...fleet(), claim, user('one'), user('two')]))
  const r = w.step()
  const bound = w.get('PersistentVolumeClaim/default/cache').metadata.annotations['volume.kubernetes.io/selected-node']
  assert.ok(bound)
  assert.equal(r.plan.actions.map((a) => a.node), [bound, bound])
  w.desired = desired([...fleet()])
  const r2 = w.pass()
  assert.equal(r2.plan.actions.map((a) => `${a.type} ${a.node} ${a.target}`), [
    `delete ${bound} Pod/default/one`,
    `delete ${bound} Pod/default/two`,
    `deleteClaim ${bound} PersistentVolumeClaim/default/cache`,
  ])
})

test('with prune off, pods tsctl moved off a lost node are still stopped when it returns', () => {
  const w = new World(desired([...fleet(), deployment('web').replicas(3)]), {prune: false, nodeGraceMs: 1000})
  w.step()
  const saved = structuredClone(w.observed.nodes.a)
  unreachable(w, 'a')
  w.pass()
  w.advance(2000)
  w.step()
  w.observed.nodes.a = {...saved, observedAt: w.now}
  const r = w.pass()
  assert.ok(r.plan.actions.length > 0)
  assert.ok(r.plan.actions.every((a) => a.type === 'delete' && a.node === 'a'))
})

test.run()
