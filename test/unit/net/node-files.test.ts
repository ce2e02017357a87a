import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {nodeNetworkFiles} from '../../../src/net/node-files.js'
import {vtepMAC} from '../../../src/net/routes.js'
import {golden} from '../../fixtures/golden.js'
import {addr, endpoints, netConfig, nodeA, nodeB, pod, svc} from './builders.js'

const input = () => ({
  config: netConfig(),
  node: nodeA,
  nodes: [nodeA, nodeB],
  services: [svc('web', '198.18.128.10')],
  endpoints: [endpoints('web', [addr('198.19.0.2', 'node-a', 'web-a')])],
  pods: [pod('web-a')],
})

test('every file of docs/networking.md, and a hex hash', () => {
  const {files, hash} = nodeNetworkFiles(input())
  assert.equal([...files.keys()].sort(), ['cni/bridge.conf', 'cni/portmap.head', 'dns/hosts', 'params', 'routes', 'rules.nft'])
  assert.match(hash, /^[0-9a-f]{16}$/)
  assert.is(files.get('routes'), '198.19.1.0/24 198.18.0.11\n')
  assert.is(files.get('dns/hosts'), '198.18.128.10 web.default.svc.cluster.local\n')
  assert.match(files.get('rules.nft')!, /^add table ip tsctl\n/)
})

test('golden: params', () => {
  golden('test/unit/net/testdata', 'params', nodeNetworkFiles(input()).files.get('params')!)
  assert.match(nodeNetworkFiles(input()).files.get('params')!, `vtepMAC ${vtepMAC('node-a')}\n`)
})

test('params with vxlan: the tunnel’s MTU, the same in bridge.conf', () => {
  const {files} = nodeNetworkFiles({...input(), config: netConfig({backend: 'vxlan'})})
  assert.match(files.get('params')!, /^backend vxlan\nnodeIP 198\.18\.0\.10\nmtu 1450$/m)
  assert.is(JSON.parse(files.get('cni/bridge.conf')!).mtu, 1450)
  assert.match(files.get('routes')!, /^198\.19\.1\.0\/24 198\.19\.1\.0 ([0-9a-f]{2}:){5}[0-9a-f]{2} 198\.18\.0\.11$/m)
})

test('params without a known address leave nodeIP out', () => {
  const {files} = nodeNetworkFiles({...input(), node: {name: 'node-a', podCIDR: '198.19.0.0/24'}})
  assert.not.match(files.get('params')!, /nodeIP/)
  assert.match(files.get('params')!, /^podCIDR 198\.19\.0\.0\/24$/m)
})

test('the hash follows the content: same state same hash, any change another', () => {
  const a = nodeNetworkFiles(input()).hash
  assert.is(nodeNetworkFiles(input()).hash, a)
  const moved = {...input(), endpoints: [endpoints('web', [addr('198.19.0.3', 'node-a', 'web-a')])]}
  assert.is.not(nodeNetworkFiles(moved).hash, a)
  assert.is.not(nodeNetworkFiles({...input(), nodes: [nodeA]}).hash, a)
  assert.is.not(nodeNetworkFiles({...input(), config: netConfig({backend: 'vxlan'})}).hash, a)
})

test('a node without a valid pod CIDR is refused', () => {
  assert.throws(() => nodeNetworkFiles({...input(), node: {name: 'node-a', podCIDR: ''}}), /no valid pod CIDR/)
})

test.run()
