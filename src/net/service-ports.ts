/**
 * What the rules of one node say about each port of each Service, before
 * any nftables text: its chains' names, its addresses, and which endpoints
 * each load-balancing rule may pick (kube-proxy's ServicePortInfo and
 * Endpoint lists, pkg/proxy/nftables/proxier.go `syncProxyRules`).
 */
import type {ServicePort} from '../manifests/generated/index.js'
import {sha256Hex} from '../reconcile/hash.js'
import {parseIp} from './cidr.js'
import {nsName, type NetEndpointAddress, type NetEndpoints, type NetService} from './types.js'

/** kube-proxy's default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours). */
export const DEFAULT_AFFINITY_SECONDS = 10800

/** One endpoint chain (`sep-…`) of a Service port. */
export interface EndpointTarget {
  /** `sep-` + 16 hex digits */
  chain: string
  /** `aff-` + the same digits: its ClientIP affinity set */
  affinitySet: string
  ip: string
  port: number
  /** its pod runs on this node */
  local: boolean
  /**
   * the `#lb` token: `sep-…@UID` when the host decides (a local pod, readiness
   * checked by the runtime), `sep-…` when always eligible (another node's ready
   * pod, publishNotReadyAddresses, an Endpoints address without a pod)
   */
  token: string
}

/** One port of one Service with a cluster IP, as this node's rules serve it. */
export interface ServicePortRules {
  /** `ns/name:port-name` (kube-proxy's ServicePortName), for comments */
  label: string
  /** `svc-…`: the cluster IP's chain */
  chain: string
  /** `ext-…`: the node port's chain */
  externalChain: string
  clusterIP: string
  /** nft spelling: tcp, udp, sctp */
  protocol: 'tcp' | 'udp' | 'sctp'
  port: number
  /** set for NodePort and LoadBalancer Services */
  nodePort?: number
  /** ClientIP affinity timeout in seconds; undefined: no affinity */
  affinity?: number
  /** externalTrafficPolicy: Local (node port traffic only to this node's pods, source kept) */
  externalLocal: boolean
  /** every endpoint chain the two lists below use, sorted by IP then port */
  endpoints: EndpointTarget[]
  /** the cluster IP's candidates (only local ones with internalTrafficPolicy: Local) */
  cluster: EndpointTarget[]
  /** the node port's candidates with externalTrafficPolicy: Local (this node's pods) */
  local: EndpointTarget[]
}

function hex16(text: string): string {
  return sha256Hex(text).slice(0, 16)
}

function portKey(ns: string, name: string, sp: ServicePort): string {
  return `${ns}/${name}/${(sp.protocol ?? 'TCP').toLowerCase()}/${sp.name ?? ''}`
}

/** The cluster IP a Service is served on; undefined for headless (`None`), ExternalName or not yet allocated. */
export function serviceClusterIP(svc: NetService): string | undefined {
  const spec = svc.spec
  if (!spec || spec.type === 'ExternalName') return undefined
  const ip = spec.clusterIP
  return ip && ip !== 'None' && parseIp(ip) !== undefined ? ip : undefined
}

function hasNodePorts(svc: NetService): boolean {
  return svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer'
}

/**
 * The endpoint addresses serving `sp` of `svc`, from its Endpoints: the ready
 * ones, plus the not-ready ones on this node (the host checks their readiness
 * itself) or, with publishNotReadyAddresses, all of them.
 */
function targetsOf(svc: NetService, sp: ServicePort, ep: NetEndpoints | undefined, nodeName: string, key: string): EndpointTarget[] {
  const publish = svc.spec?.publishNotReadyAddresses === true
  const proto = sp.protocol ?? 'TCP'
  const byAddr = new Map<string, EndpointTarget>()
  for (const subset of ep?.subsets ?? []) {
    const p = (subset.ports ?? []).find((x) => (x.name ?? '') === (sp.name ?? '') && (x.protocol ?? 'TCP') === proto)
    if (!p || !(p.port > 0 && p.port < 65536)) continue
    const add = (a: NetEndpointAddress, ready: boolean) => {
      if (!a.ip || parseIp(a.ip) === undefined) return
      const local = a.nodeName === nodeName
      if (!ready && !local && !publish) return
      const h = hex16(`${key}\0${a.ip}\0${p.port}`)
      const uid = a.targetRef?.uid
      const chain = `sep-${h}`
      const token = local && uid && !publish ? `${chain}@${uid}` : chain
      byAddr.set(`${a.ip}:${p.port}`, {chain, affinitySet: `aff-${h}`, ip: a.ip, port: p.port, local, token})
    }
    for (const a of subset.addresses ?? []) add(a, true)
    for (const a of subset.notReadyAddresses ?? []) add(a, false)
  }
  return [...byAddr.values()].sort((a, b) => parseIp(a.ip)! - parseIp(b.ip)! || a.port - b.port)
}

function affinityOf(svc: NetService): number | undefined {
  if (svc.spec?.sessionAffinity !== 'ClientIP') return undefined
  const t = svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds
  return t !== undefined && Number.isInteger(t) && t > 0 ? t : DEFAULT_AFFINITY_SECONDS
}

/**
 * Every port of every Service that has a cluster IP, with its endpoints as
 * node `nodeName` sees them; sorted by namespace, name, then port order.
 * Headless and ExternalName Services (and ones not allocated yet) give none.
 * Pure and deterministic: names are hashes of the Service port and the address.
 */
export function servicePortRules(nodeName: string, services: NetService[], endpoints: NetEndpoints[]): ServicePortRules[] {
  const eps = new Map(endpoints.map((e) => [nsName(e), e]))
  const out: ServicePortRules[] = []
  const sorted = [...services].sort((a, b) => (nsName(a) < nsName(b) ? -1 : nsName(a) > nsName(b) ? 1 : 0))
  for (const svc of sorted) {
    const clusterIP = serviceClusterIP(svc)
    if (!clusterIP) continue
    const ns = svc.metadata.namespace ?? 'default'
    const name = svc.metadata.name
    const ep = eps.get(nsName(svc))
    for (const sp of svc.spec?.ports ?? []) {
      const key = portKey(ns, name, sp)
      const h = hex16(key)
      const all = targetsOf(svc, sp, ep, nodeName, key)
      const internalLocal = svc.spec?.internalTrafficPolicy === 'Local'
      const cluster = internalLocal ? all.filter((t) => t.local) : all
      const local = all.filter((t) => t.local)
      const nodePort = hasNodePorts(svc) && sp.nodePort && sp.nodePort > 0 ? sp.nodePort : undefined
      const externalLocal = nodePort !== undefined && svc.spec?.externalTrafficPolicy === 'Local'
      const used = new Set([...cluster, ...(externalLocal ? local : [])].map((t) => t.chain))
      out.push({
        label: sp.name ? `${ns}/${name}:${sp.name}` : `${ns}/${name}`,
        chain: `svc-${h}`,
        externalChain: `ext-${h}`,
        clusterIP,
        protocol: (sp.protocol ?? 'TCP').toLowerCase() as ServicePortRules['protocol'],
        port: sp.port,
        ...(nodePort !== undefined ? {nodePort} : {}),
        ...(affinityOf(svc) !== undefined ? {affinity: affinityOf(svc)} : {}),
        externalLocal,
        endpoints: all.filter((t) => used.has(t.chain)),
        cluster,
        local,
      })
    }
  }
  return out
}
