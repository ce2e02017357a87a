// Edge cases of the kube semantics the plugins copy.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {explain} from '../../../src/reconcile/scheduler/schedule.js'
import {fleet, hostname, node, pod, rejected, where, zoneKey} from './builders.js'

test('NodeAffinity PreFilter: name fields that intersect to nothing conflict, for the whole pod', () => {
  const s = fleet([node('a'), node('b')])
  const p = pod('p').nodeAffinity([], [
    {key: 'metadata.name', operator: 'In', values: ['a']},
    {key: 'metadata.name', operator: 'In', values: ['b']},
  ])
  assert.is(where(s, p), '0/2 nodes are available: pod affinity terms conflict.')
})

test('explain: nodes left out by a PreFilterResult are named as kube names them', () => {
  const s = fleet([node('a'), node('b')])
  const {nodes} = explain(s, pod('ds').nodeAffinity([], [{key: 'metadata.name', operator: 'In', values: ['b']}]).build())
  assert.equal(nodes.a, {fits: false, plugin: 'NodeAffinity', reasons: ["node(s) didn't satisfy plugin(s) [NodeAffinity]"]})
  assert.is(nodes.b.fits, true)
})

test('ephemeral-storage is only checked on nodes that declare it', () => {
  const s = fleet([node('small').cap('4', '8Gi', 110, {'ephemeral-storage': '1Gi'}), node('plain')])
  const p = () => pod('p').req('100m', '64Mi', {'ephemeral-storage': '2Gi'})
  assert.equal(rejected(s, p(), 'small'), ['Insufficient ephemeral-storage'])
  assert.equal(rejected(s, p(), 'plain'), [])
})

test('namespaceSelector sees the kubernetes.io/metadata.name label', () => {
  const s = fleet([node('a'), node('b')], [pod('db').ns('data').labels({app: 'db'}).on('b')])
  const p = pod('app').build()
  ;(p.spec as {affinity?: unknown}).affinity = {
    podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: 'db'}}, namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'data'}}, topologyKey: hostname}]},
  }
  assert.is(where(s, p), 'b')
})

test('spread matchLabelKeys: only pods with the same value of the key count', () => {
  // Old replicas (hash v1) crowd zone a; the new ReplicaSet (v2) counts only its own pods.
  const old = (i: number, n: string) => pod(`old-${i}`).labels({app: 'web', 'pod-template-hash': 'v1'}).on(n)
  const s = fleet([node('a').zone('a'), node('b').zone('b')], [old(0, 'a'), old(1, 'a'), old(2, 'a')])
  const mk = (withKeys: boolean) => {
    const p = pod('new-0').labels({app: 'web', 'pod-template-hash': 'v2'}).spread(1, zoneKey, 'DoNotSchedule', {app: 'web'}).build()
    if (withKeys) (p.spec as {topologySpreadConstraints: {matchLabelKeys?: string[]}[]}).topologySpreadConstraints[0].matchLabelKeys = ['pod-template-hash']
    return p
  }
  assert.equal(rejected(s, mk(false), 'a'), ["node(s) didn't match pod topology spread constraints"])
  assert.equal(rejected(s, mk(true), 'a'), [])
})

test('nodeTaintsPolicy Honor: tainted nodes the pod does not tolerate are not domains', () => {
  // Zone c is tainted; with Honor it does not hold the global minimum at 0.
  const s = fleet([node('a').zone('a'), node('b').zone('b'), node('c').zone('c').taint('k', 'v', 'NoSchedule')], [pod('w0').labels({app: 'w'}).on('a'), pod('w1').labels({app: 'w'}).on('b')])
  const p = (policy: 'Honor' | 'Ignore') => pod('w2').labels({app: 'w'}).spread(1, zoneKey, 'DoNotSchedule', {app: 'w'}, {nodeTaintsPolicy: policy})
  assert.is(where(s, p('Ignore')), "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 node(s) didn't match pod topology spread constraints.")
  assert.ok(['a', 'b'].includes(where(s, p('Honor'))))
})

test.run()
