/**
 * The CNI configs the host runs for each pod (containernetworking/plugins):
 * `bridge` with `host-local` IPAM, then `portmap` for hostPorts, as a
 * kubelet's runtime (containerd's CRI) chains them.
 */
import {formatCidr, formatIp, gatewayOf, parseCidr, type Cidr} from './cidr.js'
import {BRIDGE, CNI_NETWORK, type NetworkConfig} from './config.js'
import type {NetPod} from './types.js'

/** The CNI spec version of every config tsctl writes. */
export const CNI_VERSION = '1.0.0'

/** Replaced by the host with its tsctl root directory. */
export const ROOT_PLACEHOLDER = '@ROOT@'

/** The link MTU assumed on every node. */
export const LINK_MTU = 1500
/** VXLAN's encapsulation: outer IPv4, UDP, VXLAN and Ethernet headers (flannel subtracts the same). */
export const VXLAN_OVERHEAD = 50

/** The pod network's MTU: the pods' veths, the bridge and (vxlan) the tunnel device. */
export function podMTU(config: NetworkConfig): number {
  return config.backend === 'vxlan' ? LINK_MTU - VXLAN_OVERHEAD : LINK_MTU
}

/**
 * `cni/bridge.conf`: every pod's veth on bridge BRIDGE, the bridge the
 * pods' gateway (`.1` of the node's pod CIDR), addresses from host-local
 * (the host asks it for the IP reconcile chose), the MTU of `podMTU`
 * (1450 under vxlan, so encapsulated packets fit a 1500 link). No `ipMasq`: the node's
 * `rules.nft` masquerades what leaves the pod network, once, for all pods.
 * Throws on a malformed `podCIDR` (the caller passes the state's, validated).
 */
export function bridgeConf(config: NetworkConfig, podCIDR: string | Cidr): string {
  const cidr = typeof podCIDR === 'string' ? parseCidr(podCIDR) : podCIDR
  if (!cidr) throw new Error(`bridgeConf: not a CIDR: ${String(podCIDR)}`)
  const conf = {
    cniVersion: CNI_VERSION,
    name: CNI_NETWORK,
    type: 'bridge',
    bridge: BRIDGE,
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    mtu: podMTU(config),
    ipam: {
      type: 'host-local',
      ranges: [[{subnet: formatCidr(cidr), gateway: formatIp(gatewayOf(cidr))}]],
      routes: [{dst: '0.0.0.0/0'}],
      dataDir: `${ROOT_PLACEHOLDER}/net/ipam`,
    },
  }
  return JSON.stringify(conf, null, 2) + '\n'
}

/**
 * `cni/portmap.head`: the portmap plugin's config without its closing
 * brace; the host appends `,"runtimeConfig":{"portMappings":…},"prevResult":…}`.
 * `snat: true` (the plugin's default, spelled out) masquerades hairpin and
 * localhost connections to a hostPort, as on a kubelet node.
 */
export function portmapHead(): string {
  return `{"cniVersion":"${CNI_VERSION}","name":"${CNI_NETWORK}","type":"portmap","capabilities":{"portMappings":true},"snat":true`
}

/** One entry of the portmap plugin's `runtimeConfig.portMappings` (CNI CONVENTIONS.md). */
export interface PortMapping {
  hostPort: number
  containerPort: number
  protocol: string
  hostIP?: string
}

/**
 * `meta/net/portmappings`: the JSON array of the pod's hostPort mappings
 * (containers' ports with `hostPort > 0`, as containerd passes the kubelet's
 * to CNI: protocol lower-cased, `hostIP` only when set); undefined when there
 * is none or the pod uses the host's network (no CNI call at all).
 */
export function portMappings(pod: NetPod): string | undefined {
  if (pod.spec?.hostNetwork) return undefined
  const out: PortMapping[] = []
  const seen = new Set<string>()
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue
      const protocol = (p.protocol ?? 'TCP').toLowerCase()
      const key = `${p.hostIP ?? ''}/${protocol}/${p.hostPort}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({hostPort: p.hostPort, containerPort: p.containerPort, protocol, ...(p.hostIP ? {hostIP: p.hostIP} : {})})
    }
  }
  return out.length ? JSON.stringify(out) : undefined
}
