/**
 * What `network:` makes checkable across a commit's objects, as the
 * apiserver refuses it: a cluster IP outside the service range or given to
 * two Services ("provided IP is already allocated"), a node port outside the
 * range or used twice, a Node `spec.podCIDR` that is not a block of the pod
 * range or is shared. Runs only with the pod network on.
 */
import type {Diagnostic} from '../errors.js'
import {contains, formatCidr, nth, parseCidr, parseIp, size} from '../net/cidr.js'
import type {NetworkConfig} from '../net/config.js'
import type {DesiredObject} from './desired.js'
import {keyOf} from './object.js'

interface SvcLike {
  spec?: {type?: string; clusterIP?: string; ports?: {nodePort?: number; protocol?: string}[]}
}

export function validateNetwork(objects: readonly DesiredObject[], net: NetworkConfig): Diagnostic[] {
  const out: Diagnostic[] = []
  const at = (d: DesiredObject, field: string, message: string, hint: string) =>
    out.push({severity: 'error', file: d.source.file, line: d.source.line, col: d.source.col, object: keyOf(d.object), field, message, hint})
  const ips = new Map<number, string>()
  const ports = new Map<string, string>()
  const cidrs = new Map<number, string>()
  for (const d of objects) {
    const key = keyOf(d.object)
    if (d.object.kind === 'Service') {
      const spec = (d.object as SvcLike).spec ?? {}
      const raw = spec.clusterIP
      if (raw && raw !== 'None') {
        const ip = parseIp(raw)
        if (ip === undefined) at(d, 'spec.clusterIP', `spec.clusterIP ${JSON.stringify(raw)} is not an IPv4 address`, 'leave it out to get one allocated, or write None for a headless Service')
        else if (!contains(net.services, ip) || ip === net.services.base || ip === nth(net.services, size(net.services) - 1) || ip === nth(net.services, 1)) {
          at(d, 'spec.clusterIP', `spec.clusterIP ${raw} is not a usable address of network.services ${formatCidr(net.services)}`, 'pick one inside the service range (not its first two or its last), or leave it out')
        } else if (ips.has(ip)) at(d, 'spec.clusterIP', `spec.clusterIP ${raw}: provided IP is already allocated to ${ips.get(ip)}`, 'give each Service its own cluster IP, or leave it out')
        else ips.set(ip, key)
      }
      ;(spec.ports ?? []).forEach((p, i) => {
        if (p.nodePort === undefined) return
        const field = `spec.ports[${i}].nodePort`
        if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') return
        if (p.nodePort < net.nodePorts.min || p.nodePort > net.nodePorts.max) {
          at(d, field, `${field} ${p.nodePort} is outside network.nodePorts ${net.nodePorts.min}-${net.nodePorts.max}`, 'pick a port in the range, or leave it out to get one allocated')
          return
        }
        const k = `${p.protocol ?? 'TCP'}/${p.nodePort}`
        if (ports.has(k)) at(d, field, `${field} ${p.nodePort}: provided port is already allocated to ${ports.get(k)}`, 'give each Service port its own node port, or leave it out')
        else ports.set(k, key)
      })
    } else if (d.object.kind === 'Node') {
      const raw = (d.object.spec as {podCIDR?: string} | undefined)?.podCIDR
      if (!raw) continue
      const c = parseCidr(raw)
      if (!c || c.bits !== net.nodeMask || !contains(net.pods, c.base)) {
        at(d, 'spec.podCIDR', `spec.podCIDR ${JSON.stringify(raw)} is not a /${net.nodeMask} block of network.pods ${formatCidr(net.pods)}`, 'leave it out to get one allocated, or pick a block of the pod range of size network.nodeMask')
      } else if (cidrs.has(c.base)) at(d, 'spec.podCIDR', `spec.podCIDR ${raw} is already the pod CIDR of ${cidrs.get(c.base)}`, 'give each node its own block')
      else cidrs.set(c.base, key)
    }
  }
  return out
}
