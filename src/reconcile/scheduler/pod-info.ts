/**
 * Parse a Pod once into what the plugins read (kube's `framework.NewPodInfo`
 * plus `resource.PodRequests`): requests with the init-container max rule,
 * host ports, claims, compiled affinity terms and spread constraints.
 */
import type {KubeObject} from '../../manifests/object.js'
import {bytes, isScalarResourceName, milliCPU, resourceValue} from '../../manifests/quantity.js'
import type {AffinityTerm, ContainerSpec, HostPort, PodAffinityTerm, PodInfo, Resources, SchedulingPodSpec, SpecParts, SpreadConstraint, WeightedAffinityTerm} from './types.js'
import {fnv1a} from './hash.js'
import {Selector} from './selector.js'

/** kube's `schedutil.DefaultMilliCPURequest`: what a container without a CPU request counts as when scoring. */
export const DefaultMilliCPURequest = 100
/** kube's `schedutil.DefaultMemoryRequest` (200 MiB). */
export const DefaultMemoryRequest = 200 * 1024 * 1024

/** The label kubelet sets on every node; tsctl adds it when a node lacks it. */
export const LabelHostname = 'kubernetes.io/hostname'
export const LabelZone = 'topology.kubernetes.io/zone'

/** Owner kinds whose pods get kube's default spreading (DefaultSelector: RC, RS, StatefulSet). */
const spreadOwnerKinds = new Set(['ReplicaSet', 'StatefulSet', 'ReplicationController'])

// Quantity strings repeat across every replica of a template: parse each once.
const cpuCache = new Map<string | number, number>()
const byteCache = new Map<string | number, number>()
function cachedCPU(q: string | number): number {
  let v = cpuCache.get(q)
  if (v === undefined) cpuCache.set(q, (v = milliCPU(q)))
  return v
}
function cachedBytes(q: string | number): number {
  let v = byteCache.get(q)
  if (v === undefined) byteCache.set(q, (v = bytes(q)))
  return v
}

/** JSON of a spec fragment, cached per object: replicas often share their template's objects. */
const jsonCache = new WeakMap<object, string>()
export function stableJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null)
  let s = jsonCache.get(v)
  if (s === undefined) jsonCache.set(v, (s = JSON.stringify(v)))
  return s
}

interface Amount {
  milliCPU: number
  memory: number
  scalar: Record<string, number>
}

function containerRequest(c: ContainerSpec, nonZero: boolean): Amount {
  return requestOf(c.resources?.requests ?? {}, nonZero)
}

function requestOf(req: Readonly<Record<string, string | number>>, nonZero: boolean): Amount {
  const out: Amount = {milliCPU: 0, memory: 0, scalar: {}}
  for (const name in req) {
    const q = req[name]
    if (name === 'cpu') out.milliCPU = cachedCPU(q)
    else if (name === 'memory') out.memory = cachedBytes(q)
    else if (isScalarResourceName(name)) out.scalar[name] = resourceValue(name, q)
  }
  // GetNonzeroRequests: only a missing request gets the default, not an explicit 0.
  if (nonZero) {
    if (!('cpu' in req)) out.milliCPU = DefaultMilliCPURequest
    if (!('memory' in req)) out.memory = DefaultMemoryRequest
  }
  return out
}

function add(a: Amount, b: Amount): void {
  a.milliCPU += b.milliCPU
  a.memory += b.memory
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = (a.scalar[k] ?? 0) + v
}

function max(a: Amount, b: Amount): void {
  a.milliCPU = Math.max(a.milliCPU, b.milliCPU)
  a.memory = Math.max(a.memory, b.memory)
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = Math.max(a.scalar[k] ?? 0, v)
}

/**
 * A pod's effective request (`resource.PodRequests`): the sum of the regular
 * containers and sidecars, or the largest init container (plus the sidecars
 * started before it) if that is larger, plus `spec.overhead`.
 */
export function podRequest(spec: SchedulingPodSpec, nonZero = false): Amount {
  const total: Amount = {milliCPU: 0, memory: 0, scalar: {}}
  for (const c of spec.containers ?? []) add(total, containerRequest(c, nonZero))
  const sidecars: Amount = {milliCPU: 0, memory: 0, scalar: {}}
  const initMax: Amount = {milliCPU: 0, memory: 0, scalar: {}}
  for (const c of spec.initContainers ?? []) {
    const r = containerRequest(c, nonZero)
    if (c.restartPolicy === 'Always') {
      add(sidecars, r)
      max(initMax, {...sidecars, scalar: {...sidecars.scalar}})
    } else {
      const during: Amount = {milliCPU: sidecars.milliCPU, memory: sidecars.memory, scalar: {...sidecars.scalar}}
      add(during, r)
      max(initMax, during)
    }
  }
  add(total, sidecars)
  max(total, initMax)
  if (spec.overhead) add(total, requestOf(spec.overhead, false))
  return total
}

function hostPorts(spec: SchedulingPodSpec): HostPort[] {
  const out: HostPort[] = []
  const containers = [...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(spec.containers ?? [])]
  for (const c of containers)
    for (const p of c.ports ?? []) if ((p.hostPort ?? 0) > 0) out.push({protocol: p.protocol || 'TCP', port: p.hostPort!, ip: p.hostIP || '0.0.0.0'})
  return out
}

function labelKeyRequirements(term: {matchLabelKeys?: string[]; mismatchLabelKeys?: string[]}, labels: Record<string, string>) {
  const extra: {key: string; operator: string; values: string[]}[] = []
  for (const k of term.matchLabelKeys ?? []) if (k in labels) extra.push({key: k, operator: 'In', values: [labels[k]]})
  for (const k of (term as {mismatchLabelKeys?: string[]}).mismatchLabelKeys ?? []) if (k in labels) extra.push({key: k, operator: 'NotIn', values: [labels[k]]})
  return extra
}

/** Resolve a term against the pod that carries it (`GetNamespacesFromPodAffinityTerm`). */
export function compileTerm(term: PodAffinityTerm, owner: {namespace: string; labels: Record<string, string>}): AffinityTerm {
  const extra = term.labelSelector ? labelKeyRequirements(term, owner.labels) : []
  const selector = Selector.from(term.labelSelector, extra)
  const namespaceSelector = term.namespaceSelector ? Selector.from(term.namespaceSelector) : null
  const named = term.namespaces ?? []
  const namespaces = new Set(named.length === 0 && !term.namespaceSelector ? [owner.namespace] : named)
  const matchKey = `${[...namespaces].sort().join(',')}|${namespaceSelector?.key ?? '-'}|${selector.key}`
  return {namespaces, namespaceSelector, selector, topologyKey: term.topologyKey, matchKey}
}

const namespaceLabels = new Map<string, Record<string, string>>()

/**
 * Does the term select this pod? Namespace by name or by namespaceSelector,
 * which sees only the label every namespace has
 * (`kubernetes.io/metadata.name`), since the snapshot holds no Namespace
 * objects.
 */
export function termMatches(t: AffinityTerm, p: PodInfo): boolean {
  if (!t.namespaces.has(p.namespace)) {
    if (!t.namespaceSelector) return false
    let nsl = namespaceLabels.get(p.namespace)
    if (!nsl) namespaceLabels.set(p.namespace, (nsl = {'kubernetes.io/metadata.name': p.namespace}))
    if (!t.namespaceSelector.matches(nsl)) return false
  }
  return t.selector.matches(p.labels)
}

function spreadConstraints(spec: SchedulingPodSpec, labels: Record<string, string>): SpreadConstraint[] {
  return (spec.topologySpreadConstraints ?? []).map((c) => ({
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    hard: c.whenUnsatisfiable !== 'ScheduleAnyway',
    // matchLabelKeys are ignored when labelSelector is unset (as kube does).
    selector: Selector.from(c.labelSelector, c.labelSelector ? labelKeyRequirements(c, labels) : []),
    minDomains: c.minDomains ?? 1,
    honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorNodeTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
  }))
}

/** The controller owner uid (or kind/name) when the owner kind gets default spreading. */
function spreadOwnerOf(pod: KubeObject): string | undefined {
  const refs = pod.metadata.ownerReferences ?? []
  const ref = refs.find((r) => r.controller) ?? refs[0]
  if (!ref || !spreadOwnerKinds.has(ref.kind)) return undefined
  return ref.uid || `${ref.kind}/${ref.name}`
}

const none: readonly never[] = []

/** `list.map(f)`, or the shared empty array: most pods have no terms, ports or claims, and every array kept per pod costs GC time. */
function mapOrNone<T, U>(list: readonly T[] | undefined, f: (t: T) => U): readonly U[] {
  return list && list.length > 0 ? list.map(f) : none
}

/** Requests of a pod with only plain containers (the common case), without the general path's intermediate objects. */
function simpleRequests(spec: SchedulingPodSpec): {cpu: number; mem: number; nzCPU: number; nzMem: number} | undefined {
  if ((spec.initContainers?.length ?? 0) > 0 || spec.overhead) return undefined
  let cpu = 0
  let mem = 0
  let nzCPU = 0
  let nzMem = 0
  for (const c of spec.containers ?? []) {
    const req = c.resources?.requests
    let hasCPU = false
    let hasMem = false
    if (req)
      for (const name in req) {
        if (name === 'cpu') {
          const v = cachedCPU(req[name])
          cpu += v
          nzCPU += v
          hasCPU = true
        } else if (name === 'memory') {
          const v = cachedBytes(req[name])
          mem += v
          nzMem += v
          hasMem = true
        } else return undefined
      }
    if (!hasCPU) nzCPU += DefaultMilliCPURequest
    if (!hasMem) nzMem += DefaultMemoryRequest
  }
  return {cpu, mem, nzCPU, nzMem}
}


function specParts(spec: SchedulingPodSpec, namespace: string, labels: Record<string, string>): SpecParts {
  let request: Resources
  let nonZero: {milliCPU: number; memory: number}
  const simple = simpleRequests(spec)
  if (simple) {
    request = {milliCPU: simple.cpu, memory: simple.mem, pods: 1, scalar: {}}
    nonZero = {milliCPU: simple.nzCPU, memory: simple.nzMem}
  } else {
    const req = podRequest(spec)
    const nz = podRequest(spec, true)
    request = {milliCPU: req.milliCPU, memory: req.memory, pods: 1, scalar: req.scalar}
    nonZero = {milliCPU: nz.milliCPU, memory: nz.memory}
  }
  const owner = {namespace, labels}
  const aff = spec.affinity?.podAffinity
  const anti = spec.affinity?.podAntiAffinity
  const weighted = (w: {weight: number; podAffinityTerm: PodAffinityTerm}): WeightedAffinityTerm => ({...compileTerm(w.podAffinityTerm, owner), weight: w.weight})
  const ports = hostPorts(spec)
  const claims = (spec.volumes ?? []).filter((v) => v.persistentVolumeClaim?.claimName)
  const scalarNames = Object.keys(request.scalar).filter((k) => request.scalar[k] > 0)
  return {
    request,
    nonZero,
    hostPorts: ports.length > 0 ? ports : none,
    claims: mapOrNone(claims, (v) => `${namespace}/${v.persistentVolumeClaim!.claimName}`),
    requiredAffinity: mapOrNone(aff?.requiredDuringSchedulingIgnoredDuringExecution, (t) => compileTerm(t, owner)),
    requiredAntiAffinity: mapOrNone(anti?.requiredDuringSchedulingIgnoredDuringExecution, (t) => compileTerm(t, owner)),
    preferredAffinity: mapOrNone(aff?.preferredDuringSchedulingIgnoredDuringExecution, weighted),
    preferredAntiAffinity: mapOrNone(anti?.preferredDuringSchedulingIgnoredDuringExecution, weighted),
    spread: (spec.topologySpreadConstraints?.length ?? 0) > 0 ? spreadConstraints(spec, labels) : none,
    scalarNames: scalarNames.length > 0 ? scalarNames : none,
    requestKey: `${request.milliCPU}|${request.memory}`,
    nonZeroKey: `${nonZero.milliCPU}|${nonZero.memory}`,
    templateKey: undefined,
  }
}

/** matchLabelKeys / mismatchLabelKeys copy the pod's own labels into a term: then the labels are part of the cache key. */
const labelKeysPattern = /"(?:match|mismatch)LabelKeys"/

/**
 * SpecParts cached for one snapshot: by spec object first (free when pods
 * share their template's objects), then by the spec's JSON (the controllers
 * hand over a clone per pod; one stringify is cheaper than parsing requests,
 * compiling terms and keying the template again).
 */
export class SpecCache {
  private readonly byObject = new WeakMap<object, {namespace: string; labels: object | null; parts: SpecParts}>()
  private readonly byText = new Map<string, SpecParts>()

  get(spec: SchedulingPodSpec, namespace: string, labels: Record<string, string>): SpecParts {
    const hit = this.byObject.get(spec)
    if (hit !== undefined && hit.namespace === namespace && (hit.labels === null || hit.labels === labels)) return hit.parts
    const json = JSON.stringify(spec)
    const byLabels = labelKeysPattern.test(json)
    const text = byLabels ? `${namespace}\0${JSON.stringify(labels)}\0${json}` : `${namespace}\0${json}`
    let parts = this.byText.get(text)
    if (parts === undefined) {
      // Distinct specs are few (one per template, or per StatefulSet ordinal); bound the table anyway.
      if (this.byText.size >= 4096) this.byText.clear()
      this.byText.set(text, (parts = specParts(spec, namespace, labels)))
    }
    this.byObject.set(spec, {namespace, labels: byLabels ? labels : null, parts})
    return parts
  }
}

/** Parse a Pod object. Throws nothing: a missing or odd field counts as absent. */
export function podInfoOf(pod: KubeObject, cache: SpecCache = new SpecCache()): PodInfo {
  const spec = ((pod as {spec?: SchedulingPodSpec}).spec ?? {containers: []}) as SchedulingPodSpec
  const namespace = pod.metadata.namespace || 'default'
  const labels = pod.metadata.labels ?? {}
  const key = `${namespace}/${pod.metadata.name}`
  const parts = cache.get(spec, namespace, labels)
  const spreadOwner = spreadOwnerOf(pod)
  const indexKeys: string[] = []
  for (const k in labels) indexKeys.push(`${k}=${labels[k]}`)
  if (spreadOwner) indexKeys.push(ownerBucket(spreadOwner))
  return {
    pod,
    key,
    namespace,
    labels,
    spec,
    // int32, not uint32: same bits for tieHash, and always a small integer (see toNodeInfo).
    hash: fnv1a(pod.metadata.uid || key) | 0,
    parts,
    request: parts.request,
    nonZero: parts.nonZero,
    hostPorts: parts.hostPorts,
    claims: parts.claims,
    spreadOwner,
    requiredAffinity: parts.requiredAffinity,
    requiredAntiAffinity: parts.requiredAntiAffinity,
    preferredAffinity: parts.preferredAffinity,
    preferredAntiAffinity: parts.preferredAntiAffinity,
    spread: parts.spread,
    scalarNames: parts.scalarNames,
    indexKeys,
    node: -1,
  }
}

/** The LabelIndex bucket of pods owned by `owner` (a NUL keeps it apart from any label). */
export function ownerBucket(owner: string): string {
  return `\0owner=${owner}`
}

/** Pods kube-scheduler's cache leaves out: finished ones hold no resources. */
export function isTerminal(pod: KubeObject): boolean {
  const phase = (pod as {status?: {phase?: string}}).status?.phase
  return phase === 'Succeeded' || phase === 'Failed'
}
