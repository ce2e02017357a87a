// The static filters: NodeName, NodeUnschedulable, TaintToleration (with
// not-ready nodes), NodeAffinity + nodeSelector; and NodePorts, ClaimNode.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {NodeSelectorRequirement} from '../../../src/reconcile/scheduler/types.js'
import {fleet, node, place, pod, rejected, scoresOf, where} from './builders.js'

test('NodeName: a pod that names its node fits only there', () => {
  const s = fleet([node('a'), node('b')])
  assert.is(where(s, pod('p').nodeName('b')), 'b')
  assert.equal(rejected(s, pod('q').nodeName('b'), 'a'), ["node(s) didn't match the requested node name"])
})

test('NodeUnschedulable: a cordoned node takes no pod unless it tolerates node.kubernetes.io/unschedulable', () => {
  const s = fleet([node('a').cordon()])
  assert.is(where(s, pod('p')), '0/1 nodes are available: 1 node(s) were unschedulable.')
  assert.is(where(s, pod('ds').tolerate('node.kubernetes.io/unschedulable', undefined, 'NoSchedule')), 'a')
})

test('TaintToleration: NoSchedule and NoExecute taints reject, naming the first untolerated taint', () => {
  const s = fleet([node('a').taint('dedicated', 'batch', 'NoSchedule'), node('b').taint('gone', undefined, 'NoExecute')])
  assert.equal(rejected(s, pod('p'), 'a'), ['node(s) had untolerated taint {dedicated: batch}'])
  assert.equal(rejected(s, pod('p'), 'b'), ['node(s) had untolerated taint {gone: }'])
  assert.is(where(s, pod('batch').tolerate('dedicated', 'batch', 'NoSchedule')), 'a')
  // Equal compares the value; a wrong value does not tolerate.
  assert.equal(rejected(s, pod('x').tolerate('dedicated', 'web', 'NoSchedule'), 'a'), ['node(s) had untolerated taint {dedicated: batch}'])
  // Exists with no key tolerates everything (DaemonSets).
  assert.equal(rejected(s, pod('all').tolerate(undefined, undefined), 'b'), [])
})

test('TaintToleration: PreferNoSchedule does not filter but scores the node lower', () => {
  const s = fleet([node('a').taint('spot', 'true', 'PreferNoSchedule'), node('b')])
  const scores = scoresOf(s, pod('p'), 'TaintToleration')
  assert.equal(scores, {a: 0, b: 300}, 'reverse-normalised, weight 3')
  assert.equal(scoresOf(s, pod('q').tolerate('spot', 'true', 'PreferNoSchedule'), 'TaintToleration'), {a: 300, b: 300})
})

test('a node that is not ready carries the not-ready taint and takes no pods', () => {
  const s = fleet([node('a').notReady(), node('b').notReady()])
  assert.is(where(s, pod('p')), '0/2 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.')
  assert.is(where(s, pod('q').tolerate('node.kubernetes.io/not-ready', undefined, 'NoSchedule')).length, 1)
})

test('NodeAffinity: nodeSelector must match every label', () => {
  const s = fleet([node('a').labels({disk: 'ssd', zone: 'a'}), node('b').labels({disk: 'hdd', zone: 'a'})])
  assert.is(where(s, pod('p').sel({disk: 'ssd'})), 'a')
  assert.equal(rejected(s, pod('q').sel({disk: 'ssd'}), 'b'), ["node(s) didn't match Pod's node affinity/selector"])
  assert.is(where(s, pod('r').sel({disk: 'nvme'})), "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.")
})

test('NodeAffinity: matchExpressions In, NotIn, Exists, DoesNotExist, Gt, Lt', () => {
  const s = fleet([node('a').labels({gen: '3', gpu: 'yes'}), node('b').labels({gen: '5'}), node('c').labels({gen: 'x'})])
  const fits = (exprs: NodeSelectorRequirement[]) => ['a', 'b', 'c'].filter((n) => rejected(s, pod('p').nodeAffinity(exprs), n).length === 0)
  assert.equal(fits([{key: 'gen', operator: 'In', values: ['3', '5']}]), ['a', 'b'])
  assert.equal(fits([{key: 'gen', operator: 'NotIn', values: ['3']}]), ['b', 'c'])
  assert.equal(fits([{key: 'gpu', operator: 'Exists'}]), ['a'])
  assert.equal(fits([{key: 'gpu', operator: 'DoesNotExist'}]), ['b', 'c'])
  assert.equal(fits([{key: 'gen', operator: 'Gt', values: ['4']}]), ['b'], 'Gt compares integers; a non-integer label never matches')
  assert.equal(fits([{key: 'gen', operator: 'Lt', values: ['4']}]), ['a'])
  assert.equal(fits([{key: 'kubernetes.io/hostname', operator: 'In', values: ['c']}]), ['c'], 'the hostname label is set on every node')
})

test('NodeAffinity: matchFields metadata.name narrows the nodes as a PreFilterResult', () => {
  const s = fleet([node('a'), node('b').cordon(), node('c')])
  const ds = () => pod('ds').nodeAffinity([], [{key: 'metadata.name', operator: 'In', values: ['b']}])
  assert.is(where(s, ds()), "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].")
  assert.is(where(s, pod('ds2').nodeAffinity([], [{key: 'metadata.name', operator: 'In', values: ['c']}])), 'c')
})

test('NodeAffinity: preferred terms score by weight, normalised so the best is 100', () => {
  const s = fleet([node('a').labels({disk: 'ssd'}), node('b').labels({disk: 'hdd'}), node('c')])
  const p = pod('p').preferNode(80, [{key: 'disk', operator: 'In', values: ['ssd']}]).preferNode(20, [{key: 'disk', operator: 'Exists'}])
  assert.equal(scoresOf(s, p, 'NodeAffinity'), {a: 200, b: 40, c: 0})
  assert.is(where(s, p), 'a')
})

test('NodePorts: a host port is taken once per node; protocol and IP matter; 0.0.0.0 conflicts with every IP', () => {
  const s = fleet([node('a')], [pod('web').hostPort(80).on('a'), pod('dns').hostPort(53, 'UDP', '10.0.0.1').on('a')])
  assert.equal(rejected(s, pod('p').hostPort(80), 'a'), ["node(s) didn't have free ports for the requested pod ports"])
  assert.equal(rejected(s, pod('q').hostPort(80, 'UDP'), 'a'), [])
  assert.equal(rejected(s, pod('r').hostPort(53, 'UDP', '10.0.0.2'), 'a'), [])
  assert.equal(rejected(s, pod('t').hostPort(53, 'UDP'), 'a'), ["node(s) didn't have free ports for the requested pod ports"])
  // The other direction: a pod already holding 0.0.0.0:80 conflicts with any specific IP on 80/TCP.
  assert.equal(rejected(s, pod('u').hostPort(80, 'TCP', '198.18.0.5'), 'a'), ["node(s) didn't have free ports for the requested pod ports"])
  assert.equal(rejected(s, pod('v').hostPort(80, 'UDP', '198.18.0.5'), 'a'), [], 'other protocol on the same port is free')
  assert.equal(rejected(s, pod('w').hostPort(8080, 'TCP', '198.18.0.5'), 'a'), [], 'other port on the same IP is free')
})

test('ClaimNode: a pod using a bound claim goes only to its node; an unbound claim binds where its first pod lands', () => {
  const s = fleet([node('a'), node('b'), node('c')], [], {'default/data-db-0': 'b'})
  assert.is(where(s, pod('db-0').claim('data-db-0')), 'b')
  assert.equal(rejected(s, pod('other').claim('data-db-0'), 'a'), ['node(s) had volume node affinity conflict'])
  const first = pod('db-1').claim('data-db-1').build()
  const r = place(s, first)
  assert.ok(r.ok)
  assert.is(s.claims()['default/data-db-1'], r.ok ? r.node : '')
  s.forget(first)
  assert.is(s.claims()['default/data-db-1'], undefined, 'forget undoes the binding its assume made')
  assert.is(s.claims()['default/data-db-0'], 'b', 'but not one given to createSnapshot')
})

test('ClaimNode: a claim bound to a node that left the fleet fits nowhere', () => {
  const s = fleet([node('a')], [], {'default/old': 'gone'})
  assert.is(where(s, pod('p').claim('old')), '0/1 nodes are available: 1 node(s) had volume node affinity conflict.')
})

test.run()
