/**
 * The pod network in the plan (docs/networking.md): for every reachable
 * node with a pod CIDR, the files its host should have (bridge and IPAM
 * config, routes to the other nodes, service rules, names), and an action
 * when the host reports another hash — a changed Service or endpoint, a node
 * that joined, or a host that lost its rules (a reboot). Nothing without
 * `network:`.
 */
import {nodeNetworkFiles, type NetNode} from '../net/node-files.js'
import type {Ctx} from './context.js'
import type {Action} from './plan.js'

export function networkActions(ctx: Ctx): Action[] {
  const net = ctx.desired.network
  if (!net) return []
  const nodes: NetNode[] = Object.values(ctx.state.nodes)
    .filter((r) => r.podCIDR)
    .map((r) => ({name: r.name, podCIDR: r.podCIDR!, ...(r.address ? {address: r.address} : {})}))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
  if (nodes.length === 0) return []
  const services = ctx.list('Service')
  const endpoints = ctx.list('Endpoints')
  const pods = ctx.pods()
  const out: Action[] = []
  for (const node of nodes) {
    const obs = ctx.observed.nodes[node.name]
    if (!obs?.reachable) continue
    const {files, hash} = nodeNetworkFiles({config: net, node, nodes, services, endpoints, pods})
    if (obs.netHash === hash) continue
    const svcCount = services.filter((s) => (s.spec as {clusterIP?: string} | undefined)?.clusterIP && (s.spec as {clusterIP?: string}).clusterIP !== 'None').length
    out.push({
      type: 'network',
      node: node.name,
      target: `Node/${node.name}`,
      hash,
      files: Object.fromEntries([...files.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
      reason: obs.netHash
        ? `network of ${node.name} changed (${obs.netHash.slice(0, 8)} → ${hash.slice(0, 8)}): ${svcCount} service(s), routes to ${nodes.length - 1} node(s)`
        : `set up the pod network on ${node.name} (${node.podCIDR}): ${svcCount} service(s), routes to ${nodes.length - 1} node(s)`,
    })
  }
  return out
}
