import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {bridgeConf, portMappings, portmapHead} from '../../../src/net/cni-config.js'
import {netConfig, pod} from './builders.js'

test('bridge.conf: the bridge plugin with host-local IPAM on the node’s pod CIDR', () => {
  assert.equal(JSON.parse(bridgeConf(netConfig(), '198.19.1.0/24')), {
    cniVersion: '1.0.0',
    name: 'tsctl',
    type: 'bridge',
    bridge: 'tsctl0',
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    mtu: 1500,
    ipam: {
      type: 'host-local',
      ranges: [[{subnet: '198.19.1.0/24', gateway: '198.19.1.1'}]],
      routes: [{dst: '0.0.0.0/0'}],
      dataDir: '@ROOT@/net/ipam',
    },
  })
})

test('bridge.conf with vxlan: pods get the MTU that fits the encapsulation', () => {
  assert.is(JSON.parse(bridgeConf(netConfig({backend: 'vxlan'}), '198.19.1.0/24')).mtu, 1450)
  assert.throws(() => bridgeConf(netConfig(), '198.19.1.7/24'), /not a CIDR/)
})

test('portmap.head: the portmap config without its closing brace, completed by the host', () => {
  const head = portmapHead()
  assert.is(head, '{"cniVersion":"1.0.0","name":"tsctl","type":"portmap","capabilities":{"portMappings":true},"snat":true')
  const full = JSON.parse(`${head},"runtimeConfig":{"portMappings":[]},"prevResult":{}}`)
  assert.is(full.type, 'portmap')
})

test('portMappings: containers’ ports with a hostPort, protocol lower case, hostIP when set', () => {
  const p = pod('web', {
    containers: [
      {name: 'a', image: 'x', ports: [{containerPort: 8080, hostPort: 80}, {containerPort: 9090}, {containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '198.18.0.10'}]},
      {name: 'b', image: 'x', ports: [{containerPort: 8443, hostPort: 443, protocol: 'TCP'}]},
    ],
  })
  assert.equal(JSON.parse(portMappings(p)!), [
    {hostPort: 80, containerPort: 8080, protocol: 'tcp'},
    {hostPort: 53, containerPort: 53, protocol: 'udp', hostIP: '198.18.0.10'},
    {hostPort: 443, containerPort: 8443, protocol: 'tcp'},
  ])
})

test('portMappings: none without hostPorts, none on the host network', () => {
  assert.is(portMappings(pod('web', {containers: [{name: 'a', image: 'x', ports: [{containerPort: 80}]}]})), undefined)
  assert.is(portMappings(pod('web')), undefined)
  assert.is(portMappings(pod('web', {hostNetwork: true, containers: [{name: 'a', image: 'x', ports: [{containerPort: 80, hostPort: 80}]}]})), undefined)
})

test.run()
