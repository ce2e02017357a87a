/**
 * `routes`: how a node reaches every other node's pods, for the two
 * backends flannel offers. host-gw: a plain route to the pod CIDR via the
 * node's address (nodes on one L2 segment). vxlan: flannel's scheme, each
 * node's VTEP holding the network address of its pod CIDR, so the host
 * adds `CIDR via VTEPIP dev VXLAN onlink`, a neighbour entry VTEPIP →
 * VTEPMAC and a forwarding entry VTEPMAC → NODEIP.
 */
import {sha256Hex} from '../reconcile/hash.js'
import {formatCidr, formatIp, parseCidr, parseIp, type Cidr} from './cidr.js'
import type {NetworkConfig} from './config.js'
import type {NetNode} from './types.js'

/**
 * The node's VTEP MAC address: 6 bytes of a hash of its name, made
 * unicast and locally administered (`x2:…`), so every node computes every
 * other node's without asking it (flannel reads it from the Node's annotations).
 */
export function vtepMAC(nodeName: string): string {
  const b = Buffer.from(sha256Hex(`tsctl-vtep\0${nodeName}`).slice(0, 12), 'hex')
  b[0] = (b[0] & 0xfe) | 0x02
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':')
}

/** A node's VTEP address with vxlan: the network address of its pod CIDR (`10.244.1.0`), as flannel sets it. */
export function vtepIP(podCIDR: Cidr): string {
  return formatIp(podCIDR.base)
}

interface Peer {
  name: string
  cidr: Cidr
  address: string
}

function peersOf(self: string, nodes: NetNode[]): Peer[] {
  const out: Peer[] = []
  for (const n of nodes) {
    if (n.name === self || !n.address || parseIp(n.address) === undefined) continue
    const cidr = parseCidr(n.podCIDR)
    if (cidr) out.push({name: n.name, cidr, address: n.address})
  }
  return out.sort((a, b) => a.cidr.base - b.cidr.base || (a.name < b.name ? -1 : 1))
}

/**
 * The `routes` file of node `self`: one line per other node that has both
 * a pod CIDR and an address, sorted by CIDR. host-gw: `CIDR VIA`; vxlan:
 * `CIDR VTEPIP VTEPMAC NODEIP`. Empty when there is no other node.
 */
export function nodeRoutes(config: NetworkConfig, self: string, nodes: NetNode[]): string {
  const lines = peersOf(self, nodes).map((p) =>
    config.backend === 'vxlan'
      ? `${formatCidr(p.cidr)} ${vtepIP(p.cidr)} ${vtepMAC(p.name)} ${p.address}`
      : `${formatCidr(p.cidr)} ${p.address}`,
  )
  return lines.length ? lines.join('\n') + '\n' : ''
}
