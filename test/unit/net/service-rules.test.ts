import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {serviceRules} from '../../../src/net/service-rules.js'
import {servicePortRules} from '../../../src/net/service-ports.js'
import type {NetEndpoints, NetService} from '../../../src/net/types.js'
import {golden} from '../../fixtures/golden.js'
import {addr, endpoints, netConfig, nodeA, svc} from './builders.js'

const rules = (services: NetService[], eps: NetEndpoints[], node = nodeA) => serviceRules({config: netConfig(), node, services, endpoints: eps})
const lbLines = (text: string) => text.split('\n').filter((l) => l.trim().startsWith('#lb')).map((l) => l.trim())
const chainOf = (text: string, name: string) => {
  const m = new RegExp(`\\tchain ${name} \\{\\n([\\s\\S]*?)\\n\\t\\}`).exec(text)
  return m ? m[1].split('\n').map((l) => l.trim()) : undefined
}

const web = svc('web', '198.18.128.10')
const webEps = endpoints('web', [addr('198.19.1.2', 'node-b', 'web-b'), addr('198.19.0.2', 'node-a', 'web-a')], [addr('198.19.0.3', 'node-a', 'web-a2'), addr('198.19.1.3', 'node-b', 'web-b2')])

test('golden: one ClusterIP Service with a local and a remote endpoint', () => {
  golden('test/unit/net/testdata', 'rules-small.nft', rules([svc('web', '198.18.128.10')], [endpoints('web', [addr('198.19.0.2', 'node-a', 'web-a'), addr('198.19.1.2', 'node-b', 'web-b')])]))
})

test('the script replaces the table atomically: add, delete, then the table', () => {
  const text = rules([], [])
  assert.equal(text.split('\n').slice(0, 3), ['add table ip tsctl', 'delete table ip tsctl', 'table ip tsctl {'])
  assert.ok(text.endsWith('}\n'))
})

test('base chains hook where kube-proxy hooks, at its priorities', () => {
  const text = rules([], [])
  assert.equal(chainOf(text, 'nat-prerouting')![0], 'type nat hook prerouting priority dstnat; policy accept;')
  assert.equal(chainOf(text, 'nat-output')![0], 'type nat hook output priority -100; policy accept;')
  assert.equal(chainOf(text, 'nat-postrouting')![0], 'type nat hook postrouting priority srcnat; policy accept;')
  for (const hook of ['input', 'forward', 'output']) assert.equal(chainOf(text, `filter-${hook}`)![0], `type filter hook ${hook} priority filter; policy accept;`)
  assert.match(text, /map service-ips \{\n\t\ttype ipv4_addr \. inet_proto \. inet_service : verdict/)
  assert.equal(chainOf(text, 'services'), [
    'ip daddr . meta l4proto . th dport vmap @service-ips',
    'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
  ])
})

test('#lb: local endpoints with @UID (ready or not), remote ones only when ready', () => {
  const text = rules([web], [webEps])
  const [sp] = servicePortRules('node-a', [web], [webEps])
  assert.equal(sp.endpoints.map((t) => t.ip), ['198.19.0.2', '198.19.0.3', '198.19.1.2'])
  assert.equal(lbLines(text), [`#lb - ${sp.endpoints[0].chain}@uid-web-a ${sp.endpoints[1].chain}@uid-web-a2 ${sp.endpoints[2].chain}`])
  assert.not.match(text, /198\.19\.1\.3/)
  // the same objects seen from node-b: its own pods local, node-a's not-ready one gone
  const fromB = servicePortRules('node-b', [web], [webEps])[0]
  assert.equal(fromB.endpoints.map((t) => t.token.replace(/^sep-[0-9a-f]{16}/, 'sep')), ['sep', 'sep@uid-web-b', 'sep@uid-web-b2'])
})

test('publishNotReadyAddresses: every address, none checked by the host', () => {
  const s = svc('web', '198.18.128.10', {publishNotReadyAddresses: true})
  const [sp] = servicePortRules('node-a', [s], [webEps])
  assert.equal(sp.endpoints.map((t) => t.ip), ['198.19.0.2', '198.19.0.3', '198.19.1.2', '198.19.1.3'])
  assert.ok(sp.endpoints.every((t) => !t.token.includes('@')))
})

test('endpoint chains: hairpin mark, then DNAT to the resolved target port', () => {
  const text = rules([web], [webEps])
  const [sp] = servicePortRules('node-a', [web], [webEps])
  assert.equal(chainOf(text, sp.endpoints[0].chain), ['# default/web:http 198.19.0.2:8080', 'ip saddr 198.19.0.2 jump mark-for-masquerade', 'meta l4proto tcp dnat to 198.19.0.2:8080'])
  assert.equal(chainOf(text, sp.chain)!.slice(1, 2), ['ip daddr 198.18.128.10 ip saddr != 198.19.0.0/16 jump mark-for-masquerade'])
  assert.match(text, new RegExp(`198\\.18\\.128\\.10 \\. tcp \\. 80 : goto ${sp.chain}`))
})

test('names are short nft identifiers, stable, and differ per port and per address', () => {
  const two = svc('web', '198.18.128.10', {ports: [{name: 'http', port: 80, targetPort: 8080}, {name: 'dns', port: 53, protocol: 'UDP'}]})
  const eps = endpoints('web', [addr('198.19.0.2', 'node-a', 'web-a')], [], [{name: 'http', port: 8080, protocol: 'TCP'}, {name: 'dns', port: 53, protocol: 'UDP'}])
  const a = servicePortRules('node-a', [two], [eps])
  const b = servicePortRules('node-a', [two], [eps])
  assert.equal(a, b)
  assert.is(a.length, 2)
  for (const sp of a) {
    assert.match(sp.chain, /^svc-[0-9a-f]{16}$/)
    assert.match(sp.externalChain, /^ext-[0-9a-f]{16}$/)
    for (const t of sp.endpoints) {
      assert.match(t.chain, /^sep-[0-9a-f]{16}$/)
      assert.is(t.affinitySet, t.chain.replace('sep-', 'aff-'))
    }
  }
  assert.is.not(a[0].chain, a[1].chain)
  assert.is.not(a[0].endpoints[0].chain, a[1].endpoints[0].chain)
  assert.equal(a.map((sp) => [sp.protocol, sp.port]), [['tcp', 80], ['udp', 53]])
})

test('headless, ExternalName, unallocated Services: no rules; no Endpoints: no chains, the filter rejects', () => {
  const text = rules(
    [svc('db', 'None'), svc('ext', undefined, {type: 'ExternalName', externalName: 'example.invalid'}), svc('new', undefined), svc('lonely', '198.18.128.20')],
    [endpoints('db', [addr('198.19.0.9', 'node-a', 'db-0')])],
  )
  assert.equal(lbLines(text), [])
  assert.not.match(text, /198\.19\.0\.9|198\.18\.128\.20/)
  assert.not.match(text, /chain (svc|sep|ext)-/)
  assert.equal(chainOf(text, 'service-check'), ['ip daddr 198.18.128.0/17 reject'])
  assert.equal(chainOf(text, 'filter-forward')![1], 'ct state new jump service-check')
  assert.equal(chainOf(text, 'filter-output')![1], 'ct state new jump service-check')
})

test('an Endpoints port is matched by name and protocol; other ports get nothing', () => {
  const s = svc('web', '198.18.128.10', {ports: [{name: 'http', port: 80}, {name: 'metrics', port: 9100}]})
  const sps = servicePortRules('node-a', [s], [webEps])
  assert.equal(sps.map((sp) => sp.cluster.length), [3, 0])
  assert.is(lbLines(rules([s], [webEps])).length, 1)
})

test('ClientIP affinity: a timed set per endpoint, updated in its chain, timeout in #lb', () => {
  const s = svc('web', '198.18.128.10', {sessionAffinity: 'ClientIP'})
  const text = rules([s], [webEps])
  const [sp] = servicePortRules('node-a', [s], [webEps])
  assert.is(sp.affinity, 10800)
  for (const t of sp.endpoints) {
    assert.match(text, `\tset ${t.affinitySet} {\n\t\ttype ipv4_addr\n\t\tflags dynamic,timeout\n\t\ttimeout 10800s\n\t}`)
    assert.ok(chainOf(text, t.chain)!.includes(`update @${t.affinitySet} { ip saddr }`))
  }
  assert.match(lbLines(text)[0], /^#lb 10800 sep-/)
  const short = svc('web', '198.18.128.10', {sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}})
  assert.match(lbLines(rules([short], [webEps]))[0], /^#lb 60 /)
  assert.match(rules([short], [webEps]), /timeout 60s/)
  assert.not.match(rules([web], [webEps]), /aff-|update @/)
})

test('NodePort, externalTrafficPolicy Cluster: masquerade, then the cluster rotation', () => {
  const s = svc('web', '198.18.128.10', {type: 'NodePort', ports: [{name: 'http', port: 80, targetPort: 8080, nodePort: 30080}]})
  const text = rules([s], [webEps])
  const [sp] = servicePortRules('node-a', [s], [webEps])
  assert.equal(chainOf(text, sp.externalChain)!.slice(1), ['jump mark-for-masquerade', `goto ${sp.chain}`])
  assert.match(text, `tcp . 30080 : goto ${sp.externalChain}`)
  assert.match(text, /set node-ports \{\n\t\ttype inet_proto \. inet_service\n\t\telements = \{\n\t\t\ttcp \. 30080\n\t\t\}/)
  assert.equal(chainOf(text, 'nodeport-check'), ['ct status & dnat == 0 ip daddr != 127.0.0.0/8 meta l4proto . th dport @node-ports reject'])
  assert.equal(chainOf(text, 'filter-input')![1], 'ct state new jump nodeport-check')
})

test('NodePort, externalTrafficPolicy Local: only this node’s pods, source kept; pods and the node go cluster-wide', () => {
  const s = svc('web', '198.18.128.10', {type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{name: 'http', port: 80, targetPort: 8080, nodePort: 30080}]})
  const text = rules([s], [webEps])
  const [sp] = servicePortRules('node-a', [s], [webEps])
  const ext = chainOf(text, sp.externalChain)!
  assert.equal(ext.slice(1, 4), [`ip saddr 198.19.0.0/16 goto ${sp.chain}`, 'fib saddr type local jump mark-for-masquerade', `fib saddr type local goto ${sp.chain}`])
  assert.equal(ext[4], `#lb - ${sp.local.map((t) => t.token).join(' ')}`)
  assert.equal(sp.local.map((t) => t.ip), ['198.19.0.2', '198.19.0.3'])
  assert.not.ok(ext.includes('jump mark-for-masquerade'))
  // node-b has no pod of its own: its external rotation is empty (the host rejects)
  const fromC = servicePortRules('node-c', [s], [webEps])[0]
  assert.equal(fromC.local, [])
})

test('ClusterIP Services ignore a nodePort; internalTrafficPolicy Local keeps the cluster IP on this node', () => {
  const s = svc('web', '198.18.128.10', {ports: [{name: 'http', port: 80, nodePort: 30080}]})
  assert.not.match(rules([s], [webEps]), /30080/)
  const local = svc('web', '198.18.128.10', {internalTrafficPolicy: 'Local'})
  const [sp] = servicePortRules('node-a', [local], [webEps])
  assert.equal(sp.cluster.map((t) => t.ip), ['198.19.0.2', '198.19.0.3'])
})

test('masquerade: marked packets, and pod traffic leaving the pod network, not pod to pod', () => {
  const text = rules([], [])
  assert.equal(chainOf(text, 'mark-for-masquerade'), ['meta mark set meta mark | 0x4000'])
  assert.equal(chainOf(text, 'masquerading'), ['meta mark & 0x4000 == 0 return', 'meta mark set meta mark ^ 0x4000', 'masquerade fully-random'])
  assert.equal(chainOf(text, 'pod-egress'), ['ip saddr != 198.19.0.0/16 return', 'ip daddr 198.19.0.0/16 return', 'ip daddr 224.0.0.0/4 return', 'masquerade fully-random'])
  assert.equal(chainOf(text, 'nat-postrouting')!.slice(1), ['jump masquerading', 'jump pod-egress'])
})

test('a cluster IP or node port held twice (a clash in the state) gives one map element, not a failing script', () => {
  const a = svc('a', '198.18.128.10', {type: 'NodePort', ports: [{name: 'http', port: 80, targetPort: 8080, nodePort: 30080}]})
  const b = svc('b', '198.18.128.10', {type: 'NodePort', ports: [{name: 'http', port: 80, targetPort: 8080, nodePort: 30080}]})
  const text = rules([b, a], [{...webEps, metadata: {name: 'a', namespace: 'default'}}, {...webEps, metadata: {name: 'b', namespace: 'default'}}])
  const [spA] = servicePortRules('node-a', [a], [{...webEps, metadata: {name: 'a', namespace: 'default'}}])
  assert.equal(text.match(/198\.18\.128\.10 \. tcp \. 80 : goto/g)!.length, 1)
  assert.match(text, `198.18.128.10 . tcp . 80 : goto ${spA.chain}`)
  assert.equal(text.match(/tcp \. 30080 : goto/g)!.length, 1)
})

test('deterministic: input order does not change the bytes', () => {
  const a = svc('a', '198.18.128.11'), b = svc('b', '198.18.128.12', {}, 'other')
  const ea = endpoints('a', [addr('198.19.0.7', 'node-a', 'a-1')]), eb = endpoints('b', [addr('198.19.1.7', 'node-b', 'b-1', 'other')], [], undefined, 'other')
  assert.is(rules([a, b], [ea, eb]), rules([b, a], [eb, ea]))
})

test.run()
