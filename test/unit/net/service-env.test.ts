import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {serviceEnv} from '../../../src/net/service-env.js'
import {svc} from './builders.js'

test('the kubelet’s variables for one Service with two ports, in FromServices order', () => {
  const s = svc('my-web', '198.18.128.10', {ports: [{name: 'http', port: 80}, {name: 'dns-udp', port: 53, protocol: 'UDP'}]})
  assert.equal(serviceEnv([s], 'default'), [
    {name: 'MY_WEB_SERVICE_HOST', value: '198.18.128.10'},
    {name: 'MY_WEB_SERVICE_PORT', value: '80'},
    {name: 'MY_WEB_SERVICE_PORT_HTTP', value: '80'},
    {name: 'MY_WEB_SERVICE_PORT_DNS_UDP', value: '53'},
    {name: 'MY_WEB_PORT', value: 'tcp://198.18.128.10:80'},
    {name: 'MY_WEB_PORT_80_TCP', value: 'tcp://198.18.128.10:80'},
    {name: 'MY_WEB_PORT_80_TCP_PROTO', value: 'tcp'},
    {name: 'MY_WEB_PORT_80_TCP_PORT', value: '80'},
    {name: 'MY_WEB_PORT_80_TCP_ADDR', value: '198.18.128.10'},
    {name: 'MY_WEB_PORT_53_UDP', value: 'udp://198.18.128.10:53'},
    {name: 'MY_WEB_PORT_53_UDP_PROTO', value: 'udp'},
    {name: 'MY_WEB_PORT_53_UDP_PORT', value: '53'},
    {name: 'MY_WEB_PORT_53_UDP_ADDR', value: '198.18.128.10'},
  ])
})

test('an unnamed single port has no _SERVICE_PORT_<NAME>', () => {
  const names = serviceEnv([svc('web', '198.18.128.10', {ports: [{port: 8080}]})], 'default').map((v) => v.name)
  assert.equal(names, ['WEB_SERVICE_HOST', 'WEB_SERVICE_PORT', 'WEB_PORT', 'WEB_PORT_8080_TCP', 'WEB_PORT_8080_TCP_PROTO', 'WEB_PORT_8080_TCP_PORT', 'WEB_PORT_8080_TCP_ADDR'])
})

test('only the namespace’s Services with a cluster IP, sorted by name', () => {
  const services = [
    svc('zeta', '198.18.128.12'),
    svc('alpha', '198.18.128.11'),
    svc('headless', 'None'),
    svc('ext', undefined, {type: 'ExternalName', externalName: 'example.invalid'}),
    svc('pending', undefined),
    svc('elsewhere', '198.18.128.13', {}, 'other'),
  ]
  const hosts = serviceEnv(services, 'default').filter((v) => v.name.endsWith('_SERVICE_HOST'))
  assert.equal(hosts, [{name: 'ALPHA_SERVICE_HOST', value: '198.18.128.11'}, {name: 'ZETA_SERVICE_HOST', value: '198.18.128.12'}])
  assert.equal(serviceEnv(services, 'other').map((v) => v.name)[0], 'ELSEWHERE_SERVICE_HOST')
  assert.equal(serviceEnv(services, 'empty'), [])
})

test.run()
