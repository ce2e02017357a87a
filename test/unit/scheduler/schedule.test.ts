// The pipeline as a whole: kube's unschedulable message, determinism, node
// order independence, the tie-break, and explain().
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {KubeObject} from '../../../src/manifests/object.js'
import {createSnapshot, explain, schedulePod} from '../../../src/reconcile/scheduler/schedule.js'
import {registryOrderIsKubes} from '../../../src/reconcile/scheduler/registry.js'
import {fleet, hostname, node, place, pod, type NodeBuilder, zoneKey} from './builders.js'

test("the unschedulable message is kube-scheduler's, reasons sorted as kube sorts them", () => {
  const s = fleet([node('a').taint('dedicated', 'batch', 'NoSchedule'), node('b'), node('c')], [pod('web-0').labels({app: 'web'}).on('b'), pod('web-1').labels({app: 'web'}).on('c')])
  const r = schedulePod(s, pod('web-2').labels({app: 'web'}).antiAffinity({app: 'web'}, hostname).build())
  assert.equal(r, {
    ok: false,
    message: "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: batch}, 2 node(s) didn't match pod anti-affinity rules.",
    reasons: {"node(s) didn't match pod anti-affinity rules": 2, 'node(s) had untolerated taint {dedicated: batch}': 1},
  })
})

test('counts sort as strings, as kube does ("10 …" before "2 …")', () => {
  const nodes = Array.from({length: 12}, (_, i) => node(`n${String(i).padStart(2, '0')}`).cap('1', '1Gi'))
  nodes[0].cordon()
  nodes[1].cordon()
  const s = fleet(nodes)
  const r = schedulePod(s, pod('big').req('2', '1Gi').build())
  assert.is(r.ok ? '' : r.message, '0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable.')
})

test('no nodes at all', () => {
  const r = schedulePod(createSnapshot([], []), pod('p').build())
  assert.equal(r, {ok: false, message: 'no nodes available to schedule pods', reasons: {}})
})

/** A mixed fleet and workload; returns every pod's placement and the final claims. */
function run(nodes: NodeBuilder[], order: (xs: NodeBuilder[]) => NodeBuilder[] = (xs) => xs): string {
  const s = fleet(order(nodes))
  const out: string[] = []
  const pods: KubeObject[] = []
  for (let d = 0; d < 4; d++)
    for (let i = 0; i < 6; i++) pods.push(pod(`web${d}-${i}`).labels({app: `web${d}`}).owner('ReplicaSet', `web${d}-abc`).req(`${100 * (d + 1)}m`, '256Mi').build())
  for (let i = 0; i < 5; i++) pods.push(pod(`db-${i}`).labels({app: 'db'}).antiAffinity({app: 'db'}).claim(`data-db-${i}`).req('1', '1Gi').build())
  for (let i = 0; i < 6; i++) pods.push(pod(`sp-${i}`).labels({app: 'sp'}).spread(1, zoneKey, 'DoNotSchedule', {app: 'sp'}).build())
  for (const p of pods) {
    const r = schedulePod(s, p)
    if (r.ok) s.assume(p, r.node)
    out.push(`${p.metadata.name} ${JSON.stringify(r)}`)
  }
  return out.join('\n') + '\n' + JSON.stringify(s.claims())
}

const mixed = () => [
  node('n1').zone('a').cap('4', '8Gi'),
  node('n2').zone('a').cap('8', '16Gi'),
  node('n3').zone('b').cap('4', '8Gi').taint('spot', 'true', 'PreferNoSchedule'),
  node('n4').zone('b').cap('2', '4Gi'),
  node('n5').zone('c').cap('16', '32Gi'),
  node('n6').zone('c').cap('4', '8Gi'),
]

test('same input, byte-identical output', () => {
  assert.is(run(mixed()), run(mixed()))
})

test('shuffling the node order changes nothing', () => {
  const base = run(mixed())
  assert.is(run(mixed(), (xs) => [...xs].reverse()), base)
  assert.is(run(mixed(), (xs) => [xs[3], xs[0], xs[5], xs[1], xs[4], xs[2]]), base)
})

test('ties go by a hash of (pod, node), not by order: equal nodes, different pods, different picks', () => {
  const nodes = () => Array.from({length: 8}, (_, i) => node(`n${i}`))
  const picks = new Set<string>()
  for (let i = 0; i < 20; i++) {
    const r = schedulePod(fleet(nodes()), pod(`p${i}`).build())
    assert.ok(r.ok)
    if (r.ok) picks.add(r.node)
    // The same pod on a fresh, reversed fleet picks the same node.
    const again = schedulePod(fleet(nodes().reverse()), pod(`p${i}`).build())
    assert.equal(again, r)
  }
  assert.ok(picks.size >= 4, `tied pods should scatter over equal nodes, got ${[...picks]}`)
})

test('the uid, when set, is what the tie-break hashes', () => {
  const nodes = () => Array.from({length: 8}, (_, i) => node(`n${i}`))
  const a = schedulePod(fleet(nodes()), pod('x').uid('u-1').build())
  const b = schedulePod(fleet(nodes()), pod('y').uid('u-1').build())
  assert.equal(a, b)
})

test('one feasible node is chosen without scoring, as kube does', () => {
  const s = fleet([node('a'), node('b').cordon()])
  assert.equal(schedulePod(s, pod('p').build()), {ok: true, node: 'a', feasible: 1})
})

test('scores: the chosen node carries each plugin\'s weighted score and the total', () => {
  const s = fleet([node('a'), node('b')])
  const r = schedulePod(s, pod('p').req('1', '1Gi').build())
  assert.ok(r.ok && r.scores)
  if (r.ok && r.scores) {
    assert.equal(Object.keys(r.scores.plugins), ['TaintToleration', 'NodeResourcesFit', 'NodeResourcesBalancedAllocation'])
    assert.is(r.scores.total, Object.values(r.scores.plugins).reduce((x, y) => x + y, 0))
  }
})

test('explain names the rejecting plugin per node and agrees with schedulePod', () => {
  const s = fleet([node('a').taint('k', 'v', 'NoSchedule'), node('b').cap('1', '1Gi'), node('c'), node('d')], [pod('x').req('1', '1Gi').on('b')])
  const {nodes, result} = explain(s, pod('p').req('500m', '256Mi').build())
  assert.equal(nodes.a, {fits: false, plugin: 'TaintToleration', reasons: ['node(s) had untolerated taint {k: v}']})
  assert.equal(nodes.b, {fits: false, plugin: 'NodeResourcesFit', reasons: ['Insufficient cpu', 'Insufficient memory']})
  assert.ok(nodes.c.fits && nodes.d.fits)
  assert.ok(result.ok && (nodes[result.node].total ?? -1) >= Math.max(nodes.c.total ?? 0, nodes.d.total ?? 0))
})

test('schedulePod does not assume; the caller does', () => {
  const s = fleet([node('a').cap('1', '1Gi')])
  const p = pod('p').req('1', '1Gi').build()
  assert.ok(schedulePod(s, p).ok)
  assert.ok(schedulePod(s, pod('q').req('1', '1Gi').build()).ok, 'nothing was assumed yet')
  assert.ok(place(s, p).ok)
  assert.not.ok(schedulePod(s, pod('r').req('1', '1Gi').build()).ok)
  assert.is(s.nodeOf('default/p'), 'a')
})

test('pods on unknown nodes and finished pods hold nothing', () => {
  const done = {...pod('job').req('1', '1Gi').on('a'), status: {phase: 'Succeeded'}}
  const s = fleet([node('a').cap('1', '1Gi')], [done, pod('ghost').req('1', '1Gi').on('gone')])
  assert.ok(schedulePod(s, pod('p').req('1', '1Gi').build()).ok)
})

test('the registry keeps kube order: static filters first, then the rest', () => {
  assert.ok(registryOrderIsKubes())
})

test.run()
