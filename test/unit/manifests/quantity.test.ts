import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {bytes, isScalarResourceName, milliCPU, parseQuantity, resourceValue} from '../../../src/manifests/quantity.js'

test('parses the Kubernetes quantity forms', () => {
  assert.is(milliCPU('100m'), 100)
  assert.is(milliCPU('0.5'), 500)
  assert.is(milliCPU(2), 2000)
  assert.is(milliCPU('1e3'), 1_000_000)
  assert.is(bytes('1.5Gi'), 1610612736)
  assert.is(bytes('256M'), 256_000_000)
  assert.is(bytes('64Mi'), 67108864)
  assert.is(bytes('1k'), 1000)
})

test('rejects what apimachinery rejects', () => {
  for (const bad of ['', 'abc', '1.5 Gi', '1gi', '--1', '1Mb', ' 1', 'Gi']) assert.is(parseQuantity(bad), undefined, bad)
})

test('one rule for every resource amount: cpu in millicores, the rest as Value() rounded up', () => {
  assert.is(resourceValue('cpu', '1500m'), 1500)
  assert.is(resourceValue('example.com/dongle', '1500m'), 2, 'framework.Resource keeps scalars as Value(), which rounds up')
  assert.is(resourceValue('hugepages-2Mi', '1Mi'), 2 ** 20)
  assert.is(resourceValue('pods', '2.5'), 3)
  assert.is(resourceValue('memory', undefined), 0)
})

test('which names the scheduler counts beside cpu and memory (IsScalarResourceName)', () => {
  for (const n of ['nvidia.com/gpu', 'hugepages-1Gi', 'ephemeral-storage', 'attachable-volumes-aws-ebs']) assert.ok(isScalarResourceName(n), n)
  for (const n of ['cpu', 'memory', 'pods', 'gpu']) assert.not.ok(isScalarResourceName(n), n)
})

test.run()
