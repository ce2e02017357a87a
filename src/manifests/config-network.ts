/**
 * `network:` in tsctl.yaml: the pod network and Services (docs/networking.md).
 *
 *     network:
 *       pods: 10.244.0.0/16      # cluster pod range; each node gets a /nodeMask of it
 *       nodeMask: 24
 *       services: 10.96.0.0/12   # cluster IPs
 *       nodePorts: 30000-32767
 *       backend: host-gw         # or vxlan
 *       clusterDomain: cluster.local
 *
 * Present (even as `network: {}`) = the pod network is on.
 */
import {formatCidr, overlaps, parseCidr} from '../net/cidr.js'
import {networkDefaults, type NetworkBackend, type NetworkConfig} from '../net/config.js'

const FIELDS = ['pods', 'nodeMask', 'services', 'nodePorts', 'backend', 'clusterDomain']
const DOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** Parses `network:`; undefined when absent (pod network off) or invalid (ERR was called). */
export function parseNetwork(v: unknown, err: (pointer: string, message: string, hint?: string) => void): NetworkConfig | undefined {
  if (v === undefined) return undefined
  const example = 'e.g. `network: {pods: 10.244.0.0/16, services: 10.96.0.0/12}` (or `network: {}` for these defaults)'
  if (v !== null && (typeof v !== 'object' || Array.isArray(v))) {
    err('/network', 'network must be a mapping', example)
    return undefined
  }
  const o = (v ?? {}) as Record<string, unknown>
  let ok = true
  const bad = (field: string, message: string, hint?: string) => {
    ok = false
    err(`/network/${field}`, message, hint)
  }
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) bad(k, `unknown field "${k}" in network`, `network has ${FIELDS.join(', ')}`)
  const cidr = (field: 'pods' | 'services') => {
    const raw = o[field] ?? networkDefaults[field]
    const c = typeof raw === 'string' ? parseCidr(raw) : undefined
    if (!c) bad(field, `network.${field} must be an IPv4 CIDR without host bits, not ${JSON.stringify(raw)}`, `e.g. ${networkDefaults[field]}`)
    return c
  }
  const pods = cidr('pods')
  const services = cidr('services')
  if (pods && services && overlaps(pods, services)) bad('services', `network.services ${formatCidr(services)} overlaps network.pods ${formatCidr(pods)}`, 'pick two ranges that do not overlap')
  const nodeMask = o.nodeMask ?? networkDefaults.nodeMask
  if (typeof nodeMask !== 'number' || !Number.isInteger(nodeMask) || nodeMask > 30 || (pods && nodeMask < pods.bits)) {
    bad('nodeMask', `network.nodeMask must be an integer from ${pods?.bits ?? 8} (the pods range's) to 30, not ${JSON.stringify(nodeMask)}`, 'each node gets a /nodeMask block of network.pods, e.g. 24')
  }
  const np = String(o.nodePorts ?? networkDefaults.nodePorts)
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(np)
  const nodePorts = m ? {min: Number(m[1]), max: Number(m[2])} : undefined
  if (!nodePorts || nodePorts.min < 1 || nodePorts.max > 65535 || nodePorts.min > nodePorts.max) bad('nodePorts', `network.nodePorts must be a port range MIN-MAX, not ${JSON.stringify(o.nodePorts)}`, `e.g. ${networkDefaults.nodePorts}`)
  const backend = (o.backend ?? networkDefaults.backend) as NetworkBackend
  if (backend !== 'host-gw' && backend !== 'vxlan') bad('backend', `network.backend must be host-gw or vxlan, not ${JSON.stringify(o.backend)}`, 'host-gw routes to each node over a shared link; vxlan tunnels when nodes do not share one')
  const clusterDomain = o.clusterDomain ?? networkDefaults.clusterDomain
  if (typeof clusterDomain !== 'string' || !DOMAIN.test(clusterDomain)) bad('clusterDomain', `network.clusterDomain must be a DNS domain, not ${JSON.stringify(clusterDomain)}`, 'e.g. cluster.local')
  if (!ok || !pods || !services || !nodePorts) return undefined
  return {pods, nodeMask: nodeMask as number, services, nodePorts, backend, clusterDomain: clusterDomain as string}
}
