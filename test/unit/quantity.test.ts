import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {bytes, milliCPU, parseQuantity} from '../../src/manifests/quantity.js'

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

test.run()
