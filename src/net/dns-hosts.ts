/**
 * `dns/hosts`: the cluster's names for dnsmasq (`--hostsdir`), the records
 * of Kubernetes' DNS specification that a hosts file can hold
 * (kubernetes/dns docs/specification.md, as CoreDNS's kubernetes plugin
 * serves them):
 *
 *   CLUSTER-IP  svc.ns.svc.DOMAIN              a Service with a cluster IP
 *   POD-IP      svc.ns.svc.DOMAIN              each endpoint of a headless Service
 *   POD-IP      host.svc.ns.svc.DOMAIN         an endpoint with a hostname (StatefulSet pods)
 *
 * An endpoint's hostname is the one the Endpoints controller would set
 * (pkg/controller/util/endpoint `ShouldSetHostname`): the pod's
 * spec.hostname when its spec.subdomain is the Service's name in the same
 * namespace, or the address's own `hostname` (Endpoints written by hand).
 */
import {parseIp} from './cidr.js'
import type {NetworkConfig} from './config.js'
import {serviceClusterIP} from './service-ports.js'
import {nsName, type NetEndpointAddress, type NetEndpoints, type NetPod, type NetService} from './types.js'

function isHeadless(svc: NetService): boolean {
  return svc.spec?.type !== 'ExternalName' && svc.spec?.clusterIP === 'None'
}

/** The address's hostname as Kubernetes' Endpoints controller sets it. */
function hostnameOf(a: NetEndpointAddress, svc: NetService, pods: Map<string, NetPod>): string | undefined {
  if (a.hostname) return a.hostname
  const ref = a.targetRef
  if (!ref) return undefined
  const pod = (ref.uid && pods.get(`uid:${ref.uid}`)) || (ref.name && pods.get(`${ref.namespace ?? 'default'}/${ref.name}`)) || undefined
  const spec = pod?.spec
  if (!pod || !spec?.hostname) return undefined
  const same = (pod.metadata.namespace ?? 'default') === (svc.metadata.namespace ?? 'default')
  return spec.subdomain === svc.metadata.name && same ? spec.hostname : undefined
}

/**
 * The hosts file for every node (the same text on each): one `IP NAME` line
 * per record, sorted by name then address, duplicates dropped; empty when
 * there is no Service. Headless Services list their ready addresses, and
 * the not-ready ones too with publishNotReadyAddresses. Pure.
 */
export function dnsHosts(config: NetworkConfig, services: NetService[], endpoints: NetEndpoints[], pods: NetPod[]): string {
  const domain = config.clusterDomain
  const eps = new Map(endpoints.map((e) => [nsName(e), e]))
  const byKey = new Map<string, NetPod>()
  for (const p of pods) {
    byKey.set(nsName(p), p)
    if (p.metadata.uid) byKey.set(`uid:${p.metadata.uid}`, p)
  }
  const records = new Map<string, {name: string; ip: string}>()
  const add = (ip: string | undefined, name: string) => {
    if (ip && parseIp(ip) !== undefined) records.set(`${name} ${ip}`, {name, ip})
  }
  for (const svc of services) {
    const ns = svc.metadata.namespace ?? 'default'
    const fqdn = `${svc.metadata.name}.${ns}.svc.${domain}`
    const clusterIP = serviceClusterIP(svc)
    if (clusterIP) {
      add(clusterIP, fqdn)
      continue
    }
    if (!isHeadless(svc)) continue
    const publish = svc.spec?.publishNotReadyAddresses === true
    for (const subset of eps.get(nsName(svc))?.subsets ?? []) {
      const addrs = [...(subset.addresses ?? []), ...(publish ? (subset.notReadyAddresses ?? []) : [])]
      for (const a of addrs) {
        add(a.ip, fqdn)
        const host = hostnameOf(a, svc, byKey)
        if (host) add(a.ip, `${host}.${fqdn}`)
      }
    }
  }
  const lines = [...records.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : parseIp(a.ip)! - parseIp(b.ip)!))
    .map((r) => `${r.ip} ${r.name}`)
  return lines.length ? lines.join('\n') + '\n' : ''
}
