/**
 * Service → Endpoints (pkg/controller/endpoint): the pods its selector
 * matches in its namespace, ready ones under `addresses`, the others under
 * `notReadyAddresses`; each port's targetPort resolved against the pod's
 * container ports when it is a name. Stored as an Endpoints object named
 * after the Service. A Service without a selector gets none.
 */
import type {ServicePort} from '../../manifests/generated/index.js'
import type {KubeObject} from '../../manifests/object.js'
import {objectKey} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {stableStringify, stableUid} from '../hash.js'
import type {PodObject, ServiceObject} from '../status.js'
import {ann, isActive, isReady, mapSelectorMatches, nodeNameOf, ownerRefTo} from '../util.js'

/** core/v1 EndpointAddress, the fields tsctl fills. */
interface EndpointAddress {
  ip?: string
  nodeName?: string
  targetRef: {kind: 'Pod'; namespace: string; name: string; uid?: string}
}

/** core/v1 EndpointPort. */
interface EndpointPort {
  name?: string
  port: number
  protocol: NonNullable<ServicePort['protocol']>
}

/** core/v1 EndpointSubset. */
interface EndpointSubset {
  addresses?: EndpointAddress[]
  notReadyAddresses?: EndpointAddress[]
  ports: EndpointPort[]
}

/** core/v1 Endpoints as the state holds it. */
type EndpointsObject = KubeObject & {apiVersion: 'v1'; kind: 'Endpoints'; subsets: EndpointSubset[]}

function resolvePort(pod: PodObject, target: unknown, port: number): number | undefined {
  if (target === undefined) return port
  if (typeof target === 'number') return target
  if (/^\d+$/.test(String(target))) return Number(target)
  for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === target) return p.containerPort
  return undefined
}

export function syncEndpoints(ctx: Ctx, svc0: KubeObject): void {
  const svc = svc0 as ServiceObject
  const ns = svc.metadata.namespace as string
  const key = objectKey('Endpoints', ns, svc.metadata.name)
  if (ann(svc, A.orphaned)) return
  const sel = svc.spec?.selector
  if (!sel || Object.keys(sel).length === 0) {
    if (ctx.get(key)) ctx.remove(key)
    return
  }
  const pods = ctx
    .pods()
    .filter((p) => (p.metadata.namespace ?? 'default') === ns && isActive(p) && nodeNameOf(p) && mapSelectorMatches(sel, p.metadata.labels))
  const subsets = new Map<string, {addresses: EndpointAddress[]; notReadyAddresses: EndpointAddress[]; ports: EndpointPort[]}>()
  for (const p of pods as PodObject[]) {
    const ports = (svc.spec?.ports ?? []).map((sp) => ({
      ...(sp.name ? {name: sp.name} : {}),
      port: resolvePort(p, sp.targetPort, sp.port),
      protocol: sp.protocol ?? 'TCP',
    })).filter((x): x is EndpointPort => x.port !== undefined)
    const k = stableStringify(ports)
    if (!subsets.has(k)) subsets.set(k, {addresses: [], notReadyAddresses: [], ports})
    const addr: EndpointAddress = {nodeName: p.spec.nodeName, targetRef: {kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid}}
    // the host's word, else the IP reconcile gave it (network.ts), else the node's own for hostNetwork
    const ip = p.status?.podIP ?? ann(p, A.podIP) ?? (p.spec?.hostNetwork ? ctx.state.nodes[p.spec.nodeName ?? '']?.address : undefined)
    if (ip) addr.ip = ip
    subsets.get(k)![isReady(p) ? 'addresses' : 'notReadyAddresses'].push(addr)
  }
  const out = [...subsets.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, s]) => {
    const o: EndpointSubset = {ports: s.ports}
    if (s.addresses.length) o.addresses = s.addresses
    if (s.notReadyAddresses.length) o.notReadyAddresses = s.notReadyAddresses
    return o
  })
  const ep: EndpointsObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: svc.metadata.name,
      namespace: ns,
      uid: stableUid(svc.metadata.uid ?? '', 'Endpoints'),
      creationTimestamp: ctx.get(key)?.metadata.creationTimestamp ?? ctx.nowIso,
      labels: {...(svc.metadata.labels ?? {})},
      ownerReferences: [ownerRefTo(svc)],
    },
    subsets: out,
  }
  ctx.put(ep)
}
