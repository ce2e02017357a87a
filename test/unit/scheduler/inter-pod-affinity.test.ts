// InterPodAffinity: required and preferred affinity and anti-affinity,
// topology keys, namespaces, and bound pods' anti-affinity against the
// incoming pod — all seen across assume.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {fleet, hostname, node, place, pod, rejected, scoresOf, where, zoneKey} from './builders.js'

const threeZones = () => [node('a1').zone('a'), node('a2').zone('a'), node('b1').zone('b'), node('c1').zone('c')]

test('required anti-affinity on hostname: one replica per node, seen across assume', () => {
  const s = fleet([node('a'), node('b'), node('c')])
  const web = (i: number) => pod(`web-${i}`).labels({app: 'web'}).antiAffinity({app: 'web'}, hostname)
  const placed = [0, 1, 2].map((i) => where(s, web(i)))
  assert.equal([...placed].sort(), ['a', 'b', 'c'])
  assert.is(where(s, web(3)), "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.")
})

test('required anti-affinity on zone blocks the whole zone', () => {
  const s = fleet(threeZones(), [pod('db-0').labels({app: 'db'}).on('a1')])
  const p = pod('db-1').labels({app: 'db'}).antiAffinity({app: 'db'}, zoneKey)
  assert.equal(rejected(s, p, 'a2'), ["node(s) didn't match pod anti-affinity rules"])
  assert.equal(rejected(s, p, 'b1'), [])
})

test("bound pods' anti-affinity keeps matching pods away (symmetry)", () => {
  const s = fleet([node('a'), node('b')], [pod('loner').labels({app: 'loner'}).antiAffinity({team: 'x'}, hostname).on('a')])
  assert.equal(rejected(s, pod('p').labels({team: 'x'}), 'a'), ["node(s) didn't satisfy existing pods anti-affinity rules"])
  assert.equal(rejected(s, pod('q').labels({team: 'y'}), 'a'), [])
  assert.equal(rejected(s, pod('r').labels({team: 'x'}).ns('other'), 'a'), [], "the term's namespaces default to its own pod's")
})

test('required affinity: co-locate in the topology domain of a matching pod', () => {
  const s = fleet(threeZones(), [pod('cache').labels({app: 'cache'}).on('b1')])
  assert.is(where(s, pod('web').affinity({app: 'cache'}, zoneKey)), 'b1')
  assert.equal(rejected(s, pod('web2').affinity({app: 'cache'}, zoneKey), 'a1'), ["node(s) didn't match pod affinity rules"])
})

test('required affinity: the first pod of a self-affine group may land anywhere; the rest follow it', () => {
  const s = fleet(threeZones())
  const member = (i: number) => pod(`g-${i}`).labels({group: 'g'}).affinity({group: 'g'}, zoneKey)
  const first = where(s, member(0))
  const zoneOf = (n: string) => n[0]
  for (let i = 1; i < 4; i++) assert.is(zoneOf(where(s, member(i))), zoneOf(first))
  // A pod that does not match its own term gets no such pass.
  assert.match(where(fleet(threeZones()), pod('lonely').labels({x: 'y'}).affinity({group: 'none'}, zoneKey)), "4 node(s) didn't match pod affinity rules")
})

test('affinity across namespaces: namespaces lists where to look', () => {
  const s = fleet([node('a'), node('b')], [pod('db').ns('data').labels({app: 'db'}).on('b')])
  assert.is(where(s, pod('app').affinity({app: 'db'}, hostname, ['data'])), 'b')
  assert.match(where(s, pod('app2').affinity({app: 'db'}, hostname)), "didn't match pod affinity rules", 'default namespace has no db pod')
})

test('preferred anti-affinity spreads replicas and scores the occupied node lowest', () => {
  const s = fleet([node('a'), node('b'), node('c')])
  const web = (i: number) => pod(`web-${i}`).labels({app: 'web'}).preferAnti(100, {app: 'web'})
  const first = where(s, web(0))
  const scores = scoresOf(s, web(1), 'InterPodAffinity')
  assert.is(scores[first], 0)
  for (const n of ['a', 'b', 'c'].filter((n) => n !== first)) assert.is(scores[n], 200, 'normalised 100 × weight 2')
  assert.is.not(where(s, web(1)), first)
})

test("bound pods' preferred affinity attracts matching pods", () => {
  const s = fleet([node('a'), node('b')], [pod('magnet').preferAffinity(50, {role: 'iron'}).on('b')])
  assert.equal(scoresOf(s, pod('p').labels({role: 'iron'}), 'InterPodAffinity'), {a: 0, b: 200})
})

test('forget removes a pod from the counts', () => {
  const s = fleet([node('a')])
  const first = pod('web-0').labels({app: 'web'}).antiAffinity({app: 'web'}).build()
  assert.ok(place(s, first).ok)
  assert.not.ok(place(s, pod('web-1').labels({app: 'web'}).antiAffinity({app: 'web'})).ok)
  s.forget(first)
  assert.is(where(s, pod('web-2').labels({app: 'web'}).antiAffinity({app: 'web'})), 'a')
})

test.run()
