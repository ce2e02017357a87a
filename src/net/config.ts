/**
 * `network:` in tsctl.yaml, resolved (docs/networking.md). Present = the pod
 * network is on; every field has Kubernetes' default.
 */
import type {Cidr} from './cidr.js'

export type NetworkBackend = 'host-gw' | 'vxlan'

export interface NetworkConfig {
  /** cluster pod range (kube-controller-manager --cluster-cidr) */
  pods: Cidr
  /** each node's pod CIDR prefix length (--node-cidr-mask-size) */
  nodeMask: number
  /** service range (kube-apiserver --service-cluster-ip-range) */
  services: Cidr
  /** --service-node-port-range, inclusive */
  nodePorts: {min: number; max: number}
  backend: NetworkBackend
  clusterDomain: string
}

export const networkDefaults = {
  pods: '10.244.0.0/16',
  nodeMask: 24,
  services: '10.96.0.0/12',
  nodePorts: '30000-32767',
  backend: 'host-gw' as NetworkBackend,
  clusterDomain: 'cluster.local',
}

/** The bridge every pod's veth is attached to on a host. */
export const BRIDGE = 'tsctl0'
/** The CNI network name (host-local keeps its reservations under it). */
export const CNI_NETWORK = 'tsctl'
/** The nftables table the runtime replaces as a whole. */
export const NFT_TABLE = 'tsctl'
