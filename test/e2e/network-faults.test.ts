// The pod network under faults and at its edges, on a 3-host fleet (real
// sshd hosts in network namespaces, Debian's CNI plugins, nftables and
// dnsmasq): StatefulSet pod names and a headless Service resolve; the
// Service environment variables; hostNetwork and hostPort pods (the
// scheduler's NodePorts filter, nothing half-configured on a host); a host
// crash and restart reconverges the network, also when the host lost its
// bridge and `tsctl` table (a reboot); `kill -9` of tsctl mid-sync leaves no
// stray IP reservation or veth, and host 1 reaches every web pod by pod IP
// after each (a bridge MAC that changed under its pods once broke that).
// Every address is inside 198.18.0.0/15:
// hosts 198.19.25x.0/24, pods 198.19.0.0/17, services 198.18.128.0/17.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {Fleet, FleetHost} from '../fleet/fleet.js'
import {fleetUp} from '../fleet/fleet.js'
import {testUnless} from '../fixtures/skip.js'
import {AppRepo, cgroupLeftovers, sleep, tearDownFleet, tsctl, tsctlEnv, tsctlSpawn, until} from './_fleet-app.js'
import {netConfig, netSkipReason, onHost} from './_net-app.js'
import {contains, parseCidr, parseIp} from '../../src/net/cidr.js'

const skip = netSkipReason()
const maybe = testUnless(skip, 'network-faults')

let fleet: Fleet
let repo: AppRepo
let env: NodeJS.ProcessEnv
const run = (...args: string[]) => tsctl(args, repo.dir, env)

const config = netConfig(`# hostNetwork and hostPort pods (baseline refuses both)
podSecurity:
  default: privileged
`)

const HTTPD = 'mkdir -p /w && hostname > /w/index.html && exec httpd -f -p 8080 -h /w'

function pinned(host: string): string {
  return `  nodeSelector:
    kubernetes.io/hostname: ${host}
`
}

function webYaml(replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 0
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: DoNotSchedule
          labelSelector:
            matchLabels: {app: web}
      containers:
        - name: web
          image: oci:images/busybox
          command: [sh, -c, '${HTTPD}']
          ports:
            - {name: http, containerPort: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http}
`
}

const dbYaml = `apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector: {app: db}
  ports:
    - {name: http, port: 8080}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 2
  podManagementPolicy: Parallel
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: db
          image: oci:images/busybox
          command: [sh, -c, '${HTTPD}']
          ports:
            - {name: http, containerPort: 8080}
`

function sleeperYaml(name: string, host: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 0
${pinned(host)}${extra}  containers:
    - name: main
      image: oci:images/busybox
      command: [sleep, '3600']
`
}

/** The pods that start once Service `web` is in the state: service links on and off, hostNetwork, hostPort. */
function secondWave(): Record<string, string> {
  const [h1, , h3] = fleet.hosts
  return {
    'manifests/env.yaml': `${sleeperYaml('links', h1.name)}---
${sleeperYaml('nolinks', h1.name, '  enableServiceLinks: false\n')}`,
    'manifests/hostnet.yaml': `apiVersion: v1
kind: Pod
metadata:
  name: hostnet
spec:
  terminationGracePeriodSeconds: 0
  hostNetwork: true
${pinned(h3.name)}  containers:
    - name: main
      image: oci:images/busybox
      command: [sh, -c, 'mkdir -p /w && echo hostnet > /w/index.html && exec httpd -f -p 18081 -h /w']
      ports:
        - {containerPort: 18081}
`,
    'manifests/hostport.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hp
spec:
  replicas: 2
  selector:
    matchLabels: {app: hp}
  template:
    metadata:
      labels: {app: hp}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: hp
          image: oci:images/busybox
          command: [sh, -c, '${HTTPD}']
          ports:
            - {containerPort: 8080, hostPort: 18080}
`,
  }
}

interface PodJson {
  metadata: {name: string; uid: string; annotations?: Record<string, string>}
  spec: {nodeName?: string; hostNetwork?: boolean}
  status?: {podIP?: string; phase?: string}
}

async function pods(): Promise<PodJson[]> {
  const r = await run('get', 'pods', '-o', 'json')
  assert.is(r.code, 0, r.stderr)
  return (JSON.parse(r.stdout) as {items: PodJson[]}).items
}

async function pod(name: string): Promise<PodJson> {
  const p = (await pods()).find((x) => x.metadata.name === name)
  assert.ok(p, `pod ${name} exists`)
  return p!
}

/** stdout of a command in a pod's first container, trimmed. */
async function inPod(name: string, ...argv: string[]): Promise<{code: number; out: string; err: string}> {
  const r = await run('exec', name, '--', ...argv)
  return {code: r.code, out: r.stdout.trim(), err: r.stderr.trim()}
}

const wget = (name: string, url: string) => inPod(name, 'timeout', '3', 'wget', '-qO-', url)

/** The addresses busybox nslookup gives for NAME, asked from pod FROM (its resolv.conf: the node's dnsmasq). */
async function lookup(from: string, name: string): Promise<string[]> {
  // exit status 1 as soon as one search suffix is NXDOMAIN: the answer is in the output
  const r = await inPod(from, 'nslookup', name)
  // The server's own "Address: GW:53" line comes first, before "Name:".
  const answer = r.out.split(/\nName:/).slice(1).join('\n')
  return [...answer.matchAll(/Address(?: \d+)?:\s*([0-9.]+)/g)].map((m) => m[1]).sort()
}

/**
 * The address NAME resolves to in pod FROM through its libc resolver (the search path: busybox
 * nslookup only searches single-label names), from ping's first line; '' when it does not resolve.
 */
async function resolve(from: string, name: string): Promise<string> {
  const r = await run('exec', from, '--', 'ping', '-c', '1', '-W', '1', name)
  return new RegExp(`^PING ${name.replace(/\./g, '\\.')} \\(([0-9.]+)\\)`, 'm').exec(r.stdout)?.[1] ?? ''
}

/** host-local's reservations on a host: IP → the container id (pod uid) it names. */
async function reservations(h: FleetHost): Promise<Map<string, string>> {
  const out = await onHost(fleet, h, ['sh', '-c', 'cd /var/lib/tsctl/net/ipam/tsctl 2>/dev/null || exit 0; for f in *; do case $f in [0-9]*) printf "%s %s\\n" "$f" "$(head -n1 "$f" | tr -d "\\r")" ;; esac; done'])
  return new Map(out.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]))
}

async function vethCount(h: FleetHost): Promise<number> {
  // the host's own eth0 is a veth too (its link to the fleet's bridge)
  return (await onHost(fleet, h, ['ip', '-o', 'link', 'show', 'type', 'veth'])).split('\n').filter((l) => l && !/^\d+: eth0@/.test(l)).length
}

/**
 * The pod network of every host is exactly its pods': its IP reservations name its live pods
 * with a pod network and their IPs (nothing stray, nothing missing), one veth each, and no IP
 * is held twice in the fleet.
 */
async function assertNetExact(what: string): Promise<void> {
  const all = await pods()
  const ips = all.filter((p) => p.spec.nodeName && !p.spec.hostNetwork).map((p) => p.status?.podIP)
  assert.ok(ips.every(Boolean), `${what}: every pod with a pod network has an IP: ${JSON.stringify(all.map((p) => [p.metadata.name, p.status]))}`)
  assert.is(new Set(ips).size, ips.length, `${what}: no IP is held by two pods: ${ips}`)
  for (const h of fleet.hosts) {
    const mine = all.filter((p) => p.spec.nodeName === h.name && !p.spec.hostNetwork && p.status?.phase === 'Running')
    const want = mine.map((p) => `${p.status!.podIP} ${p.metadata.uid}`).sort()
    const have = [...(await reservations(h))].map(([ip, uid]) => `${ip} ${uid}`).sort()
    assert.equal(have, want, `${what}: ${h.name}'s IP reservations are exactly its pods' (${mine.map((p) => p.metadata.name)})`)
    assert.is(await vethCount(h), mine.length, `${what}: ${h.name} has one veth per pod with a pod network`)
  }
}

/** Names of the web pods the Service `web` reaches from pod FROM within N tries. */
async function serviceReaches(from: string, n: number, want: (name: string) => boolean): Promise<Set<string>> {
  const seen = new Set<string>()
  for (let i = 0; i < n; i++) {
    const r = await wget(from, 'http://web/')
    if (r.code === 0) seen.add(r.out)
    else seen.add(`failed: exit ${r.code}: ${r.err}`)
    if ([...seen].some(want)) break
  }
  return seen
}

async function sync(what: string, timeout = '2m'): Promise<void> {
  const s = await run('sync', '--timeout', timeout)
  assert.is(s.code, 0, `${what}: ${s.stderr}${s.stdout}`)
}

test.before(async () => {
  if (skip) return
  fleet = await fleetUp(3, 'tsnf')
  repo = new AppRepo('network-faults')
  await repo.init(fleet, {
    'tsctl.yaml': config,
    'manifests/web.yaml': webYaml(3),
    'manifests/db.yaml': dbYaml,
    'manifests/client.yaml': `${sleeperYaml('client', fleet.hosts[0].name)}---\n${sleeperYaml('client2', fleet.hosts[1].name)}`,
  })
  env = tsctlEnv(fleet)
})

test.after(async () => {
  if (skip || !fleet) return
  await tearDownFleet(fleet)
  repo?.remove()
  assert.equal(cgroupLeftovers(fleet), [])
})

maybe('StatefulSet pods resolve as db-0.db and db-1.db.default.svc.cluster.local and serve; the headless Service resolves to both pods', async () => {
  await sync('first sync')
  const db0 = await pod('db-0')
  const db1 = await pod('db-1')
  assert.ok(db0.status?.podIP && db1.status?.podIP, 'both db pods have an IP')
  assert.is(await resolve('client', 'db-0.db'), db0.status!.podIP!, 'db-0.db (through the search path)')
  assert.is(await resolve('client', 'db-1.db'), db1.status!.podIP!, 'db-1.db')
  assert.equal(await lookup('client', 'db-0.db.default.svc.cluster.local'), [db0.status!.podIP!], 'db-0.db.default.svc.cluster.local')
  assert.equal(await lookup('client', 'db-1.db.default.svc.cluster.local'), [db1.status!.podIP!], 'db-1.db.default.svc.cluster.local')
  assert.is((await wget('client', 'http://db-0.db:8080/')).out, 'db-0', 'db-0.db serves')
  assert.is((await wget('client', 'http://db-1.db.default.svc.cluster.local:8080/')).out, 'db-1', 'db-1 serves by its full name')
  assert.equal(await lookup('client', 'db'), [db0.status!.podIP!, db1.status!.podIP!].sort(), 'the headless Service: both pod IPs')
  assert.equal(await lookup('client', 'db-2.db.default.svc.cluster.local'), [], 'no name for a pod that does not exist')
  await assertNetExact('first sync')
})

maybe('a pod started after Service web exists has WEB_SERVICE_HOST/PORT; enableServiceLinks: false has none; hostNetwork and hostPort pods', async () => {
  repo.write(secondWave())
  repo.commit('second wave')
  await sync('second wave')
  const svc = JSON.parse((await run('get', 'svc', 'web', '-o', 'json')).stdout) as {spec: {clusterIP: string}}
  const envOf = async (name: string) => {
    const r = await inPod(name, 'env')
    assert.is(r.code, 0, r.out)
    return new Map(r.out.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  }
  const links = await envOf('links')
  assert.is(links.get('WEB_SERVICE_HOST'), svc.spec.clusterIP)
  assert.is(links.get('WEB_SERVICE_PORT'), '80')
  assert.is(links.get('WEB_SERVICE_PORT_HTTP'), '80')
  assert.is(links.get('WEB_PORT'), `tcp://${svc.spec.clusterIP}:80`)
  const nolinks = await envOf('nolinks')
  assert.equal([...nolinks.keys()].filter((k) => /_SERVICE_|_PORT/.test(k)), [], 'enableServiceLinks: false: no service variables')

  // hostNetwork: served on the host's own address, no pod IP of its own, no CNI at all
  const h3 = fleet.hosts[2]
  const hostnet = await pod('hostnet')
  assert.is(hostnet.spec.nodeName, h3.name)
  assert.not.ok(hostnet.metadata.annotations?.['tsctl.io/pod-ip'], 'no pod IP allocated')
  const wide = (await run('get', 'pods', 'hostnet', '-o', 'wide')).stdout
  assert.match(wide, ` ${h3.address} `, `shown with its node's address: ${wide}`)
  assert.is(hostnet.status?.podIP, h3.address, 'status.podIP is the node\'s address, as the kubelet reports it')
  const r = await fetch(`http://${h3.address}:18081/`, {signal: AbortSignal.timeout(3000)})
  assert.is((await r.text()).trim(), 'hostnet')
  assert.not.ok([...(await reservations(h3)).values()].includes(hostnet.metadata.uid), 'no IP reserved for the hostNetwork pod')

  // hostPort 18080: two replicas on two nodes, each answering on its node's address
  const hp = (await pods()).filter((p) => p.metadata.name.startsWith('hp-'))
  assert.is(hp.length, 2)
  assert.is(new Set(hp.map((p) => p.spec.nodeName)).size, 2, `the same hostPort never shares a node: ${hp.map((p) => p.spec.nodeName)}`)
  for (const p of hp) {
    const h = fleet.hosts.find((x) => x.name === p.spec.nodeName)!
    const res = await fetch(`http://${h.address}:18080/`, {signal: AbortSignal.timeout(3000)})
    assert.is((await res.text()).trim(), p.metadata.name, `${h.name}:18080 reaches ${p.metadata.name}`)
  }
  // a third pod wanting 18080, allowed only on a node that has it taken: Pending, with the scheduler's reason
  const taken = hp[0].spec.nodeName!
  repo.write({'manifests/hp-extra.yaml': `apiVersion: v1
kind: Pod
metadata:
  name: hp-extra
spec:
  terminationGracePeriodSeconds: 0
${pinned(taken)}  containers:
    - name: main
      image: oci:images/busybox
      command: [sh, -c, '${HTTPD}']
      ports:
        - {containerPort: 8080, hostPort: 18080}
`})
  repo.commit('hp-extra')
  const s = await run('sync', '--timeout', '5s')
  assert.ok([0, 5].includes(s.code), s.stderr)
  const extra = await pod('hp-extra')
  assert.is(extra.status?.phase, 'Pending')
  assert.not.ok(extra.spec.nodeName, 'not bound')
  const d = await run('describe', 'pod', 'hp-extra')
  assert.match(d.stdout, "didn't have free ports for the requested pod ports")
  const res = await fetch(`http://${fleet.hosts.find((h) => h.name === taken)!.address}:18080/`, {signal: AbortSignal.timeout(3000)})
  assert.is((await res.text()).trim(), hp[0].metadata.name, 'the port still reaches the pod that holds it')
  for (const h of fleet.hosts) {
    const st = await onHost(fleet, h, ['sh', '-c', 'cat /var/lib/tsctl/pods/*/bundle/meta/name 2>/dev/null; echo'])
    assert.not.match(st, 'hp-extra', `${h.name} has nothing of hp-extra`)
  }
  await assertNetExact('hostNetwork and hostPort')
  repo.write({'manifests/hp-extra.yaml': null})
  repo.commit('no hp-extra')
  await sync('without hp-extra')
})

/** Every pod bound to H runs with the IP the state gave it, inside H's block. */
async function assertHostPods(h: FleetHost, what: string): Promise<PodJson[]> {
  const nodes = JSON.parse((await run('get', 'nodes', '-o', 'json')).stdout) as {items: {metadata: {name: string}; spec: {podCIDR?: string}}[]}
  const cidr = parseCidr(nodes.items.find((n) => n.metadata.name === h.name)?.spec.podCIDR ?? '')!
  const mine = (await pods()).filter((p) => p.spec.nodeName === h.name && !p.spec.hostNetwork)
  assert.ok(mine.length >= 2, `${what}: pods on ${h.name}`)
  for (const p of mine) {
    assert.is(p.status?.phase, 'Running', `${what}: ${p.metadata.name} runs`)
    assert.ok(p.status?.podIP && contains(cidr, parseIp(p.status.podIP)!), `${what}: ${p.metadata.name} has ${p.status?.podIP} of ${h.name}'s block`)
    assert.is(p.status!.podIP, p.metadata.annotations?.['tsctl.io/pod-ip'], `${what}: ${p.metadata.name} configured with the IP the state gave it`)
  }
  return mine
}

/** After H came back: its pods run with their IPs, its dnsmasq answers, Service traffic from host 1 reaches its pods. */
async function assertReconverged(h: FleetHost, what: string): Promise<void> {
  const mine = await assertHostPods(h, what)
  const web = (await pods()).filter((p) => p.metadata.name.startsWith('web-'))
  const svc = JSON.parse((await run('get', 'svc', 'web', '-o', 'json')).stdout) as {spec: {clusterIP: string}}
  assert.equal(await lookup('client2', 'web'), [svc.spec.clusterIP], `${what}: a pod on ${h.name} resolves web through its node's dnsmasq`)
  const local = mine.find((p) => p.metadata.name.startsWith('web-'))
  assert.ok(local, `${what}: a web pod on ${h.name}`)
  await assertNetExact(what)
  await reachByPodIp(what, local!)
  const seen = await serviceReaches('client', 20, (n) => n === local!.metadata.name)
  assert.ok(seen.has(local!.metadata.name), `${what}: the Service from host 1 reaches ${h.name}'s pod: ${[...seen]}`)
  assert.ok([...seen].filter((n) => !n.startsWith('failed:')).every((n) => web.some((p) => p.metadata.name === n)), `${what}: only web pods answer: ${[...seen]}`)
}

maybe('a host crash and restart reconverges the network: pods with their IPs, dnsmasq, Service traffic', async () => {
  const h2 = fleet.hosts[1]
  await fleet.crash(h2.index)
  // the netns survives with its bridge and table; its pods and dnsmasq died with the PID namespace
  await fleet.restart()
  const dry = await run('sync', '--dry-run', '-o', 'json')
  const plan = (JSON.parse(dry.stdout) as {plan?: {type: string; node?: string}[]}).plan ?? []
  assert.ok(plan.some((a) => a.type === 'network' && a.node === h2.name), `a network action for ${h2.name} (its dnsmasq is gone): ${JSON.stringify(plan)}`)
  await sync('after the crash')
  await assertReconverged(h2, 'after a crash')
})

maybe('a host that lost its bridge and tsctl table (a reboot) gets its network applied again at the next sync', async () => {
  const h2 = fleet.hosts[1]
  await fleet.crash(h2.index)
  const ns = `--net=/run/netns/${h2.netns}`
  const inNs = (argv: string[]) => tsctlLocal(['nsenter', ns, ...argv])
  await inNs(['ip', 'link', 'del', 'tsctl0'])
  await inNs(['nft', 'delete', 'table', 'ip', 'tsctl'])
  assert.not.match(await inNs(['ip', '-o', 'link']), 'tsctl0', 'the bridge is gone')
  await fleet.restart()
  const st = await onHost(fleet, h2, ['sh', '-c', 'for r in /var/lib/tsctl/runtime/*/tsctl-runtime; do TSCTL_CGROUP_PARENT=tsctl-' + h2.name + ' sh "$r" status; break; done'])
  assert.not.match(st, /^net /m, 'no `net` status line without the bridge and the table')
  const dry = await run('sync', '--dry-run', '-o', 'json')
  const plan = (JSON.parse(dry.stdout) as {plan?: {type: string; node?: string}[]}).plan ?? []
  assert.ok(plan.some((a) => a.type === 'network' && a.node === h2.name), `a network action for ${h2.name}: ${JSON.stringify(plan)}`)
  await sync('after the reboot')
  assert.match(await onHost(fleet, h2, ['ip', '-o', 'link']), 'tsctl0', 'the bridge is back')
  assert.match(await onHost(fleet, h2, ['nft', 'list', 'table', 'ip', 'tsctl']), 'service-ips', 'the table is back')
  await assertReconverged(h2, 'after a reboot')
})

maybe('kill -9 of tsctl mid-sync (3 trials) leaves no half-configured pod network: reservations, veths and IPs match the pods, every web pod reachable', async () => {
  // How long a sync that starts and stops several pods takes bounds the kill moments.
  repo.write({'manifests/web.yaml': webYaml(6)})
  repo.commit('web: 6')
  const t0 = Date.now()
  await sync('web: 6')
  const span = Date.now() - t0
  const fractions = [0.2, 0.45, 0.7]
  let killed = 0
  for (const [i, f] of fractions.entries()) {
    const replicas = i % 2 ? 6 : 3
    repo.write({'manifests/web.yaml': webYaml(replicas), 'manifests/burst.yaml': i % 2 ? null : `apiVersion: apps/v1
kind: Deployment
metadata:
  name: burst${i}
spec:
  replicas: 3
  selector:
    matchLabels: {app: burst${i}}
  template:
    metadata:
      labels: {app: burst${i}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: b
          image: oci:images/busybox
          command: [sleep, '3600']
`})
    repo.commit(`trial ${i}`)
    const at = Math.floor(span * f)
    const s = tsctlSpawn(['sync', '--timeout', '1m'], repo.dir, env)
    let exited = false
    void s.done.then(() => (exited = true))
    const t = Date.now()
    while (!exited && Date.now() - t < at) await sleep(10)
    if (!exited) {
      s.kill('SIGKILL')
      killed++
    }
    await s.done
    await sync(`trial ${i} (kill at ${at} ms of ~${span})`, '1m')
    await assertNetExact(`trial ${i} (kill at ${at} ms)`)
    await assertWebServes(`trial ${i} (kill at ${at} ms)`)
  }
  assert.ok(killed >= 2, `most trials killed a running sync (${killed}/3)`)
})

/** Host 1's client pod reaches every web pod by pod IP (within 15 s each). */
async function assertWebServes(what: string): Promise<void> {
  const web = (await pods()).filter((p) => p.metadata.name.startsWith('web-') && p.status?.phase === 'Running')
  for (const p of web) await reachByPodIp(what, p)
}

/**
 * Host 1's client pod reaches pod P by its pod IP within 15 s. On failure it prints what decides
 * the path: the client's ARP entry for its gateway beside host 1's bridge MAC (a bridge MAC that
 * changed under the pods was the cause once), and the routes and neighbours on both hosts.
 */
async function reachByPodIp(what: string, p: PodJson): Promise<void> {
  const ip = p.status!.podIP!
  try {
    await until(async () => (await wget('client', `http://${ip}:8080/`)).out === p.metadata.name, 15_000, `${what}: host 1 to reach ${p.metadata.name} by pod IP ${ip}`)
  } catch (e) {
    const h = fleet.hosts.find((x) => x.name === p.spec.nodeName)!
    const dump = async (x: FleetHost, cmd: string) => `--- ${x.name}: ${cmd}\n` + (await onHost(fleet, x, ['sh', '-c', `(${cmd}) 2>&1 || true`]))
    const client = await inPod('client', 'sh', '-c', 'ip neigh; ip route')
    console.error([`--- client: ip neigh; ip route\n${client.out}${client.err}`, await dump(fleet.hosts[0], `ip -o link show tsctl0; ip route; ip neigh; ip route get ${ip}`), await dump(h, 'ip -o link; ip route; ip neigh; bridge fdb show br tsctl0')].join('\n'))
    throw e
  }
}

/** A command on this machine (not in a host's mount namespace); resolves with stdout, throws on failure. */
async function tsctlLocal(argv: string[]): Promise<string> {
  const {execFile} = await import('node:child_process')
  return new Promise((ok, fail) => execFile(argv[0], argv.slice(1), (err, stdout, stderr) => (err ? fail(new Error(`${argv.join(' ')}: ${stderr}`)) : ok(stdout))))
}

test.run()
