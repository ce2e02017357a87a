import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {parseCidr} from '../../../src/net/cidr.js'
import {nodeRoutes, vtepIP, vtepMAC} from '../../../src/net/routes.js'
import {netConfig, nodeA, nodeB, nodeC} from './builders.js'

test('host-gw: a route to every other node’s pod CIDR via its address, sorted by CIDR', () => {
  assert.is(nodeRoutes(netConfig(), 'node-a', [nodeC, nodeA, nodeB]), '198.19.1.0/24 198.18.0.11\n198.19.2.0/24 198.18.0.12\n')
})

test('nodes without an address or a pod CIDR are skipped; alone, no routes', () => {
  const nodes = [nodeA, {name: 'node-b', podCIDR: '198.19.1.0/24'}, {name: 'node-c', podCIDR: '', address: '198.18.0.12'}]
  assert.is(nodeRoutes(netConfig(), 'node-a', nodes), '')
  assert.is(nodeRoutes(netConfig(), 'node-a', [nodeA]), '')
})

test('vxlan: CIDR, VTEP address (the CIDR’s network address, as flannel), VTEP MAC, node address', () => {
  const text = nodeRoutes(netConfig({backend: 'vxlan'}), 'node-a', [nodeA, nodeB])
  assert.is(text, `198.19.1.0/24 198.19.1.0 ${vtepMAC('node-b')} 198.18.0.11\n`)
  assert.is(vtepIP(parseCidr('198.19.7.0/24')!), '198.19.7.0')
})

test('VTEP MACs: deterministic, unicast, locally administered, distinct per node', () => {
  const a = vtepMAC('node-a')
  assert.match(a, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/)
  assert.is(vtepMAC('node-a'), a)
  assert.is.not(vtepMAC('node-b'), a)
  const first = parseInt(a.slice(0, 2), 16)
  assert.is(first & 1, 0)
  assert.is(first & 2, 2)
})

test.run()
