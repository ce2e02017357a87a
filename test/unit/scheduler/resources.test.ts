// NodeResourcesFit (filter and LeastAllocated score), the pod request rules
// (init-container max, sidecars, overhead), and BalancedAllocation.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {podRequest} from '../../../src/reconcile/scheduler/pod-info.js'
import type {SchedulingPodSpec} from '../../../src/reconcile/scheduler/types.js'
import {fleet, node, pod, rejected, scoresOf, where} from './builders.js'

const spec = (p: ReturnType<typeof pod>) => p.build().spec as SchedulingPodSpec

test('request = max(sum of containers, largest init container) + overhead', () => {
  const r = podRequest(spec(pod('p').req('500m', '256Mi').container('side', '250m', '128Mi').init('1', '64Mi').overhead('100m', '32Mi')))
  assert.is(r.milliCPU, 1000 + 100, 'the init container (1 CPU) beats the containers (750m)')
  assert.is(r.memory, (256 + 128 + 32) * 2 ** 20, 'the containers (384Mi) beat the init container (64Mi)')
})

test('sidecars (restartable init containers) add to the containers and to later init containers', () => {
  const r = podRequest(spec(pod('p').req('500m', '100Mi').init('200m', '50Mi', true).init('600m', '10Mi')))
  // containers + sidecar = 700m; the plain init runs beside the sidecar: 600m + 200m = 800m.
  assert.is(r.milliCPU, 800)
  assert.is(r.memory, 150 * 2 ** 20)
})

test('Fit: one reason per short resource, in kube order', () => {
  const s = fleet([node('a').cap('1', '1Gi', 1)], [pod('old').req('800m', '900Mi').on('a')])
  assert.equal(rejected(s, pod('p').req('500m', '512Mi'), 'a'), ['Too many pods', 'Insufficient cpu', 'Insufficient memory'])
  assert.is(where(s, pod('q').req('500m', '512Mi')), '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods.')
})

test('Fit: the init-container max rule decides fit', () => {
  const s = fleet([node('a').cap('2', '8Gi')])
  assert.is(where(s, pod('ok').req('100m', '64Mi').init('2', '64Mi')), 'a')
  assert.equal(rejected(s, pod('big').req('100m', '64Mi').init('2', '64Mi'), 'a'), ['Insufficient cpu'], 'ok holds 100m now')
})

test('Fit: requests and node allocatable of an extended resource follow one rule (Value(), rounded up)', () => {
  // 1500m on the node is Value() 2, as Kubernetes' NodeInfo keeps it: two pods asking 1 each fit.
  const s = fleet([node('a').cap('4', '8Gi', 110, {'example.com/dongle': '1500m'})])
  assert.is(where(s, pod('p1').req('100m', '64Mi', {'example.com/dongle': '1'})), 'a')
  const t = fleet([node('a').cap('4', '8Gi', 110, {'example.com/dongle': '1500m'})], [pod('p1').req('100m', '64Mi', {'example.com/dongle': '1'}).on('a')])
  assert.is(where(t, pod('p2').req('100m', '64Mi', {'example.com/dongle': '1'})), 'a')
  assert.is(where(t, pod('p3').req('100m', '64Mi', {'example.com/dongle': '2'})), '0/1 nodes are available: 1 Insufficient example.com/dongle.')
})

test('Fit: extended resources must be offered by the node', () => {
  const s = fleet([node('gpu').cap('4', '8Gi', 110, {'nvidia.com/gpu': 1}), node('plain')])
  assert.is(where(s, pod('train').req('1', '1Gi', {'nvidia.com/gpu': '1'})), 'gpu')
  assert.is(where(s, pod('train2').req('1', '1Gi', {'nvidia.com/gpu': '1'})), '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.')
})

test('Fit: a best-effort pod fits a full node but still counts toward pods', () => {
  const s = fleet([node('a').cap('1', '1Gi', 2)], [pod('full').req('1', '1Gi').on('a')])
  assert.is(where(s, pod('be').bestEffort()), 'a')
  assert.is(where(s, pod('be2').bestEffort()), '0/1 nodes are available: 1 Too many pods.')
})

test('LeastAllocated: the emptier node scores higher; missing requests count as 100m/200Mi', () => {
  const s = fleet([node('a').cap('4', '8Gi'), node('b').cap('4', '8Gi')], [pod('x').req('2', '4Gi').on('a')])
  // a: cpu (4000-2000-1000)/4000 → 25, mem (8Gi-4Gi-1Gi)/8Gi → 37 → 31; b: 75, 87 → 81 (weight 1)
  assert.equal(scoresOf(s, pod('p').req('1', '1Gi'), 'NodeResourcesFit'), {a: 31, b: 81})
  // A pod without requests is scored as 100m/200Mi: b → (3900/4000 → 97, (8Gi-200Mi)/8Gi → 97) → 97.
  assert.is(scoresOf(s, pod('q').bestEffort(), 'NodeResourcesFit').b, 97)
  assert.is(where(s, pod('r').req('1', '1Gi')), 'b')
})

test('BalancedAllocation: prefers the node where cpu and memory shares stay equal; skips best-effort pods', () => {
  const s = fleet([node('a').cap('4', '8Gi'), node('b').cap('4', '8Gi')], [pod('cpu-heavy').req('3', '1Gi').on('a')])
  // a: cpu 3.5/4 = .875, mem 1.5/8 = .1875 → 1 - .34375 → 65; b: .125 vs .0625 → 96
  assert.equal(scoresOf(s, pod('p').req('500m', '512Mi'), 'NodeResourcesBalancedAllocation'), {a: 65, b: 96})
  assert.equal(scoresOf(s, pod('be').bestEffort(), 'NodeResourcesBalancedAllocation'), {a: undefined, b: undefined})
})

test('assume and forget move resources', () => {
  const s = fleet([node('a').cap('1', '1Gi')])
  const big = pod('big').req('1', '512Mi').build()
  s.assume(big, 'a')
  assert.is(where(s, pod('p').req('1', '512Mi')), '0/1 nodes are available: 1 Insufficient cpu.')
  s.forget(big)
  assert.is(s.nodes[0].requested.milliCPU, 0)
  assert.is(where(s, pod('q').req('1', '512Mi')), 'a')
})

test.run()
