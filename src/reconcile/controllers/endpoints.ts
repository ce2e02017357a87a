/**
 * Service → Endpoints (pkg/controller/endpoint): the pods its selector
 * matches in its namespace, ready ones under `addresses`, the others under
 * `notReadyAddresses`; each port's targetPort resolved against the pod's
 * container ports when it is a name. Stored as an Endpoints object named
 * after the Service. A Service without a selector gets none.
 */
import type {KubeObject} from '../../manifests/object.js'
import {objectKey} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {stableStringify, stableUid} from '../hash.js'
import {type Any, ann, isActive, isReady, mapSelectorMatches, nodeNameOf, ownerRefTo} from '../util.js'

function resolvePort(pod: Any, target: unknown, port: number): number | undefined {
  if (target === undefined) return port
  if (typeof target === 'number') return target
  if (/^\d+$/.test(String(target))) return Number(target)
  for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === target) return p.containerPort
  return undefined
}

export function syncEndpoints(ctx: Ctx, svc0: KubeObject): void {
  const svc = svc0 as Any
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
  const subsets = new Map<string, {addresses: Any[]; notReadyAddresses: Any[]; ports: Any[]}>()
  for (const p of pods as Any[]) {
    const ports = (svc.spec?.ports ?? []).map((sp: Any) => ({
      ...(sp.name ? {name: sp.name} : {}),
      port: resolvePort(p, sp.targetPort, sp.port),
      protocol: sp.protocol ?? 'TCP',
    })).filter((x: Any) => x.port !== undefined)
    const k = stableStringify(ports)
    if (!subsets.has(k)) subsets.set(k, {addresses: [], notReadyAddresses: [], ports})
    const addr: Any = {nodeName: p.spec.nodeName, targetRef: {kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid}}
    if (p.status?.podIP) addr.ip = p.status.podIP
    subsets.get(k)![isReady(p) ? 'addresses' : 'notReadyAddresses'].push(addr)
  }
  const out = [...subsets.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, s]) => {
    const o: Any = {ports: s.ports}
    if (s.addresses.length) o.addresses = s.addresses
    if (s.notReadyAddresses.length) o.notReadyAddresses = s.notReadyAddresses
    return o
  })
  const ep: Any = {
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
