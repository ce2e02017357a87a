// Pod networking and Services on a 3-host fleet (real sshd hosts in network
// namespaces, the CNI plugins, nftables and dnsmasq of Debian): pods get an
// IP of their node's block and reach each other across hosts by pod IP, by
// Service name and by cluster IP; NodePorts answer on every host; a pod that
// fails readiness leaves the rotation; scaling changes the endpoints in one
// pass; deleting a Service leaves the rule set as it was; removing a pod
// removes its veth and IP reservation. Every address is inside
// 198.18.0.0/15: hosts 198.19.25x.0/24, pods 198.19.0.0/17, services
// 198.18.128.0/17.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {Fleet} from '../fleet/fleet.js'
import {fleetUp} from '../fleet/fleet.js'
import {testUnless} from '../fixtures/skip.js'
import {AppRepo, cgroupLeftovers, tearDownFleet, tsctl, tsctlEnv, until} from './_fleet-app.js'
import {inRotation, netConfig, netSkipReason, onHost, tsctlTable, webDeploymentYaml} from './_net-app.js'
import {contains, parseCidr, parseIp} from '../../src/net/cidr.js'

const skip = netSkipReason()
const maybe = testUnless(skip, 'network')

let fleet: Fleet
let repo: AppRepo
let env: NodeJS.ProcessEnv
const run = (...args: string[]) => tsctl(args, repo.dir, env)

const serviceYaml = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http}
---
apiVersion: v1
kind: Service
metadata:
  name: web-public
spec:
  type: NodePort
  selector: {app: web}
  ports:
    - {port: 80, targetPort: 8080, nodePort: 30080}
`

function clientYaml(host: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  terminationGracePeriodSeconds: 0
  nodeSelector:
    kubernetes.io/hostname: ${host}
  containers:
    - name: client
      image: oci:images/busybox
      command: [sleep, '3600']
`
}

interface PodJson {
  metadata: {name: string; annotations?: Record<string, string>}
  spec: {nodeName?: string}
  status?: {podIP?: string; phase?: string}
}

async function pods(): Promise<PodJson[]> {
  const r = await run('get', 'pods', '-o', 'json')
  assert.is(r.code, 0, r.stderr)
  return (JSON.parse(r.stdout) as {items: PodJson[]}).items
}

/** stdout of a command in the client pod (busybox), '' when it fails. */
async function fromClient(...argv: string[]): Promise<{code: number; out: string}> {
  const r = await run('exec', 'client', '--', ...argv)
  return {code: r.code, out: r.stdout.trim()}
}

/** Every host's whole nftables rule set (the `tsctl` table and whatever the CNI plugins made). */
async function rulesets(): Promise<string[]> {
  return Promise.all(fleet.hosts.map((h) => onHost(fleet, h, ['nft', 'list', 'ruleset'])))
}

test.before(async () => {
  if (skip) return
  fleet = await fleetUp(3, 'tsnet')
  repo = new AppRepo('network')
  await repo.init(fleet, {'tsctl.yaml': netConfig(), 'manifests/web.yaml': webDeploymentYaml({replicas: 3}), 'manifests/svc.yaml': serviceYaml, 'manifests/client.yaml': clientYaml(fleet.hosts[0].name)})
  env = tsctlEnv(fleet)
})

test.after(async () => {
  if (skip || !fleet) return
  await tearDownFleet(fleet)
  repo?.remove()
  assert.equal(cgroupLeftovers(fleet), [])
})

maybe('every pod gets an IP of its node\'s block; pods on host A reach a pod on host B by pod IP, by Service name and by cluster IP', async () => {
  const s = await run('sync', '--timeout', '2m')
  assert.is(s.code, 0, s.stderr + s.stdout)
  const all = await pods()
  const nodes = JSON.parse((await run('get', 'nodes', '-o', 'json')).stdout) as {items: {metadata: {name: string}; spec: {podCIDR?: string}}[]}
  const cidrOf = new Map(nodes.items.map((n) => [n.metadata.name, n.spec.podCIDR]))
  for (const p of all) {
    const cidr = parseCidr(cidrOf.get(p.spec.nodeName!) ?? '')
    assert.ok(cidr, `node ${p.spec.nodeName} has a pod CIDR`)
    assert.ok(p.status?.podIP && contains(cidr!, parseIp(p.status.podIP)!), `${p.metadata.name} ${p.status?.podIP} in ${cidrOf.get(p.spec.nodeName!)}`)
  }
  const remote = all.find((p) => p.metadata.name.startsWith('web-') && p.spec.nodeName !== fleet.hosts[0].name)!
  assert.ok(remote, 'a web pod on another host')
  const byIp = await fromClient('timeout', '3', 'wget', '-qO-', `http://${remote.status!.podIP}:8080/`)
  assert.is(byIp.out, remote.metadata.name, 'by pod IP across hosts, no NAT in between')
  const svc = JSON.parse((await run('get', 'svc', 'web', '-o', 'json')).stdout) as {spec: {clusterIP: string}}
  assert.ok(contains(parseCidr('198.18.128.0/17')!, parseIp(svc.spec.clusterIP)!), `cluster IP ${svc.spec.clusterIP} from the service range`)
  const webPods = new Set(all.filter((p) => p.metadata.name.startsWith('web-')).map((p) => p.metadata.name))
  const seen = new Set<string>()
  for (const url of ['http://web/', 'http://web.default/', 'http://web.default.svc/', 'http://web.default.svc.cluster.local/', `http://${svc.spec.clusterIP}/`]) {
    const r = await fromClient('timeout', '3', 'wget', '-qO-', url)
    assert.is(r.code, 0, `${url}: ${r.out}`)
    assert.ok(webPods.has(r.out), `${url} answered by a web pod (${r.out})`)
    seen.add(r.out)
  }
  for (let i = 0; i < 15 && seen.size < 3; i++) seen.add((await fromClient('timeout', '3', 'wget', '-qO-', 'http://web/')).out)
  assert.is(seen.size, 3, `the Service balances over all three pods: ${[...seen]}`)
})

maybe('a NodePort on each host reaches pods on the others', async () => {
  const answered = new Set<string>()
  for (const h of fleet.hosts) {
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`http://${h.address}:30080/`, {signal: AbortSignal.timeout(3000)})
      answered.add(`${h.name}:${(await r.text()).trim()}`)
    }
  }
  const pods = new Set([...answered].map((a) => a.split(':')[1]))
  assert.is(pods.size, 3, `all three pods answer through node ports: ${[...answered]}`)
  for (const h of fleet.hosts) assert.ok([...answered].some((a) => a.startsWith(`${h.name}:`)), `${h.name} answers`)
})

maybe('a pod failing readiness gets no traffic while another serves', async () => {
  const all = await pods()
  const local = all.find((p) => p.metadata.name.startsWith('web-') && p.spec.nodeName === fleet.hosts[0].name)
  assert.ok(local, 'a web pod beside the client')
  const rm = await run('exec', local!.metadata.name, '--', 'rm', '/w/ready')
  assert.is(rm.code, 0, rm.stderr)
  // its own host drops it within a probe period plus one rule update, no tsctl run needed
  const ip = local!.status!.podIP!
  assert.ok(inRotation(await tsctlTable(fleet, fleet.hosts[0]), ip), 'in the rotation while ready')
  await until(async () => !inRotation(await tsctlTable(fleet, fleet.hosts[0]), ip), 10_000, 'the local rules to drop the unready pod')
  for (let i = 0; i < 12; i++) {
    const r = await fromClient('timeout', '3', 'wget', '-qO-', 'http://web/')
    assert.is(r.code, 0)
    assert.is.not(r.out, local!.metadata.name, 'never the unready pod')
  }
  // the other hosts at the next pass (which then waits for the pod's readiness: cut short, exit 5)
  const s = await run('sync', '--timeout', '8s')
  assert.ok([0, 5].includes(s.code), s.stderr)
  for (const h of fleet.hosts.slice(1)) assert.not.ok(inRotation(await tsctlTable(fleet, h), ip), `${h.name} dropped it`)
  await run('exec', local!.metadata.name, '--', 'sh', '-c', 'echo ok > /w/ready')
  await until(async () => inRotation(await tsctlTable(fleet, fleet.hosts[0]), ip), 10_000, 'the pod to come back on its own host')
  const back = await run('sync', '--timeout', '1m')
  assert.is(back.code, 0, back.stderr)
  for (const h of fleet.hosts.slice(1)) assert.ok(inRotation(await tsctlTable(fleet, h), ip), `${h.name} has it back`)
})

maybe('scaling changes the endpoints in one pass; removing a pod removes its veth and its IP reservation', async () => {
  repo.write({'manifests/web.yaml': webDeploymentYaml({replicas: 5})})
  repo.commit('web: 5')
  const s = await run('sync', '--timeout', '2m')
  assert.is(s.code, 0, s.stderr + s.stdout)
  const ep = JSON.parse((await run('get', 'endpoints', 'web', '-o', 'json')).stdout) as {subsets: {addresses?: unknown[]}[]}
  assert.is(ep.subsets.flatMap((x) => x.addresses ?? []).length, 5)
  const veths = async () => Promise.all(fleet.hosts.map(async (h) => (await onHost(fleet, h, ['ip', '-o', 'link', 'show', 'type', 'veth'])).split('\n').filter(Boolean).length))
  const reservations = async () => Promise.all(fleet.hosts.map(async (h) => (await onHost(fleet, h, ['sh', '-c', 'ls /var/lib/tsctl/net/ipam/tsctl 2>/dev/null | grep -c "^[0-9]" || true'])).trim()))
  const before = await veths()
  repo.write({'manifests/web.yaml': webDeploymentYaml({replicas: 3})})
  repo.commit('web: 3')
  const s2 = await run('sync', '--timeout', '2m')
  assert.is(s2.code, 0, s2.stderr + s2.stdout)
  const after = await veths()
  assert.is(after.reduce((a, b) => a + b, 0), before.reduce((a, b) => a + b, 0) - 2, `two veths fewer: ${before} → ${after}`)
  const live = (await pods()).filter((p) => p.spec.nodeName)
  const perHost = fleet.hosts.map((h) => String(live.filter((p) => p.spec.nodeName === h.name).length))
  assert.equal(await reservations(), perHost, 'one IP reservation per pod on each host')
})

maybe('deleting a Service leaves every host\'s rule set exactly as before it', async () => {
  const before = await rulesets()
  repo.write({'manifests/extra.yaml': `apiVersion: v1
kind: Service
metadata:
  name: extra
spec:
  type: NodePort
  sessionAffinity: ClientIP
  selector: {app: web}
  ports:
    - {port: 81, targetPort: http}
`})
  repo.commit('extra service')
  assert.is((await run('sync', '--timeout', '1m')).code, 0)
  const withIt = await rulesets()
  assert.ok(withIt.every((r, i) => r !== before[i]), 'the Service added rules on every host')
  repo.write({'manifests/extra.yaml': null})
  repo.commit('no extra service')
  assert.is((await run('sync', '--timeout', '1m')).code, 0)
  const afterIt = await rulesets()
  // sets with timeouts list their dynamic elements; the affinity sets go with the Service
  assert.equal(afterIt, before)
  const noop = await run('sync', '-o', 'json')
  assert.is(noop.code, 0)
  assert.is((JSON.parse(noop.stdout) as {plan?: {actions: unknown[]}}).plan?.actions?.length ?? 0, 0, 'a second sync has nothing to do')
})

test.run()
