/**
 * Fixture builders for the network generators, with realistic defaults and
 * only RFC 2544 benchmark addresses (198.18.0.0/15): pods 198.19.0.0/16,
 * services 198.18.128.0/17, nodes 198.18.0.0/24.
 */
import type {ServicePort, ServiceSpec} from '../../../src/manifests/generated/index.js'
import {parseCidr} from '../../../src/net/cidr.js'
import type {NetworkConfig} from '../../../src/net/config.js'
import type {NetEndpointAddress, NetEndpoints, NetNode, NetPod, NetService} from '../../../src/net/types.js'

export function netConfig(over: Partial<NetworkConfig> = {}): NetworkConfig {
  return {
    pods: parseCidr('198.19.0.0/16')!,
    nodeMask: 24,
    services: parseCidr('198.18.128.0/17')!,
    nodePorts: {min: 30000, max: 32767},
    backend: 'host-gw',
    clusterDomain: 'cluster.local',
    ...over,
  }
}

export const nodeA: NetNode = {name: 'node-a', podCIDR: '198.19.0.0/24', address: '198.18.0.10'}
export const nodeB: NetNode = {name: 'node-b', podCIDR: '198.19.1.0/24', address: '198.18.0.11'}
export const nodeC: NetNode = {name: 'node-c', podCIDR: '198.19.2.0/24', address: '198.18.0.12'}

/** A Service as the state holds it: `svc('web', '198.18.128.10', {ports: […]})`. */
export function svc(name: string, clusterIP: string | undefined, spec: ServiceSpec = {}, ns = 'default'): NetService {
  const ports: ServicePort[] = spec.ports ?? [{name: 'http', port: 80, targetPort: 8080, protocol: 'TCP'}]
  return {
    metadata: {name, namespace: ns, uid: `uid-svc-${name}`},
    spec: {selector: {app: name}, ...spec, ports, ...(clusterIP !== undefined ? {clusterIP} : {})},
  }
}

/** An endpoint address of a pod: `addr('198.19.0.2', 'node-a', 'web-1')`. */
export function addr(ip: string, nodeName: string, pod: string, ns = 'default'): NetEndpointAddress {
  return {ip, nodeName, targetRef: {kind: 'Pod', namespace: ns, name: pod, uid: `uid-${pod}`}}
}

/** Endpoints with one subset, the shape src/reconcile/controllers/endpoints.ts writes. */
export function endpoints(
  name: string,
  ready: NetEndpointAddress[],
  notReady: NetEndpointAddress[] = [],
  ports: Array<{name?: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP'}> = [{name: 'http', port: 8080, protocol: 'TCP'}],
  ns = 'default',
): NetEndpoints {
  return {
    metadata: {name, namespace: ns},
    subsets: [{ports, ...(ready.length ? {addresses: ready} : {}), ...(notReady.length ? {notReadyAddresses: notReady} : {})}],
  }
}

/** A pod with one container. */
export function pod(name: string, spec: Partial<NonNullable<NetPod['spec']>> = {}, ns = 'default'): NetPod {
  return {
    metadata: {name, namespace: ns, uid: `uid-${name}`},
    spec: {containers: [{name: 'main', image: 'busybox:1.36'}], ...spec},
  }
}

/**
 * The host's rendering of `#lb AFFINITY SEP[@UID] …` lines (docs/networking.md):
 * affinity lookups, then the random pick among the eligible chains, or
 * `reject` with none; `eligible(uid)` stands for the host's readiness check.
 */
export function renderLb(text: string, eligible: (uid: string) => boolean = () => true): string {
  return text.replace(/^(\s*)#lb (\S+)((?: \S+)*)$/gm, (_m, indent: string, affinity: string, rest: string) => {
    const chains = rest
      .split(' ')
      .filter(Boolean)
      .filter((tok) => !tok.includes('@') || eligible(tok.slice(tok.indexOf('@') + 1)))
      .map((tok) => tok.split('@')[0])
    if (chains.length === 0) return `${indent}reject`
    const lines = affinity === '-' ? [] : chains.map((c) => `${indent}ip saddr @aff-${c.slice(4)} goto ${c}`)
    lines.push(`${indent}numgen random mod ${chains.length} vmap { ${chains.map((c, i) => `${i} : goto ${c}`).join(', ')} }`)
    return lines.join('\n')
  })
}
