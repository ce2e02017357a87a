// The host half of pod networking (docs/networking.md "Host side", "Names"),
// as root on the real kernel, every host a network namespace of its own:
// net-apply (bridge, routes, the tsctl table, dnsmasq), CNI ADD/DEL for pods,
// #lb rendering against readiness, hostPorts, DNS, gc of leftover IPs, and
// two hosts over host-gw and vxlan. Only 198.18.0.0/15 addresses are used.
// (busybox 1.35's `wget -T` segfaults: timeouts come from `timeout`.)
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import * as assert from 'uvu/assert'
import {test as uvuTest} from 'uvu'
import {testUnless} from '../fixtures/skip.js'
import {pod, sh, sleep} from './_host.js'
import {inNs, makeNetns, netFiles, netHost, netSkipReason, removeNetns, reservations, rulesTable, type NetHost} from './_net.js'

const test = testUnless(netSkipReason(), 'pod network tests')

const NS = `tsctl-nt-${process.pid}`
const NS2 = [`tsctl-nt-${process.pid}-a`, `tsctl-nt-${process.pid}-b`]
const SCRATCH = `tsctl-nt-${process.pid}-s`
const CIDR = '198.19.7.0/24'
const GW = '198.19.7.1'
const NODE = '198.18.0.1'
let host: NetHost
let hosts2: NetHost[] = []

const base = () => netFiles({podCIDR: CIDR, gateway: GW, nodeIP: NODE, routes: ['198.19.8.0/24 198.18.0.2', '198.19.9.0/24 198.18.0.3'], rules: rulesTable(CIDR), hosts: '198.18.128.10 web.default.svc.cluster.local\n'})
const table = () => host.ns(['nft', 'list', 'table', 'ip', 'tsctl'])
/**
 * tsctl0's MAC and addr_assign_type (3: set, so the kernel never recalculates it from the ports),
 * from a private sysfs mount inside the host's netns (/sys shows the netns it was mounted in).
 */
const bridgeMac = () => {
  const [mac, assign] = host.ns(['unshare', '-m', 'sh', '-c', 'mount -t sysfs sysfs /sys && cat /sys/class/net/tsctl0/address /sys/class/net/tsctl0/addr_assign_type']).trim().split('\n')
  return {mac, assign}
}
const running = (p: {phase: string; containers: {state: string}[]}) => p.phase === 'Running' && p.containers.every((c) => c.state === 'running')

// An httpd answering with the pod's hostname; ready while /tmp/ready exists.
const server = (name: string) =>
  pod(name, [{name: 'web', command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www'], readinessProbe: {exec: {command: ['test', '-f', '/tmp/ready']}, periodSeconds: 1, failureThreshold: 1}}])
const uids: Record<string, string> = {}

uvuTest.before(async () => {
  if (netSkipReason()) return
  makeNetns(NS, `${NODE}/24`)
  host = await netHost(NS, NODE)
})

uvuTest.after(async () => {
  if (netSkipReason()) return
  const left: string[] = []
  for (const h of [host, ...hosts2]) if (h) left.push(...(await h.cleanup()))
  for (const n of [NS, ...NS2, SCRATCH]) removeNetns(n)
  for (const n of [NS, ...NS2, SCRATCH]) if (existsSync(`/run/netns/${n}`)) left.push(`netns ${n}`)
  assert.equal(left, [], 'nothing of the test hosts is left')
})

test('net-apply makes the bridge, routes, the table and dnsmasq; status reports net HASH; the same files again change nothing', async () => {
  assert.is((await host.client.observe(1)).netHash, undefined, 'no net line before net-apply')
  // a route someone else made: tsctl never removes it
  host.ns(['ip', 'route', 'add', '198.19.10.0/24', 'via', '198.18.0.4'])
  await host.client.netApply('n1', base())
  assert.match(host.ns(['ip', '-o', '-4', 'addr', 'show', 'dev', 'tsctl0']), `inet ${GW}/24`)
  assert.is(bridgeMac().assign, '3', "the bridge's MAC is set: the kernel never takes a port's")
  assert.is(host.ns(['cat', '/proc/sys/net/ipv4/ip_forward']).trim(), '1')
  assert.is(host.ns(['cat', '/proc/sys/net/bridge/bridge-nf-call-iptables']).trim(), '1')
  assert.equal(host.ns(['ip', '-4', 'route', 'show', 'proto', '77']).trim().split('\n').map((l) => l.trim()), ['198.18.128.0/17 dev tsctl0 scope link', '198.19.8.0/24 via 198.18.0.2 dev uplink', '198.19.9.0/24 via 198.18.0.3 dev uplink'], 'the other nodes\' pod CIDRs, and the service range through the bridge')
  assert.match(table(), 'chain services')
  const pid = readFileSync(join(host.root, 'net', 'dnsmasq.pid'), 'utf8').trim()
  assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), `--listen-address=${GW}`)
  assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), `/${host.cgroupParent}/net`, "out of the caller's cgroup")
  const node = await host.client.observe(2)
  assert.is(node.netHash, 'n1')
  assert.is(node.address, NODE)
  assert.is(readFileSync(join(host.root, 'net', 'applied'), 'utf8').trim(), 'n1')

  const before = {table: table(), routes: host.ns(['ip', 'route']), links: host.ns(['ip', '-o', 'link']), loaded: readFileSync(join(host.root, 'net', 'rules.loaded'), 'utf8')}
  await host.client.netApply('n1', base())
  assert.is(readFileSync(join(host.root, 'net', 'dnsmasq.pid'), 'utf8').trim(), pid, 'dnsmasq kept running')
  assert.equal({table: table(), routes: host.ns(['ip', 'route']), links: host.ns(['ip', '-o', 'link']), loaded: readFileSync(join(host.root, 'net', 'rules.loaded'), 'utf8')}, before)

  // a node left: its route goes, the foreign one stays
  const fewer = base()
  fewer.set('routes', '198.19.9.0/24 198.18.0.3\n')
  await host.client.netApply('n1b', fewer)
  assert.equal(host.ns(['ip', '-4', 'route', 'show', 'proto', '77']).trim().split('\n').map((l) => l.trim()), ['198.18.128.0/17 dev tsctl0 scope link', '198.19.9.0/24 via 198.18.0.3 dev uplink'])
  assert.match(host.ns(['ip', '-4', 'route']), '198.19.10.0/24 via 198.18.0.4')
  assert.is((await host.client.observe(3)).netHash, 'n1b')

  // a rebooted host (no bridge): status stops reporting the hash, so the CLI sends the files again
  host.ns(['ip', 'link', 'del', 'tsctl0'])
  assert.is((await host.client.observe(4)).netHash, undefined)
  await host.client.netApply('n1', base())
  assert.is((await host.client.observe(5)).netHash, 'n1')

  // a bridge an older runtime made (its MAC not set): pinned to the MAC it has
  host.ns(['ip', 'link', 'del', 'tsctl0'])
  host.ns(['ip', 'link', 'add', 'tsctl0', 'type', 'bridge'])
  const inherited = bridgeMac().mac
  assert.is.not(bridgeMac().assign, '3')
  await host.client.netApply('n1', base())
  assert.equal(bridgeMac(), {mac: inherited, assign: '3'}, 'an existing bridge keeps its MAC, now set')
  host.ns(['ip', 'link', 'del', 'tsctl0'])
  await host.client.netApply('n1', base())

  // a dead dnsmasq: no net line either; net-apply starts a new one
  process.kill(Number(readFileSync(join(host.root, 'net', 'dnsmasq.pid'), 'utf8').trim()), 'SIGKILL')
  await sleep(100)
  assert.is((await host.client.observe(6)).netHash, undefined)
  await host.client.netApply('n1', base())
  assert.is((await host.client.observe(7)).netHash, 'n1')
  assert.is.not(readFileSync(join(host.root, 'net', 'dnsmasq.pid'), 'utf8').trim(), pid)

  // other dnsmasq arguments (another cluster domain): restarted
  const domain = base()
  domain.set('params', domain.get('params')!.replace('clusterDomain cluster.local', 'clusterDomain cluster.test'))
  const before2 = readFileSync(join(host.root, 'net', 'dnsmasq.pid'), 'utf8').trim()
  await host.client.netApply('n1c', domain)
  const after2 = readFileSync(join(host.root, 'net', 'dnsmasq.pid'), 'utf8').trim()
  assert.is.not(after2, before2)
  assert.match(readFileSync(`/proc/${after2}/cmdline`, 'utf8'), '--local=/cluster.test/')
  await host.client.netApply('n1', base())

  // files that do not validate change nothing
  const bad = base()
  bad.set('routes', '198.19.9.0/24 $(reboot)\n')
  const r = await host.client.run(['net-apply', 'n9'], {stdin: await (await import('../../src/host/bundle/bundle-tar.js')).bundleTar(new Map([...bad].map(([k, v]) => [k, Buffer.from(v)])))})
  assert.is(r.code, 1)
  assert.match(r.stderr, 'routes: invalid address')
  assert.is((await host.client.observe(8)).netHash, 'n1')
})

test('a pod gets meta/net/ip on eth0 and reaches another pod on the host by IP', async () => {
  uids.a = await host.applyNet(server('web-a'), '198.19.7.10')
  uids.b = await host.applyNet(server('web-b'), '198.19.7.11')
  uids.c = await host.applyNet(pod('client', [{name: 'c', command: ['sleep', '3600']}]), '198.19.7.12')
  for (const u of [uids.a, uids.b, uids.c]) await host.waitPod(u, running, `${u} running`)
  assert.match(await sh(host, uids.a, 'web', 'ip -o -4 addr show dev eth0'), 'inet 198.19.7.10/24')
  assert.match(await sh(host, uids.c, 'c', 'ip route'), `default via ${GW}`)
  const pods = await host.client.status()
  assert.equal(Object.fromEntries(pods.map((p) => [p.name, p.podIP])), {'web-a': '198.19.7.10', 'web-b': '198.19.7.11', client: '198.19.7.12'})
  let got = ''
  for (let i = 0; i < 50 && !got.includes('web-a'); i++) {
    got = await sh(host, uids.c, 'c', 'timeout 3 wget -q -O- http://198.19.7.10:8080/ 2>&1 || true')
    if (!got.includes('web-a')) await sleep(100)
  }
  assert.is(got.trim(), 'web-a')
  assert.equal(reservations(host.root).sort(), [`198.19.7.10=${uids.a}`, `198.19.7.11=${uids.b}`, `198.19.7.12=${uids.c}`])
})

const services = () =>
  rulesTable(
    CIDR,
    `	set aff-web-a {
		type ipv4_addr
		flags timeout
		timeout 3h
	}
	set aff-remote {
		type ipv4_addr
		flags timeout
		timeout 3h
	}
	chain svc-web {
		#lb - sep-web-a@${uids.a} sep-web-b@${uids.b}
	}
	chain svc-sticky {
		#lb 10800 sep-web-a@${uids.a} sep-remote
	}
	chain svc-only-b {
		#lb - sep-web-b@${uids.b}
	}
	chain sep-web-a {
		meta l4proto tcp dnat to 198.19.7.10:8080
	}
	chain sep-web-b {
		meta l4proto tcp dnat to 198.19.7.11:8080
	}
	chain sep-remote {
		meta l4proto tcp dnat to 198.19.8.5:8080
	}
`,
    `		ip daddr 198.18.128.10 tcp dport 80 goto svc-web
		ip daddr 198.18.128.11 tcp dport 80 goto svc-sticky
		ip daddr 198.18.128.12 tcp dport 80 goto svc-only-b
`,
  )

async function waitTable(what: string, ok: (t: string) => boolean, ms = 5000): Promise<number> {
  const start = Date.now()
  while (Date.now() - start < ms) {
    if (ok(table())) return Date.now() - start
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${what}:\n${table()}`)
}

async function hits(n: number): Promise<Set<string>> {
  const seen = new Set<string>()
  const out = await sh(host, uids.c, 'c', `i=0; while [ $i -lt ${n} ]; do timeout 3 wget -q -O- http://198.18.128.10/ 2>&1; i=$((i+1)); done; true`)
  for (const l of out.split('\n')) if (l.trim()) seen.add(l.trim())
  return seen
}

test('a clusterIP balances over the ready local pods; a pod that fails its readiness probe leaves the rotation within a probe period', async () => {
  const files = base()
  files.set('rules.nft', services())
  for (const u of [uids.a, uids.b]) await host.waitPod(u, (p) => p.ready, `${u} ready`)
  await host.client.netApply('n2', files)
  const t = table()
  assert.ok(t.includes('numgen random mod 2 vmap { 0 : goto sep-web-a, 1 : goto sep-web-b }'), t)
  assert.match(t, 'ip saddr @aff-web-a goto sep-web-a')
  assert.match(t, 'ip saddr @aff-remote goto sep-remote')
  assert.match(t, 'numgen random mod 2 vmap { 0 : goto sep-web-a, 1 : goto sep-remote }')
  assert.not.match(t, '#lb')
  assert.equal([...(await hits(30))].sort(), ['web-a', 'web-b'], 'both endpoints answer the clusterIP')

  await sh(host, uids.b, 'web', 'rm /tmp/ready')
  const took = await waitTable('web-b to leave the rotation', (x) => x.includes('numgen random mod 1 vmap { 0 : goto sep-web-a }'))
  console.log(`  web-b left the rotation ${took} ms after its probe started failing (period 1 s)`)
  assert.ok(took < 2500, `within about one probe period (${took} ms)`)
  assert.match(table(), /chain svc-only-b \{\n\s+reject\n/)
  assert.equal([...(await hits(15))], ['web-a'])
  assert.is((await host.pod(uids.b))?.ready, false)

  await sh(host, uids.b, 'web', 'touch /tmp/ready')
  await waitTable('web-b to come back', (x) => x.includes('numgen random mod 2 vmap { 0 : goto sep-web-a, 1 : goto sep-web-b }'))
})

test('dnsmasq on the gateway answers the cluster domain from dns/hosts and re-reads it on change', async () => {
  const out = await sh(host, uids.c, 'c', `nslookup web.default.svc.cluster.local ${GW}`)
  assert.match(out, 'Address: 198.18.128.10')
  const nx = await host.client.exec(uids.c, 'c', ['nslookup', 'nothere.default.svc.cluster.local', GW])
  assert.match(nx.stdout.toString() + nx.stderr, 'NXDOMAIN')
  const files = base()
  files.set('rules.nft', services())
  files.set('dns/hosts', '198.18.128.10 web.default.svc.cluster.local\n198.18.128.11 sticky.default.svc.cluster.local\n')
  const pid = readFileSync(join(host.root, 'net', 'dnsmasq.pid'), 'utf8').trim()
  await host.client.netApply('n3', files)
  let got = ''
  for (let i = 0; i < 50 && !got.includes('198.18.128.11'); i++) {
    got = (await host.client.exec(uids.c, 'c', ['nslookup', 'sticky.default.svc.cluster.local', GW])).stdout.toString()
    if (!got.includes('198.18.128.11')) await sleep(100)
  }
  assert.match(got, 'Address: 198.18.128.11')
  assert.is(readFileSync(join(host.root, 'net', 'dnsmasq.pid'), 'utf8').trim(), pid, 'the same dnsmasq, no restart')
})

test('a changed rules.nft replaces the table exactly; deleting every Service leaves the ruleset as it was', async () => {
  await host.client.netApply('n4', base())
  const empty = host.ns(['nft', 'list', 'ruleset'])
  const files = base()
  files.set('rules.nft', services())
  await host.client.netApply('n5', files)
  // the same rendered file loaded into an empty namespace gives the same table: nothing of before is left
  makeNetns(SCRATCH, '198.18.3.1/24')
  try {
    inNs(SCRATCH, ['nft', '-f', join(host.root, 'net', 'rules.loaded')])
    assert.is(table(), inNs(SCRATCH, ['nft', 'list', 'table', 'ip', 'tsctl']))
  } finally {
    removeNetns(SCRATCH)
  }
  // another set of Services: svc-only-b and svc-sticky go
  const fewer = base()
  fewer.set('rules.nft', rulesTable(CIDR, `	chain svc-web {\n		#lb - sep-web-a@${uids.a}\n	}\n	chain sep-web-a {\n		meta l4proto tcp dnat to 198.19.7.10:8080\n	}\n`, '		ip daddr 198.18.128.10 tcp dport 80 goto svc-web\n'))
  await host.client.netApply('n6', fewer)
  assert.not.match(table(), 'svc-only-b')
  assert.not.match(table(), 'aff-remote')
  assert.equal([...(await hits(5))], ['web-a'])
  // a burst of refreshes (many pods changing at once) coalesces and changes nothing
  const burst = await Promise.all([1, 2, 3, 4, 5, 6].map(() => host.client.run(['net-refresh'])))
  assert.equal(burst.map((r) => r.code), [0, 0, 0, 0, 0, 0])
  assert.not.match(table(), 'svc-only-b')
  await host.client.netApply('n4', base())
  assert.is(host.ns(['nft', 'list', 'ruleset']), empty)
})

test('a hostPort (CNI portmap) reaches the pod, from the node and from a pod; remove takes the mapping away', async () => {
  const uid = await host.applyNet(server('hostport'), '198.19.7.13', [{hostPort: 30080, containerPort: 8080, protocol: 'tcp'}])
  await host.waitPod(uid, running, 'hostport pod running')
  let got = ''
  for (let i = 0; i < 50 && !got.includes('hostport'); i++) {
    try {
      got = host.ns(['busybox', 'timeout', '3', 'busybox', 'wget', '-q', '-O-', `http://${NODE}:30080/`])
    } catch {
      await sleep(100)
    }
  }
  assert.is(got.trim(), 'hostport', 'from the node')
  assert.is((await sh(host, uids.c, 'c', `timeout 3 wget -q -O- http://${NODE}:30080/`)).trim(), 'hostport', 'from a pod')
  assert.ok(existsSync(join(host.root, 'pods', uid, 'net', 'portmap.result')))
  await host.client.remove(uid, 0)
  assert.not.match(host.ns(['nft', 'list', 'ruleset']), '30080')
})

test('remove releases the IP and deletes the veth', async () => {
  const veths = () => host.ns(['ip', '-o', 'link', 'show', 'type', 'veth']).split('\n').filter((l) => / veth[0-9a-f]+@/.test(l)).length
  const n = veths()
  assert.is(n, 3, 'one veth per running pod')
  // web-b's veth takes the lowest MAC: a bridge whose MAC is not set would take it, then change on remove
  const peer = (await sh(host, uids.b, 'web', 'cat /sys/class/net/eth0/iflink')).trim()
  const veth = /^\d+: (veth[0-9a-f]+)@/m.exec(host.ns(['ip', '-o', 'link', 'show', 'type', 'veth']).split('\n').filter((l) => l.startsWith(`${peer}: `)).join('\n'))?.[1]
  assert.ok(veth, `web-b's host-side veth (ifindex ${peer})`)
  host.ns(['ip', 'link', 'set', 'dev', veth!, 'address', '02:00:00:00:00:01'])
  const mac = bridgeMac()
  assert.is.not(mac.mac, '02:00:00:00:00:01', 'the bridge did not take the lowest port MAC')
  await host.client.remove(uids.b, 0)
  assert.is(veths(), 2)
  assert.equal(bridgeMac(), mac, "the bridge's MAC stays when a port goes")
  assert.not.ok(reservations(host.root).some((r) => r.startsWith('198.19.7.11=')), 'no reservation for web-b')
  // the same IP again for a new pod: re-ADD works
  uids.b = await host.applyNet(server('web-b2'), '198.19.7.11')
  await host.waitPod(uids.b, running, 'web-b2 running')
  assert.match(await sh(host, uids.b, 'web', 'ip -o -4 addr show dev eth0'), 'inet 198.19.7.11/24')
  // a replacement under the same uid (new spec hash) releases and takes the IP again
  const again = server('web-b2')
  again.metadata.uid = uids.b
  await host.applyNet(again, '198.19.7.11', undefined, {specHash: 'other'})
  await host.waitPod(uids.b, (p) => p.specHash === 'other' && running(p), 'the replacement running')
  assert.equal(reservations(host.root).filter((r) => r.startsWith('198.19.7.11=')), [`198.19.7.11=${uids.b}`])
})

test('a failed CNI ADD: containers wait with NetworkNotReady, nothing stays configured', async () => {
  const veths = host.ns(['ip', '-o', 'link', 'show', 'type', 'veth'])
  const uid = await host.applyNet(pod('nonet', [{command: ['sleep', '3600']}]), '198.19.99.5', undefined, {testBackoffSeconds: 1})
  const st = await host.waitPod(uid, (p) => p.containers[0]?.reason === 'NetworkNotReady', 'NetworkNotReady')
  assert.is(st.containers[0].state, 'waiting')
  assert.is(st.podIP, undefined)
  assert.match(readFileSync(join(host.root, 'pods', uid, 'supervisor.log'), 'utf8'), 'CNI bridge ADD failed')
  assert.not.ok(reservations(host.root).some((r) => r.endsWith(`=${uid}`)))
  assert.is(host.ns(['ip', '-o', 'link', 'show', 'type', 'veth']), veths, 'no veth left')
  await host.client.remove(uid, 0)
})

test('gc releases a reservation whose pod is gone (an apply killed with -9)', async () => {
  const conf = readFileSync(join(host.root, 'net', 'files', 'cni', 'bridge.conf'), 'utf8').replaceAll('@ROOT@', host.root)
  const holder = spawn('nsenter', [`--net=/run/netns/${NS}`, '--', 'unshare', '--net', 'sleep', '60'], {stdio: 'ignore'})
  await sleep(200)
  try {
    execFileSync('nsenter', [`--net=/run/netns/${NS}`, '--', '/usr/lib/cni/bridge'], {
      input: conf,
      env: {...process.env, CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'ghost-1', CNI_NETNS: `/proc/${holder.pid}/ns/net`, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni', CNI_ARGS: 'IgnoreUnknown=1;IP=198.19.7.50'},
      stdio: ['pipe', 'ignore', 'pipe'],
    })
  } finally {
    holder.kill('SIGKILL')
  }
  assert.ok(reservations(host.root).includes('198.19.7.50=ghost-1'))
  await host.client.gc()
  assert.not.ok(reservations(host.root).some((r) => r.endsWith('=ghost-1')), 'released')
  assert.ok(reservations(host.root).includes(`198.19.7.10=${uids.a}`), 'a live pod keeps its IP')
})

test('two hosts: pod networks routed over host-gw, then over vxlan', async () => {
  execFileSync('ip', ['netns', 'add', NS2[0]])
  execFileSync('ip', ['netns', 'add', NS2[1]])
  execFileSync('ip', ['link', 'add', 'tsnt0', 'netns', NS2[0], 'type', 'veth', 'peer', 'name', 'tsnt1', 'netns', NS2[1]])
  const addr = ['198.18.1.1', '198.18.1.2']
  const cidr = ['198.19.20.0/24', '198.19.21.0/24']
  const gw = ['198.19.20.1', '198.19.21.1']
  const mac = ['0e:00:5e:00:00:01', '0e:00:5e:00:00:02']
  for (const i of [0, 1]) {
    inNs(NS2[i], ['ip', 'link', 'set', 'lo', 'up'])
    inNs(NS2[i], ['ip', 'addr', 'add', `${addr[i]}/24`, 'dev', `tsnt${i}`])
    inNs(NS2[i], ['ip', 'link', 'set', `tsnt${i}`, 'up'])
    hosts2.push(await netHost(NS2[i], addr[i]))
  }
  const ping = () => inNs(NS2[0], ['busybox', 'ping', '-c', '1', '-W', '2', '-I', gw[0], gw[1]])
  for (const i of [0, 1]) {
    const o = 1 - i
    await hosts2[i].client.netApply('gw', netFiles({podCIDR: cidr[i], gateway: gw[i], nodeIP: addr[i], routes: [`${cidr[o]} ${addr[o]}`], rules: rulesTable(cidr[i])}))
  }
  assert.match(ping(), '1 packets received', 'host-gw')
  for (const i of [0, 1]) {
    const o = 1 - i
    const vtep = cidr[o].split('/')[0]
    await hosts2[i].client.netApply('vx', netFiles({podCIDR: cidr[i], gateway: gw[i], nodeIP: addr[i], backend: 'vxlan', vxlan: {vni: 1, port: 8472, mac: mac[i]}, routes: [`${cidr[o]} ${vtep} ${mac[o]} ${addr[o]}`], rules: rulesTable(cidr[i])}))
  }
  const d = inNs(NS2[0], ['ip', '-d', 'link', 'show', 'dev', 'tsctl.1'])
  assert.match(d, `link/ether ${mac[0]}`)
  assert.match(d, `vxlan id 1 local ${addr[0]} dev tsnt0`.replace(' dev tsnt0', ''))
  assert.match(d, 'dstport 8472')
  assert.match(d, 'nolearning')
  assert.match(inNs(NS2[0], ['ip', '-o', '-4', 'addr', 'show', 'dev', 'tsctl.1']), 'inet 198.19.20.0/32')
  assert.equal(inNs(NS2[0], ['ip', '-4', 'route', 'show', 'proto', '77']).trim().split('\n').map((l) => l.trim()), ['198.18.128.0/17 dev tsctl0 scope link', '198.19.21.0/24 via 198.19.21.0 dev tsctl.1 onlink'])
  assert.match(inNs(NS2[0], ['ip', 'neigh', 'show', 'dev', 'tsctl.1']), `198.19.21.0 lladdr ${mac[1]} PERMANENT`)
  assert.match(inNs(NS2[0], ['bridge', 'fdb', 'show', 'dev', 'tsctl.1']), `${mac[1]} dst ${addr[1]} self permanent`)
  assert.match(ping(), '1 packets received', 'vxlan')
  // the packets really went through the tunnel: the device counted them
  assert.ok(Number(inNs(NS2[0], ['cat', '/proc/net/dev']).split('\n').find((l) => l.includes('tsctl.1:'))!.split(/\s+/).filter(Boolean)[2]) > 0)
  assert.is((await hosts2[0].client.observe(1)).netHash, 'vx')
})

uvuTest.run()
