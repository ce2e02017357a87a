/**
 * `rules.nft`: the whole `table ip tsctl` of one node, in the shape of
 * kube-proxy's nftables mode (pkg/proxy/nftables/proxier.go): verdict maps
 * from address, protocol and port to a chain per Service port (`svc-…`), a
 * chain per endpoint (`sep-…`: hairpin masquerade mark, affinity update,
 * DNAT), a masquerade mark applied in postrouting, and filter chains that
 * reject what no endpoint took. Plus the pod network's own egress
 * masquerade (what flannel's `ipMasq` does). The load-balancing rule of each
 * Service chain is left as a `#lb` line for the host (docs/networking.md).
 */
import {formatCidr} from './cidr.js'
import type {NetworkConfig} from './config.js'
import {NFT_TABLE} from './config.js'
import {servicePortRules, type EndpointTarget, type ServicePortRules} from './service-ports.js'
import type {NetEndpoints, NetNode, NetService} from './types.js'

/** The packet mark bit meaning "masquerade me in postrouting" (kube-proxy's 0x4000). */
export const MASQUERADE_MARK = '0x4000'

/** Everything `serviceRules` reads. */
export interface ServiceRulesInput {
  config: NetworkConfig
  /** the node the rules are for: its name decides which endpoints are local */
  node: NetNode
  /** the Services as the state holds them (clusterIP and nodePorts allocated) */
  services: NetService[]
  /** the Endpoints objects of the state */
  endpoints: NetEndpoints[]
}

/** `#lb AFFINITY SEP[@UID] …`: the placeholder the host replaces with the load-balancing rule. */
export function lbLine(affinity: number | undefined, targets: EndpointTarget[]): string {
  return ['#lb', affinity === undefined ? '-' : String(affinity), ...targets.map((t) => t.token)].join(' ')
}

function block(head: string, lines: string[]): string[] {
  return [`\t${head} {`, ...lines.map((l) => `\t\t${l}`), '\t}']
}

function elements(items: string[]): string[] {
  if (!items.length) return []
  return ['elements = {', ...items.map((e, i) => `\t${e}${i < items.length - 1 ? ',' : ''}`), '}']
}

// A key given twice would fail the whole `nft -f` (and leave the old table):
// the allocators never do it; should the state hold a clash anyway, the
// first Service in name order keeps the address.
function firstPerKey(pairs: Array<[string, string]>): string[] {
  const seen = new Map<string, string>()
  for (const [k, chain] of pairs) if (!seen.has(k)) seen.set(k, chain)
  return [...seen.entries()].map(([k, chain]) => `${k} : goto ${chain}`)
}

function endpointChain(sp: ServicePortRules, t: EndpointTarget): string[] {
  return block(`chain ${t.chain}`, [
    `# ${sp.label} ${t.ip}:${t.port}`,
    `ip saddr ${t.ip} jump mark-for-masquerade`,
    ...(sp.affinity !== undefined ? [`update @${t.affinitySet} { ip saddr }`] : []),
    `meta l4proto ${sp.protocol} dnat to ${t.ip}:${t.port}`,
  ])
}

function serviceChain(sp: ServicePortRules, pods: string): string[] {
  return block(`chain ${sp.chain}`, [
    `# ${sp.label} ${sp.clusterIP}:${sp.port}/${sp.protocol}`,
    `ip daddr ${sp.clusterIP} ip saddr != ${pods} jump mark-for-masquerade`,
    lbLine(sp.affinity, sp.cluster),
  ])
}

// kube-proxy's external chain: Cluster masquerades and joins the cluster IP's
// rotation; Local keeps the client's address and picks only this node's pods,
// except for pods and the node itself, which take the cluster-wide path.
function externalChain(sp: ServicePortRules, pods: string): string[] {
  const lines = sp.externalLocal
    ? [
        `ip saddr ${pods} goto ${sp.chain}`,
        `fib saddr type local jump mark-for-masquerade`,
        `fib saddr type local goto ${sp.chain}`,
        lbLine(sp.affinity, sp.local),
      ]
    : [`jump mark-for-masquerade`, `goto ${sp.chain}`]
  return block(`chain ${sp.externalChain}`, [`# ${sp.label} node port ${sp.nodePort}/${sp.protocol}`, ...lines])
}

/**
 * The nftables script for one node: `add table`, `delete table`, then the
 * table, so that `nft -f` replaces it in one transaction and a Service gone
 * from the state leaves no rule. Pure and deterministic (same input, same
 * bytes). A Service port gets chains only when it has a candidate endpoint;
 * traffic to a cluster IP with none, to an unknown port of the service
 * range, or to a node port no endpoint took is rejected by the filter chains.
 */
export function serviceRules(input: ServiceRulesInput): string {
  const {config} = input
  const pods = formatCidr(config.pods)
  const services = formatCidr(config.services)
  const ports = servicePortRules(input.node.name, input.services, input.endpoints)
  const served = ports.filter((sp) => sp.cluster.length > 0)

  const nodePorts = [...new Set(ports.filter((sp) => sp.nodePort).map((sp) => `${sp.protocol} . ${sp.nodePort}`))].sort()
  const out: string[] = [`add table ip ${NFT_TABLE}`, `delete table ip ${NFT_TABLE}`, `table ip ${NFT_TABLE} {`]

  out.push(...block('set node-ports', ['type inet_proto . inet_service', ...elements(nodePorts)]))
  for (const sp of served) {
    if (sp.affinity === undefined) continue
    for (const t of sp.endpoints) out.push(...block(`set ${t.affinitySet}`, ['type ipv4_addr', 'flags dynamic,timeout', `timeout ${sp.affinity}s`]))
  }

  out.push(
    ...block('chain mark-for-masquerade', [`meta mark set meta mark | ${MASQUERADE_MARK}`]),
    ...block('chain masquerading', [
      `meta mark & ${MASQUERADE_MARK} == 0 return`,
      `meta mark set meta mark ^ ${MASQUERADE_MARK}`,
      'masquerade fully-random',
    ]),
    // pods reach each other and the services unmasqueraded; only traffic
    // leaving the pod network takes the node's address
    ...block('chain pod-egress', [
      `ip saddr != ${pods} return`,
      `ip daddr ${pods} return`,
      'ip daddr 224.0.0.0/4 return',
      'masquerade fully-random',
    ]),
  )

  for (const sp of served) {
    for (const t of sp.endpoints) out.push(...endpointChain(sp, t))
    out.push(...serviceChain(sp, pods))
    if (sp.nodePort) out.push(...externalChain(sp, pods))
  }

  const serviceIps = firstPerKey(served.map((sp) => [`${sp.clusterIP} . ${sp.protocol} . ${sp.port}`, sp.chain]))
  const serviceNodePorts = firstPerKey(served.filter((sp) => sp.nodePort).map((sp) => [`${sp.protocol} . ${sp.nodePort}`, sp.externalChain]))
  out.push(
    ...block('map service-ips', ['type ipv4_addr . inet_proto . inet_service : verdict', ...elements(serviceIps)]),
    ...block('map service-nodeports', ['type inet_proto . inet_service : verdict', ...elements(serviceNodePorts)]),
    ...block('chain services', [
      'ip daddr . meta l4proto . th dport vmap @service-ips',
      'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
    ]),
    // after DNAT nothing new is still addressed to the service range: what is
    // had no endpoint, or asked for a port or an address no Service has
    ...block('chain service-check', [`ip daddr ${services} reject`]),
    // a node port that was not DNATed had no endpoint (here, with Local)
    ...block('chain nodeport-check', ['ct status & dnat == 0 ip daddr != 127.0.0.0/8 meta l4proto . th dport @node-ports reject']),
    ...block('chain nat-prerouting', ['type nat hook prerouting priority dstnat; policy accept;', 'jump services']),
    ...block('chain nat-output', ['type nat hook output priority -100; policy accept;', 'jump services']),
    ...block('chain nat-postrouting', ['type nat hook postrouting priority srcnat; policy accept;', 'jump masquerading', 'jump pod-egress']),
    ...block('chain filter-input', ['type filter hook input priority filter; policy accept;', 'ct state new jump nodeport-check']),
    ...block('chain filter-forward', ['type filter hook forward priority filter; policy accept;', 'ct state new jump service-check']),
    ...block('chain filter-output', ['type filter hook output priority filter; policy accept;', 'ct state new jump service-check']),
    '}',
  )
  return out.join('\n') + '\n'
}
