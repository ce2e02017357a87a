import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {dnsHosts} from '../../../src/net/dns-hosts.js'
import {addr, endpoints, netConfig, pod, svc} from './builders.js'

const cfg = netConfig()

test('a small cluster: ClusterIP names, a headless StatefulSet Service with per-pod names, sorted', () => {
  const services = [
    svc('web', '198.18.128.10'),
    svc('db', 'None', {ports: [{name: 'pg', port: 5432}]}),
    svc('api', '198.18.128.9', {}, 'shop'),
  ]
  const eps = [
    endpoints('db', [addr('198.19.1.4', 'node-b', 'db-1'), addr('198.19.0.4', 'node-a', 'db-0')], [addr('198.19.2.4', 'node-c', 'db-2')]),
    endpoints('web', [addr('198.19.0.2', 'node-a', 'web-x')]),
  ]
  const pods = ['db-0', 'db-1', 'db-2'].map((n) => pod(n, {hostname: n, subdomain: 'db'}))
  assert.fixture(
    dnsHosts(cfg, services, eps, pods),
    [
      '198.18.128.9 api.shop.svc.cluster.local',
      '198.19.0.4 db-0.db.default.svc.cluster.local',
      '198.19.1.4 db-1.db.default.svc.cluster.local',
      '198.19.0.4 db.default.svc.cluster.local',
      '198.19.1.4 db.default.svc.cluster.local',
      '198.18.128.10 web.default.svc.cluster.local',
      '',
    ].join('\n'),
  )
})

test('publishNotReadyAddresses publishes the not-ready pods too', () => {
  const s = svc('db', 'None', {publishNotReadyAddresses: true})
  const text = dnsHosts(cfg, [s], [endpoints('db', [addr('198.19.0.4', 'node-a', 'db-0')], [addr('198.19.2.4', 'node-c', 'db-2')])], [pod('db-2', {hostname: 'db-2', subdomain: 'db'})])
  assert.match(text, '198.19.2.4 db.default.svc.cluster.local\n')
  assert.match(text, '198.19.2.4 db-2.db.default.svc.cluster.local\n')
})

test('a pod hostname only under the Service its subdomain names, in its own namespace (ShouldSetHostname)', () => {
  const services = [svc('db', 'None'), svc('other', 'None')]
  const eps = [endpoints('db', [addr('198.19.0.4', 'node-a', 'db-0')]), endpoints('other', [addr('198.19.0.4', 'node-a', 'db-0')])]
  const text = dnsHosts(cfg, services, eps, [pod('db-0', {hostname: 'db-0', subdomain: 'db'})])
  assert.match(text, 'db-0.db.default.svc.cluster.local')
  assert.not.match(text, 'db-0.other.')
  assert.not.match(dnsHosts(cfg, services, eps, [pod('db-0', {subdomain: 'db'})]), 'db-0.db.')
  // same name in another namespace: not this Service's pod
  assert.not.match(dnsHosts(cfg, services, eps, [pod('db-0', {hostname: 'db-0', subdomain: 'db'}, 'elsewhere')]), 'db-0.db.')
})

test('an Endpoints hostname written by hand is used; ExternalName and unallocated Services have no line', () => {
  const s = svc('legacy', 'None', {selector: undefined})
  const eps = [{metadata: {name: 'legacy', namespace: 'default'}, subsets: [{addresses: [{ip: '198.18.0.50', hostname: 'box'}], ports: [{port: 80}]}]}]
  const text = dnsHosts(cfg, [s, svc('ext', undefined, {type: 'ExternalName', externalName: 'example.invalid'}), svc('new', undefined)], eps, [])
  assert.is(text, '198.18.0.50 box.legacy.default.svc.cluster.local\n198.18.0.50 legacy.default.svc.cluster.local\n')
})

test('the cluster domain comes from the config; nothing at all gives an empty file', () => {
  assert.is(dnsHosts(netConfig({clusterDomain: 'corp.internal'}), [svc('web', '198.18.128.10')], [], []), '198.18.128.10 web.default.svc.corp.internal\n')
  assert.is(dnsHosts(cfg, [], [], []), '')
})

test.run()
