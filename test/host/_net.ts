// Fixtures for the pod network tests: a runtime whose host is a network
// namespace of its own (the root namespace's network is never touched),
// hand-written network files, and a cleanup that removes the namespace,
// dnsmasq and everything of the root.
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import type {KubeObject} from '../../src/manifests/object.js'
import type {ObservedPod} from '../../src/reconcile/observed.js'
import {bundleTar} from '../../src/host/bundle/bundle-tar.js'
import {buildPodBundle, type BundleInputs} from '../../src/host/bundle/pod-bundle.js'
import {RuntimeClient} from '../../src/host/runtime-client.js'
import {LocalTransport} from '../../src/transport/local.js'
import type {RunOptions, RunResult, Transport} from '../../src/transport/transport.js'
import {layer, leftovers, sleep, type TestHost} from './_host.js'

/** Why these tests cannot run here, or undefined. */
export function netSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, nftables, CNI)'
  const need: [string, string][] = [
    ['command -v ip', 'iproute2'],
    ['command -v nft', 'nftables'],
    ['command -v dnsmasq', 'dnsmasq-base'],
    ['command -v iptables', 'iptables'],
    ['command -v nsenter', 'util-linux'],
    ['test -x /usr/lib/cni/bridge && test -x /usr/lib/cni/host-local && test -x /usr/lib/cni/portmap', 'containernetworking-plugins'],
  ]
  for (const [check, pkg] of need) if (spawnSync('sh', ['-c', check]).status !== 0) return `missing ${pkg} (apt-get install ${pkg})`
  return undefined
}

/** Runs every command inside network namespace NS (nsenter --net: /sys and the cgroup mounts stay as they are). */
export class NetnsTransport implements Transport {
  private readonly inner: LocalTransport
  constructor(readonly netns: string, readonly node = netns, env: NodeJS.ProcessEnv = process.env) {
    this.inner = new LocalTransport(node, env)
  }
  exec(argv: string[], opts?: RunOptions): Promise<RunResult> {
    return this.inner.exec(['nsenter', `--net=/run/netns/${this.netns}`, '--', ...argv], opts)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}

/** Runs argv in network namespace NS; returns stdout (throws on a non-zero exit). */
export function inNs(ns: string, argv: string[], input?: string): string {
  return execFileSync('nsenter', [`--net=/run/netns/${ns}`, '--', ...argv], {encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe']})
}

/** A network namespace with lo up and an "uplink" device holding ADDR (the node's address). */
export function makeNetns(name: string, addr: string): void {
  execFileSync('ip', ['netns', 'add', name])
  inNs(name, ['ip', 'link', 'set', 'lo', 'up'])
  // no dummy driver in this kernel: a veth pair whose both ends stay inside
  inNs(name, ['ip', 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink-peer'])
  inNs(name, ['ip', 'addr', 'add', addr, 'dev', 'uplink'])
  inNs(name, ['ip', 'link', 'set', 'uplink-peer', 'up'])
  inNs(name, ['ip', 'link', 'set', 'uplink', 'up'])
}

export interface NetHost extends TestHost {
  netns: string
  /** applies a pod with meta/net/ip (and meta/net/portmappings when given) */
  applyNet(pod: KubeObject, ip: string | undefined, portMappings?: unknown[], extra?: Partial<BundleInputs>): Promise<string>
  /** runs argv in the host's namespace */
  ns(argv: string[]): string
}

/**
 * A runtime host in namespace NETNS (made by the caller), with its own root
 * and the busybox layer. SSH_CONNECTION is set as sshd would, so status
 * reports `addr`.
 */
export async function netHost(netns: string, serverAddr: string): Promise<NetHost> {
  const root = mkdtempSync('/tmp/tsctl-rt-')
  const env = {...process.env, SSH_CONNECTION: `198.18.0.250 50000 ${serverAddr} 22`}
  const client = new RuntimeClient(new NetnsTransport(netns, netns, env), {root})
  let cgroupParent: string
  try {
    await client.addLayer(layer().digest, layer().tar)
    cgroupParent = (await client.info()).cgroup_parent
  } catch (e) {
    rmSync(root, {recursive: true, force: true})
    throw e
  }
  const hash = (p: KubeObject) => 'h' + createHash('sha256').update(JSON.stringify(p)).digest('hex').slice(0, 12)
  const host: NetHost = {
    root,
    client,
    cgroupParent,
    netns,
    ns: (argv) => inNs(netns, argv),
    async apply(pod, extra = {}) {
      return host.applyNet(pod, undefined, undefined, extra)
    },
    async applyNet(pod, ip, portMappings, extra = {}) {
      const tree = buildPodBundle({pod, specHash: extra.specHash ?? hash(pod), image: () => ({layers: [layer().digest]}), ...extra})
      if (ip) tree.set('meta/net/ip', Buffer.from(`${ip}\n`))
      if (portMappings) tree.set('meta/net/portmappings', Buffer.from(JSON.stringify(portMappings)))
      await client.apply(pod.metadata.uid!, await bundleTar(tree))
      return pod.metadata.uid!
    },
    async pod(uid) {
      return (await client.status()).find((p) => p.uid === uid)
    },
    async waitPod(uid, ok, what, timeoutMs = 30000) {
      const end = Date.now() + timeoutMs
      let last: ObservedPod | undefined
      while (Date.now() < end) {
        last = await host.pod(uid)
        if (last && ok(last)) return last
        await sleep(100)
      }
      throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last)}`)
    },
    async cleanup() {
      try {
        for (const p of await client.status()) await client.remove(p.uid, 0)
        // first: gc removes dnsmasq's cgroup only once it is gone
        stopDnsmasq(root)
        await client.gc()
      } catch (e) {
        console.error('cleanup:', e)
      }
      stopDnsmasq(root)
      let left = leftovers(root, cgroupParent)
      // a killed dnsmasq can take a moment to leave its cgroup on a loaded machine: gc again, bounded
      for (let i = 0; i < 10 && left.some((l) => l.startsWith('cgroup:')); i++) {
        await sleep(200)
        await client.gc().catch(() => {})
        left = leftovers(root, cgroupParent)
      }
      const ipam = reservations(root)
      if (ipam.length) left.push(`ipam reservations: ${ipam.join(' ')}`)
      rmSync(root, {recursive: true, force: true})
      await client.transport.close()
      return left
    },
  }
  return host
}

/** Kills the host's dnsmasq (the runtime leaves it running: it is the node's resolver). */
export function stopDnsmasq(root: string): void {
  const pidFile = join(root, 'net', 'dnsmasq.pid')
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  if (!(pid > 1)) return
  const mine = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root)
    } catch {
      return false
    }
  }
  if (!mine()) return
  process.kill(pid, 'SIGKILL')
  const tick = new Int32Array(new SharedArrayBuffer(4))
  for (let i = 0; i < 200 && mine(); i++) Atomics.wait(tick, 0, 0, 10)
}

/** Removes a namespace: every process still in it is killed first. */
export function removeNetns(name: string): void {
  if (!existsSync(`/run/netns/${name}`)) return
  const pids = spawnSync('ip', ['netns', 'pids', name], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean)
  for (const p of pids) {
    try {
      process.kill(Number(p), 'SIGKILL')
    } catch {
      // gone
    }
  }
  spawnSync('ip', ['netns', 'del', name])
}

/** host-local's reservations under ROOT/net/ipam: "IP=CONTAINERID". */
export function reservations(root: string): string[] {
  const out: string[] = []
  const dir = join(root, 'net', 'ipam')
  if (!existsSync(dir)) return out
  for (const net of readdirSync(dir)) {
    for (const f of readdirSync(join(dir, net))) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(f)) continue
      out.push(`${f}=${readFileSync(join(dir, net, f), 'utf8').split(/\r?\n/)[0]}`)
    }
  }
  return out
}

export interface NetFiles {
  podCIDR: string
  gateway: string
  backend?: 'host-gw' | 'vxlan'
  nodeIP?: string
  routes?: string[]
  rules: string
  hosts?: string
  vxlan?: {vni: number; port: number; mac: string}
}

/** The six network files, hand-written (the pure generator lives in src/net/). */
export function netFiles(f: NetFiles): Map<string, string> {
  const params = [
    'bridge tsctl0',
    `podCIDR ${f.podCIDR}`,
    `gateway ${f.gateway}`,
    'clusterCIDR 198.19.0.0/16',
    'serviceCIDR 198.18.128.0/17',
    `backend ${f.backend ?? 'host-gw'}`,
    ...(f.nodeIP ? [`nodeIP ${f.nodeIP}`] : []),
    'mtu 1450',
    'clusterDomain cluster.local',
    ...(f.vxlan ? [`vxlanVNI ${f.vxlan.vni}`, `vxlanPort ${f.vxlan.port}`, `vtepMAC ${f.vxlan.mac}`] : []),
  ]
  const bridge = {
    cniVersion: '1.0.0',
    name: 'tsctl',
    type: 'bridge',
    bridge: 'tsctl0',
    isGateway: true,
    hairpinMode: true,
    mtu: 1450,
    ipam: {type: 'host-local', ranges: [[{subnet: f.podCIDR, gateway: f.gateway}]], routes: [{dst: '0.0.0.0/0'}], dataDir: '@ROOT@/net/ipam'},
  }
  return new Map([
    ['params', params.join('\n') + '\n'],
    ['cni/bridge.conf', JSON.stringify(bridge)],
    ['cni/portmap.head', '{"cniVersion":"1.0.0","name":"tsctl","type":"portmap","capabilities":{"portMappings":true},"snat":true'],
    ['routes', (f.routes ?? []).map((r) => r + '\n').join('')],
    ['rules.nft', f.rules],
    ['dns/hosts', f.hosts ?? ''],
  ])
}

/** A whole `table ip tsctl`: NAT hooks, masquerade for traffic leaving the cluster, and SERVICES' chains. */
export function rulesTable(podCIDR: string, services = '', dispatch = ''): string {
  return `table ip tsctl {
${services}	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}
	chain output {
		type nat hook output priority -100; policy accept;
		jump services
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr ${podCIDR} ip daddr != 198.19.0.0/16 masquerade
	}
	chain services {
${dispatch}	}
}
`
}
