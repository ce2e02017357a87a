// kubectl's views of the pod network: get endpoints, get svc -o wide, describe svc
// (with tsctl's "Not endpoints:"), pod IPs, node INTERNAL-IP and pod CIDRs.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {resolveKind} from '../../../src/cli/kinds.js'
import type {KubeObject} from '../../../src/manifests/object.js'
import {renderDescribe} from '../../../src/render/describe.js'
import {formatEndpoints, renderResourceTable} from '../../../src/render/resource-table.js'
import type {State} from '../../../src/state/model.js'
import {NOW, node, pod} from './fixtures.js'
import {golden} from './golden.js'

const T0 = '2026-11-20T10:00:00Z'

function svc(name: string, spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return {apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'default', uid: `uid-svc-${name}`, creationTimestamp: T0}, spec, ...(status ? {status} : {})}
}

type Addr = {ip?: string; pod?: string; node?: string}
const addr = (a: Addr) => ({...(a.ip ? {ip: a.ip} : {}), ...(a.node ? {nodeName: a.node} : {}), ...(a.pod ? {targetRef: {kind: 'Pod', namespace: 'default', name: a.pod, uid: `uid-pod-${a.pod}`}} : {})})

function endpoints(name: string, subsets: Array<{ready?: Addr[]; notReady?: Addr[]; ports?: Array<{name?: string; port: number}>}>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {name, namespace: 'default', creationTimestamp: T0, ownerReferences: [{apiVersion: 'v1', kind: 'Service', name, uid: `uid-svc-${name}`, controller: true}]},
    subsets: subsets.map((s) => ({
      ...(s.ready ? {addresses: s.ready.map(addr)} : {}),
      ...(s.notReady ? {notReadyAddresses: s.notReady.map(addr)} : {}),
      ...(s.ports ? {ports: s.ports.map((p) => ({...p, protocol: 'TCP'}))} : {}),
    })),
  }
}

/** web: one ready endpoint (web-a), one not ready (web-b), and three matched pods that are no endpoint for other reasons. */
function state(): State {
  const webA = pod('web-a', {node: 'node-a', ip: '10.244.0.5'})
  const webB = pod('web-b', {node: 'node-b', ip: '10.244.1.7', ready: false, restarts: 4})
  const webC = pod('web-c', {pending: '0/2 nodes are available: 2 Insufficient cpu.'})
  const webD = pod('web-d', {node: 'node-a', ip: '10.244.0.6'})
  webD.metadata.deletionTimestamp = '2026-11-20T11:59:30Z'
  const webE = pod('web-e', {node: 'node-b', ready: false})
  webE.status = {phase: 'Pending', conditions: [{type: 'PodScheduled', status: 'True'}], containerStatuses: [{name: 'main', ready: false, restartCount: 0, state: {waiting: {reason: 'ContainerCreating'}}}]}
  const other = pod('api-x', {node: 'node-a', ip: '10.244.0.9'})
  // bound, not started: the IP reconcile allocated, not reported by the host yet
  const webF = pod('web-f', {node: 'node-a'})
  webF.metadata.annotations = {'tsctl.io/pod-ip': '10.244.0.7'}
  webF.status = structuredClone(webE.status)
  const agent = pod('agent-h', {node: 'node-a'})
  ;(agent.spec as Record<string, unknown>).hostNetwork = true
  delete (agent.status as Record<string, unknown>).podIP
  const nodeA = node('node-a', 'node-a.example', {podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24']})
  const nodeB = node('node-b', '198.18.0.12')
  const objects: KubeObject[] = [
    nodeA,
    nodeB,
    webA,
    webB,
    webC,
    webD,
    webE,
    webF,
    agent,
    other,
    svc('web', {type: 'NodePort', selector: {app: 'web'}, clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ports: [{name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP'}]}),
    endpoints('web', [{ready: [{ip: '10.244.0.5', pod: 'web-a', node: 'node-a'}], notReady: [{ip: '10.244.1.7', pod: 'web-b', node: 'node-b'}], ports: [{name: 'http', port: 8080}]}]),
    svc('db', {clusterIP: 'None', selector: {app: 'db'}, ports: [{port: 5432, protocol: 'TCP'}]}),
    endpoints('db', [{ready: [{ip: '10.244.0.20'}, {ip: '10.244.1.20'}]}]),
    svc('big', {clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'], selector: {app: 'big'}, ports: [{port: 80, protocol: 'TCP'}, {name: 'dns', port: 53, protocol: 'UDP'}]}),
    endpoints('big', [{ready: [1, 2, 3, 4, 5].map((i) => ({ip: `10.244.2.${i}`})), ports: [{port: 80}]}]),
    svc('lb', {type: 'LoadBalancer', clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], ports: [{port: 443, nodePort: 31443, protocol: 'TCP'}]}),
    svc('lb-up', {type: 'LoadBalancer', clusterIP: '10.96.0.13', externalIPs: ['203.0.113.9'], ports: [{port: 443, protocol: 'TCP'}]}, {loadBalancer: {ingress: [{ip: '198.51.100.21'}, {hostname: 'lb.example.com'}]}}),
    svc('ext', {type: 'ExternalName', externalName: 'db.example.com'}),
    svc('fresh', {selector: {app: 'fresh'}, ports: [{port: 80, protocol: 'TCP'}]}),
    endpoints('fresh', []),
    endpoints('waiting', [{notReady: [{ip: '10.244.1.30'}], ports: [{port: 80}]}]),
  ]
  const m: State['objects'] = {}
  for (const o of objects) m[o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`] = o
  return {
    version: 1,
    serial: 3,
    lineage: 'f1e2d3c4-0000-4000-8000-000000000001',
    appliedCommit: null,
    objects: m,
    nodes: {
      'node-a': {name: 'node-a', ready: true, podCIDR: '10.244.0.0/24', address: '198.18.0.11'},
      'node-b': {name: 'node-b', ready: true, podCIDR: '10.244.1.0/24'},
    },
    events: [{time: '2026-11-20T11:58:00Z', type: 'Warning', reason: 'NodePortNotAllocated', object: 'Service/default/lb', message: 'no free node port'}],
  }
}

const ofKind = (st: State, kind: string) => Object.values(st.objects).filter((o) => o.kind === kind).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
const opts = (wide: boolean, st?: State) => ({wide, withNamespace: false, now: NOW, ...(st ? {nodes: st.nodes} : {})})

test('kinds: endpoints, ep, Endpoints; -o name prefix endpoints', () => {
  for (const w of ['endpoints', 'ep', 'Endpoints']) assert.is(resolveKind(w).kind, 'Endpoints', w)
  assert.is(resolveKind('ep').resource, 'endpoints')
  assert.is(resolveKind('svc').kind, 'Service', 'svc still resolves to Service')
})

test('get endpoints: ready ip:port, three at most then "+ N more...", <none> without subsets, empty with none ready', () => {
  const st = state()
  const out = renderResourceTable('Endpoints', ofKind(st, 'Endpoints'), opts(false))
  const row = (name: string) => out.split('\n').find((l) => l.startsWith(`${name} `))!
  assert.match(out.split('\n')[0]!, /^NAME\s+ENDPOINTS\s+AGE$/)
  assert.match(row('web'), /^web\s+10\.244\.0\.5:8080\s+120m$/, 'the not-ready address is not an endpoint')
  assert.match(row('big'), /10\.244\.2\.1:80,10\.244\.2\.2:80,10\.244\.2\.3:80 \+ 2 more\.\.\./)
  assert.match(row('db'), /^db\s+10\.244\.0\.20,10\.244\.1\.20\s+120m$/, 'a subset without ports lists bare IPs')
  assert.match(row('fresh'), /^fresh\s+<none>\s+120m$/)
  assert.match(row('waiting'), /^waiting\s+120m$/, 'kubectl prints nothing when no address is ready')
  golden('get-endpoints.txt', out)
})

test('formatEndpoints: per port name, IPv6 in brackets, addresses without an IP left out', () => {
  const ep = endpoints('x', [{ready: [{ip: 'fd00::5'}, {pod: 'no-ip-yet'}], ports: [{name: 'http', port: 80}, {name: 'metrics', port: 9090}]}])
  assert.is(formatEndpoints(ep), '[fd00::5]:80,[fd00::5]:9090')
  assert.is(formatEndpoints(ep, new Set(['metrics'])), '[fd00::5]:9090')
  assert.is(formatEndpoints(ep, new Set([''])), '')
})

test('get svc -o wide: TYPE, CLUSTER-IP (None, <none>), EXTERNAL-IP (<none>, <pending>, ingress), PORT(S), AGE, SELECTOR', () => {
  const st = state()
  const out = renderResourceTable('Service', ofKind(st, 'Service'), opts(true))
  const row = (name: string) => out.split('\n').find((l) => l.startsWith(`${name} `))!.split(/\s{2,}/)
  assert.match(out.split('\n')[0]!, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/)
  assert.equal(row('web'), ['web', 'NodePort', '10.96.0.10', '<none>', '80:30080/TCP', '120m', 'app=web'])
  assert.equal(row('db'), ['db', 'ClusterIP', 'None', '<none>', '5432/TCP', '120m', 'app=db'])
  assert.equal(row('big'), ['big', 'ClusterIP', '10.96.0.11', '<none>', '80/TCP,53/UDP', '120m', 'app=big'])
  assert.equal(row('lb'), ['lb', 'LoadBalancer', '10.96.0.12', '<pending>', '443:31443/TCP', '120m', '<none>'])
  assert.equal(row('lb-up'), ['lb-up', 'LoadBalancer', '10.96.0.13', '198.51.100.21,lb.example.com,203.0.113.9', '443/TCP', '120m', '<none>'])
  assert.equal(row('ext'), ['ext', 'ExternalName', '<none>', 'db.example.com', '<none>', '120m', '<none>'])
  assert.equal(row('fresh').slice(0, 3), ['fresh', 'ClusterIP', '<none>'], 'no cluster IP allocated yet')
  golden('get-svc-wide.txt', out)
  // outside -o wide kubectl clips a LoadBalancer's ingress list to 16 characters
  const narrow = renderResourceTable('Service', [st.objects['Service/default/lb-up']!], opts(false))
  assert.match(narrow, /198\.51\.100\.21\.\.\.,203\.0\.113\.9\s/)
  assert.not.match(narrow, /SELECTOR/)
})

test('describe svc: kubectl fields, Endpoints from the Endpoints object, and why the other pods are not endpoints', () => {
  const st = state()
  const out = renderDescribe(st.objects['Service/default/web']!, st, NOW)
  for (const line of [
    /^Selector:\s+app=web$/m,
    /^Type:\s+NodePort$/m,
    /^IP:\s+10\.96\.0\.10$/m,
    /^IPs:\s+10\.96\.0\.10$/m,
    /^Port:\s+http  80\/TCP$/m,
    /^TargetPort:\s+8080\/TCP$/m,
    /^NodePort:\s+http  30080\/TCP$/m,
    /^Endpoints:\s+10\.244\.0\.5:8080$/m,
    /^Session Affinity:\s+None$/m,
    /^External Traffic Policy:\s+Cluster$/m,
    /^Not endpoints:$/m,
    /^  web-b \(10\.244\.1\.7\):\s+not ready: container main not ready \(CrashLoopBackOff\)$/m,
    /^  web-c:\s+not scheduled: 0\/2 nodes are available: 2 Insufficient cpu\.$/m,
    /^  web-d \(10\.244\.0\.6\):\s+terminating$/m,
    /^  web-e:\s+no IP yet$/m,
    /^  web-f \(10\.244\.0\.7\):\s+not ready: container main not ready \(ContainerCreating\)$/m,
  ]) {
    assert.match(out, line)
  }
  assert.not.match(out, /^  web-a/m, 'the ready endpoint is not listed')
  assert.not.match(out, /api-x/, 'a pod the selector does not match')
  golden('describe-svc.txt', out)
})

test('describe svc: headless, no Endpoints object yet, LoadBalancer', () => {
  const st = state()
  const db = renderDescribe(st.objects['Service/default/db']!, st, NOW)
  assert.match(db, /^IP:\s+None$/m)
  assert.match(db, /^IPs:\s+None$/m)
  assert.match(db, /^Endpoints:\s+10\.244\.0\.20,10\.244\.1\.20$/m)
  assert.match(db, /^Not endpoints:  <none>$/m)
  assert.not.match(db, /External Traffic Policy/, 'only NodePort and LoadBalancer have one')
  delete st.objects['Endpoints/default/fresh']
  const fresh = renderDescribe(st.objects['Service/default/fresh']!, st, NOW)
  assert.match(fresh, /^IP:$/m)
  assert.match(fresh, /^IPs:\s+<none>$/m)
  assert.match(fresh, /^Endpoints:\s+<none>$/m)
  const lb = renderDescribe(st.objects['Service/default/lb']!, st, NOW)
  assert.match(lb, /^External Traffic Policy:\s+Cluster$/m)
  assert.not.match(lb, /Not endpoints/, 'a Service without a selector: its endpoints are not tsctl\'s')
  assert.match(lb, /NodePortNotAllocated/)
})

test('hostile names in the Endpoints and pods stay on their line, escaped', () => {
  const st = state()
  const evil = 'web-\x1b]0;pwned\x07\nfake: line'
  st.objects['Endpoints/default/web'] = endpoints('web', [{ready: [{ip: '10.244.0.5', pod: 'web-a'}], notReady: [{ip: '10.244.1.99\x1b[2J', pod: evil}], ports: [{name: 'http', port: 8080}]}])
  const out = renderDescribe(st.objects['Service/default/web']!, st, NOW)
  assert.not.match(out, /\x1b|\x07/)
  assert.not.match(out, /^fake: line/m)
  assert.match(out, /^  web-\\x1b\]0;pwned\\x07\\nfake: line \(10\.244\.1\.99\\x1b\[2J\):\s+not ready \(the pod is no longer in the state\)$/m)
  const table = renderResourceTable('Endpoints', [st.objects['Endpoints/default/web']!], opts(false))
  assert.not.match(table, /\x1b/)
})

test('describe endpoints: subsets with addresses, not-ready addresses and ports', () => {
  const st = state()
  const out = renderDescribe(st.objects['Endpoints/default/web']!, st, NOW)
  assert.match(out, /^Subsets:\n  Addresses:\s+10\.244\.0\.5\n  NotReadyAddresses:\s+10\.244\.1\.7\n  Ports:\n    Name\s+Port\s+Protocol\n    ----\s+----\s+--------\n    http\s+8080\s+TCP\n\nEvents:  <none>$/m)
})

test('pods: IP column in -o wide; describe pod IP and IPs as kubectl', () => {
  const st = state()
  const wide = renderResourceTable('Pod', ofKind(st, 'Pod'), opts(true, st))
  assert.match(wide, /^web-a\s+1\/1\s+Running\s+0\s+60m\s+10\.244\.0\.5\s+node-a\s/m)
  assert.match(wide, /^web-c\s+0\/1\s+Pending\s+0\s+60m\s+<none>\s+<none>\s/m)
  assert.match(wide, /^web-f\s+0\/1\s+ContainerCreating\s+0\s+60m\s+10\.244\.0\.7\s+node-a\s/m, 'the allocated IP before the host reports one')
  assert.match(wide, /^agent-h\s+1\/1\s+Running\s+0\s+60m\s+198\.18\.0\.11\s+node-a\s/m, 'a hostNetwork pod has its node\'s address')
  assert.match(renderDescribe(st.objects['Pod/default/web-f']!, st, NOW), /^IP:\s+10\.244\.0\.7\nIPs:\n  IP:  10\.244\.0\.7$/m)
  const a = renderDescribe(st.objects['Pod/default/web-a']!, st, NOW)
  assert.match(a, /^IP:\s+10\.244\.0\.5\nIPs:\n  IP:  10\.244\.0\.5$/m)
  const c = renderDescribe(st.objects['Pod/default/web-c']!, st, NOW)
  assert.match(c, /^IP:\nIPs:\s+<none>$/m, 'kubectl leaves IP empty until the pod has one')
})

test('nodes: INTERNAL-IP in -o wide from the state\'s node records; describe node PodCIDR and PodCIDRs', () => {
  const st = state()
  const wide = renderResourceTable('Node', ofKind(st, 'Node'), opts(true, st))
  assert.match(wide.split('\n')[0]!, /^NAME\s+STATUS\s+ADDRESS\s+AGE\s+INTERNAL-IP\s+CPU/)
  assert.match(wide, /^node-a\s+Ready\s+node-a\.example\s+2d2h\s+198\.18\.0\.11\s/m)
  assert.match(wide, /^node-b\s+Ready\s+198\.18\.0\.12\s+2d2h\s+<none>\s/m, 'no address reported yet')
  assert.not.match(renderResourceTable('Node', ofKind(st, 'Node'), opts(false, st)), /INTERNAL-IP/)
  assert.match(renderResourceTable('Node', ofKind(st, 'Node'), opts(true)), /^node-a\s+Unknown\s+node-a\.example\s+2d2h\s+<none>\s/m, 'without the node records')
  golden('get-nodes-wide.txt', wide)
  const a = renderDescribe(st.objects['Node/node-a']!, st, NOW)
  assert.match(a, /^PodCIDR:\s+10\.244\.0\.0\/24\nPodCIDRs:\s+10\.244\.0\.0\/24$/m)
  // reconcile has not written node-b's block onto its Node yet: the state's record says it
  assert.match(renderDescribe(st.objects['Node/node-b']!, st, NOW), /^PodCIDRs:\s+10\.244\.1\.0\/24$/m)
  golden('describe-node.txt', a)
})

test.run()
