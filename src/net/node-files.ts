/**
 * Every network file of one node (docs/networking.md "the node's network
 * files"), and their hash: what the planner compares with the `net HASH`
 * the host reports, and what `tsctl-runtime net-apply HASH` receives.
 */
import {contentHash} from '../reconcile/hash.js'
import {formatCidr, formatIp, gatewayOf, parseCidr} from './cidr.js'
import {bridgeConf, podMTU, portmapHead} from './cni-config.js'
import {BRIDGE, type NetworkConfig} from './config.js'
import {dnsHosts} from './dns-hosts.js'
import {nodeRoutes, vtepMAC} from './routes.js'
import {serviceRules} from './service-rules.js'
import type {NetEndpoints, NetNode, NetPod, NetService} from './types.js'

/** Re-exported for the planner (src/reconcile/network-plan.ts imports it from here). */
export type {NetNode} from './types.js'

/** The VXLAN network identifier of the pod network (flannel's default). */
export const VXLAN_VNI = 1
/** The VXLAN UDP port (flannel's and the Linux kernel's default, not IANA's 4789). */
export const VXLAN_PORT = 8472

/** Everything `nodeNetworkFiles` reads: the state's nodes and objects. */
export interface NodeNetworkInput {
  config: NetworkConfig
  /** the node the files are for; must have a pod CIDR */
  node: NetNode
  /** every node of the pod network (the node itself may be among them) */
  nodes: NetNode[]
  services: NetService[]
  endpoints: NetEndpoints[]
  pods: NetPod[]
}

/** The node's files by path (relative to the host's network directory) and the hash of them all. */
export interface NodeNetworkFiles {
  files: Map<string, string>
  /** 16 lowercase hex digits over every path and content */
  hash: string
}

function params(config: NetworkConfig, node: NetNode): string {
  const cidr = parseCidr(node.podCIDR)!
  const kv: Array<[string, string | number | undefined]> = [
    ['bridge', BRIDGE],
    ['podCIDR', formatCidr(cidr)],
    ['gateway', formatIp(gatewayOf(cidr))],
    ['clusterCIDR', formatCidr(config.pods)],
    ['serviceCIDR', formatCidr(config.services)],
    ['backend', config.backend],
    ['nodeIP', node.address],
    ['mtu', podMTU(config)],
    ['clusterDomain', config.clusterDomain],
    ['vxlanVNI', VXLAN_VNI],
    ['vxlanPort', VXLAN_PORT],
    ['vtepMAC', vtepMAC(node.name)],
  ]
  return kv.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k} ${v}`).join('\n') + '\n'
}

/**
 * The files of `node`: `params` (`key value` lines; `nodeIP` left out while
 * the node's address is unknown; `mtu` the pod network's, which the host
 * gives the bridge and the vxlan device), `cni/bridge.conf`, `cni/portmap.head`,
 * `routes`, `rules.nft`, `dns/hosts`. Pure and deterministic: the same
 * state gives the same bytes and hash, so an unchanged network plans
 * nothing. Throws when the node has no valid pod CIDR (the caller only
 * passes nodes that have one).
 */
export function nodeNetworkFiles(input: NodeNetworkInput): NodeNetworkFiles {
  const {config, node} = input
  if (!parseCidr(node.podCIDR)) throw new Error(`nodeNetworkFiles: node ${node.name} has no valid pod CIDR (${JSON.stringify(node.podCIDR)})`)
  const files = new Map<string, string>([
    ['params', params(config, node)],
    ['cni/bridge.conf', bridgeConf(config, node.podCIDR)],
    ['cni/portmap.head', portmapHead()],
    ['routes', nodeRoutes(config, node.name, input.nodes)],
    ['rules.nft', serviceRules({config, node, services: input.services, endpoints: input.endpoints})],
    ['dns/hosts', dnsHosts(config, input.services, input.endpoints, input.pods)],
  ])
  return {files, hash: contentHash([...files.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)))}
}
