// PodTopologySpread: DoNotSchedule skew, missing labels, minDomains,
// ScheduleAnyway scoring, and kube's default spreading of ReplicaSet pods.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {fleet, hostname, node, pod, rejected, scoresOf, where, zoneKey} from './builders.js'

const zones = () => [node('a1').zone('a'), node('a2').zone('a'), node('b1').zone('b'), node('c1').zone('c')]
const web = (i: number, maxSkew = 1) => pod(`web-${i}`).labels({app: 'web'}).spread(maxSkew, zoneKey, 'DoNotSchedule', {app: 'web'})

test('DoNotSchedule: maxSkew 1 across zones places one per zone before doubling up', () => {
  const s = fleet(zones())
  const zoneOf = (n: string) => n[0]
  const counts: Record<string, number> = {}
  for (let i = 0; i < 6; i++) {
    const z = zoneOf(where(s, web(i)))
    counts[z] = (counts[z] ?? 0) + 1
    const values = Object.values(counts)
    assert.ok(Math.max(...values) - (Object.keys(counts).length < 3 ? 0 : Math.min(...values)) <= 1, JSON.stringify(counts))
  }
  assert.equal(counts, {a: 2, b: 2, c: 2})
})

test('DoNotSchedule: the skewed zone is rejected with kube\'s reason', () => {
  const s = fleet(zones(), [pod('w0').labels({app: 'web'}).on('a1')])
  assert.equal(rejected(s, web(1), 'a2'), ["node(s) didn't match pod topology spread constraints"])
  assert.equal(rejected(s, web(1), 'b1'), [])
})

test('a node without the topology label is rejected (missing required label)', () => {
  const s = fleet([node('a').zone('a'), node('bare')])
  assert.equal(rejected(s, web(0), 'bare'), ["node(s) didn't match pod topology spread constraints (missing required label)"])
})

test('minDomains: fewer domains than asked makes the global minimum 0', () => {
  const s = fleet([node('a').zone('a'), node('b').zone('b')], [pod('w0').labels({app: 'web'}).on('a'), pod('w1').labels({app: 'web'}).on('b')])
  const p = pod('w2').labels({app: 'web'}).spread(1, zoneKey, 'DoNotSchedule', {app: 'web'}, {minDomains: 3})
  assert.is(where(s, p), "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints.")
  assert.is(where(s, web(3)).length, 1, 'without minDomains it fits')
})

test('nodeAffinityPolicy Honor: only nodes the pod may use count toward the minimum', () => {
  // Zone c has no ssd node; with Honor, it is not a domain, so a and b decide the skew.
  const s = fleet([node('a').zone('a').labels({disk: 'ssd'}), node('b').zone('b').labels({disk: 'ssd'}), node('c').zone('c')], [pod('w0').labels({app: 'web'}).on('a')])
  assert.is(where(s, web(1).sel({disk: 'ssd'})), 'b')
})

test('ScheduleAnyway scores the emptier domain higher, never filters', () => {
  const s = fleet([node('a').zone('a'), node('b').zone('b')], [pod('w0').labels({app: 'web'}).on('a'), pod('w1').labels({app: 'web'}).on('a')])
  const p = pod('w2').labels({app: 'web'}).spread(1, zoneKey, 'ScheduleAnyway', {app: 'web'})
  const scores = scoresOf(s, p, 'PodTopologySpread')
  assert.ok((scores.b ?? 0) > (scores.a ?? 0), JSON.stringify(scores))
  assert.is(scores.b, 200)
  assert.is(where(s, p), 'b')
})

test('default spreading: ReplicaSet pods without constraints spread over nodes', () => {
  const s = fleet([node('a'), node('b'), node('c')])
  const placed = [0, 1, 2, 3, 4, 5].map((i) => where(s, pod(`web-${i}`).labels({app: 'web'}).owner('ReplicaSet', 'web-7d9f')))
  const per: Record<string, number> = {}
  for (const n of placed) per[n] = (per[n] ?? 0) + 1
  assert.equal(per, {a: 2, b: 2, c: 2})
})

test('default spreading does not apply to pods without a ReplicaSet/StatefulSet owner', () => {
  const s = fleet([node('a'), node('b')])
  assert.equal(scoresOf(s, pod('bare'), 'PodTopologySpread'), {a: undefined, b: undefined})
  assert.equal(scoresOf(s, pod('ds').owner('DaemonSet', 'x'), 'PodTopologySpread'), {a: undefined, b: undefined})
})

test('hostname spread with DoNotSchedule caps pods per node', () => {
  const s = fleet([node('a'), node('b')])
  const p = (i: number) => pod(`w-${i}`).labels({app: 'w'}).spread(1, hostname, 'DoNotSchedule', {app: 'w'})
  const placed = [0, 1, 2, 3].map((i) => where(s, p(i)))
  assert.equal(placed.filter((n) => n === 'a').length, 2)
})

test.run()
