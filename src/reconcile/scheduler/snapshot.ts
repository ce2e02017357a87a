/**
 * The scheduler's view of the fleet for one reconcile pass (kube's cache
 * Snapshot): nodes sorted by name, the pods bound to each, claim bindings,
 * and the incremental indexes that keep InterPodAffinity and
 * PodTopologySpread linear — per-node counters of the pods matching each
 * selector any pod has asked about, and the affinity terms bound pods carry.
 * `assume`/`forget` keep all of it current, so scheduling pod N+1 sees pods
 * 1..N without rebuilding anything.
 */
import type {KubeObject} from '../../manifests/object.js'
import {KUBELET_MAX_PODS} from '../../manifests/defaults.js'
import {bytes, isScalarResourceName, milliCPU, parseQuantity, resourceValue} from '../../manifests/quantity.js'
import type {AffinityTerm, NodeInfo, PodInfo, Resources, SchedulerNode, Taint} from './types.js'
import type {ClusterView, ExistingTerm, ExistingTermKind, ExistingTermsView, NodeCounts, NodeValues, PodCounter, ResourceArrays, TopologyIndex} from './cluster-view.js'
import type {Template} from './framework.js'
import {fnv1a} from './hash.js'
import {LabelIndex} from './label-index.js'
import {isTerminal, LabelHostname, podInfoOf, SpecCache} from './pod-info.js'

/** The taint kube's node lifecycle controller puts on a node that is not Ready. */
export const TaintNodeNotReady = 'node.kubernetes.io/not-ready'

interface Counter extends PodCounter {
  readonly match: (p: PodInfo) => boolean
  readonly pos: Int32Array
}

interface TermEntry extends ExistingTerm {
  readonly key: string
  readonly pos: Int32Array
}

function nodeCounts(n: number): NodeCounts & {pos: Int32Array} {
  return {perNode: new Int32Array(n), nodes: new Int32Array(n), pos: new Int32Array(n), size: 0, total: 0}
}

/** Add d to node i's count, keeping the list of non-zero nodes (swap-remove on reaching zero). */
function bump(c: NodeCounts & {pos: Int32Array}, i: number, d: number): void {
  const before = c.perNode[i]
  const after = before + d
  c.perNode[i] = after
  c.total += d
  if (before === 0 && after !== 0) {
    c.pos[i] = c.size
    c.nodes[c.size++] = i
  } else if (after === 0 && before !== 0) {
    const p = c.pos[i]
    const last = c.nodes[--c.size]
    c.nodes[p] = last
    c.pos[last] = p
  }
}

function toNodeInfo(n: SchedulerNode, index: number): NodeInfo {
  // kubelet always sets these; manifests seldom say them, but real workloads select on them.
  const labels: Record<string, string> = {[LabelHostname]: n.name, 'kubernetes.io/os': 'linux', ...(n.labels ?? {})}
  const taints: Taint[] = [...(n.taints ?? [])]
  const ready = n.ready !== false
  if (!ready && !taints.some((t) => t.key === TaintNodeNotReady && t.effect === 'NoSchedule')) taints.push({key: TaintNodeNotReady, effect: 'NoSchedule'})
  const scalar: Record<string, number> = {}
  for (const [k, v] of Object.entries(n.allocatable ?? {})) {
    if (v === undefined || !isScalarResourceName(k)) continue
    scalar[k] = resourceValue(k, v)
  }
  const podsQ = n.allocatable?.pods
  const pods = podsQ === undefined || parseQuantity(podsQ) === undefined ? KUBELET_MAX_PODS : resourceValue('pods', podsQ)
  const allocatable: Resources = {milliCPU: milliCPU(n.allocatable?.cpu), memory: bytes(n.allocatable?.memory), pods, scalar}
  return {
    index,
    name: n.name,
    labels,
    taints,
    unschedulable: n.unschedulable === true,
    ready,
    allocatable,
    requested: {milliCPU: 0, memory: 0, pods: 0, scalar: {}},
    nonZeroRequested: {milliCPU: 0, memory: 0},
    usedPorts: new Map(),
    // Stored as int32 (`| 0`: the same bits; tieHash XORs them) so the field is always a small integer:
    // a uint32 above 2^31 would be a heap number and change the object's shape mid-pass (deopts).
    hash: fnv1a(n.name) | 0,
  }
}

export function portKey(protocol: string, port: number, ip: string): string {
  return `${protocol}/${port}/${ip}`
}

/**
 * Built by `createSnapshot`; mutated only through `assume` and `forget`.
 * Not safe to share between concurrent passes (there are none: reconcile is
 * one synchronous call).
 */
export class Snapshot implements ClusterView, ExistingTermsView {
  readonly nodes: readonly NodeInfo[]
  readonly resources: ResourceArrays
  readonly existingTerms: ExistingTermsView = this
  private readonly byName = new Map<string, number>()
  private readonly pods = new Map<string, PodInfo>()
  /**
   * pods by LabelIndex bucket key, so a new counter scans only the pods its
   * bucket admits. Arrays, not Sets: assume appends (the hot path, once per
   * label of every pod); forget, which is rare, splices.
   */
  private readonly podsByKey = new Map<string, PodInfo[]>()
  private readonly infos = new WeakMap<KubeObject, PodInfo>()
  private readonly specs = new SpecCache()
  private readonly topologies = new Map<string, TopologyIndex>()
  private readonly counters = new Map<string, Counter>()
  private readonly counterIndex = new LabelIndex<Counter>()
  private readonly terms = new Map<string, TermEntry>()
  /** the entry of each compiled term object seen (replicas share their term objects), to skip building its key */
  private readonly termOf = new Map<AffinityTerm, TermEntry>()
  private readonly liveTerms: ExistingTerm[] = []
  private readonly termIndex: Record<ExistingTermKind, LabelIndex<TermEntry>> = {
    requiredAnti: new LabelIndex(),
    requiredAffinity: new LabelIndex(),
    preferredAffinity: new LabelIndex(),
    preferredAnti: new LabelIndex(),
  }
  private readonly claimBinding = new Map<string, string>()
  /** claims bound by `assume` (not given to createSnapshot), so `forget` can undo them */
  private readonly claimBoundBy = new Map<string, string>()
  /** static-plugin results per pod template */
  readonly templates = new Map<string, Template>()
  private readonly valueCaches = new Map<string, Map<string, NodeValues>>()

  constructor(nodes: SchedulerNode[], boundPods: KubeObject[], claims: Record<string, string> = {}) {
    const sorted = [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    this.nodes = sorted.map(toNodeInfo)
    const n = this.nodes.length
    const f = () => new Float64Array(n)
    this.resources = {allocCPU: f(), allocMem: f(), allocPods: f(), reqCPU: f(), reqMem: f(), reqPods: f(), nzCPU: f(), nzMem: f(), version: new Int32Array(n)}
    for (const node of this.nodes) {
      this.resources.allocCPU[node.index] = node.allocatable.milliCPU
      this.resources.allocMem[node.index] = node.allocatable.memory
      this.resources.allocPods[node.index] = node.allocatable.pods
    }
    for (const n of this.nodes) {
      if (this.byName.has(n.name)) throw new Error(`scheduler: node ${n.name} given twice`)
      this.byName.set(n.name, n.index)
    }
    for (const [claim, node] of Object.entries(claims).sort()) this.claimBinding.set(claim, node)
    for (const pod of boundPods) {
      const nodeName = (pod as {spec?: {nodeName?: string}}).spec?.nodeName
      const i = nodeName === undefined ? undefined : this.byName.get(nodeName)
      // Pods on nodes no longer in the fleet hold nothing here; finished pods hold nothing anywhere.
      if (i === undefined || isTerminal(pod)) continue
      const info = this.info(pod)
      if (this.pods.has(info.key)) continue
      this.add(info, i, false)
    }
  }

  /** The parsed form of a pod object, cached per object. */
  info(pod: KubeObject): PodInfo {
    let info = this.infos.get(pod)
    if (!info) this.infos.set(pod, (info = podInfoOf(pod, this.specs)))
    return info
  }

  nodeIndex(name: string): number | undefined {
    return this.byName.get(name)
  }

  /** Where a pod (by `namespace/name`) is bound or assumed, if anywhere. */
  nodeOf(key: string): string | undefined {
    const p = this.pods.get(key)
    return p ? this.nodes[p.node].name : undefined
  }

  /**
   * Bind a pod to a node for the rest of this pass, so the next pod sees it:
   * resources, ports, spreading and affinity counts, and the claims it uses
   * (an unbound claim binds to this node, as local-path does on first use).
   * Assuming a pod that is already placed moves it.
   */
  assume(pod: KubeObject, nodeName: string): void {
    const i = this.byName.get(nodeName)
    if (i === undefined) throw new Error(`scheduler: assume on unknown node ${nodeName}`)
    const info = this.info(pod)
    if (this.pods.has(info.key)) this.forget(pod)
    this.add(info, i, true)
  }

  /** Undo `assume` (or remove a bound pod): frees what it held, and unbinds claims its assume bound. No-op for an unknown pod. */
  forget(pod: KubeObject): void {
    const key = `${pod.metadata.namespace || 'default'}/${pod.metadata.name}`
    const info = this.pods.get(key)
    if (info) this.remove(info)
  }

  /** Claim bindings (`namespace/claim` → node), including those made by `assume`, sorted by claim. */
  claims(): Record<string, string> {
    return Object.fromEntries([...this.claimBinding.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  }

  claimNode(claim: string): number {
    const node = this.claimBinding.get(claim)
    if (node === undefined) return -1
    return this.byName.get(node) ?? -2
  }

  nodeValues(plugin: string, key: string): NodeValues {
    // Two levels, so the hot path looks up two existing strings instead of building `plugin|key` per pod.
    let byKey = this.valueCaches.get(plugin)
    if (!byKey) this.valueCaches.set(plugin, (byKey = new Map()))
    let v = byKey.get(key)
    if (!v) {
      // Each holds two arrays of node length; distinct pod requests are few, but bound them anyway.
      if (byKey.size >= 128) byKey.clear()
      byKey.set(key, (v = {ver: new Int32Array(this.nodes.length).fill(-1), val: new Float64Array(this.nodes.length)}))
    }
    return v
  }

  topology(key: string): TopologyIndex {
    let t = this.topologies.get(key)
    if (!t) {
      const ids = new Map<string, number>()
      const values: string[] = []
      const domainOf = new Int32Array(this.nodes.length)
      const has = new Uint8Array(this.nodes.length)
      for (const n of this.nodes) {
        const v = n.labels[key]
        has[n.index] = v === undefined ? 0 : 1
        const value = v ?? ''
        let id = ids.get(value)
        if (id === undefined) {
          id = values.length
          values.push(value)
          ids.set(value, id)
        }
        domainOf[n.index] = id
      }
      this.topologies.set(key, (t = {key, domainOf, has, values}))
    }
    return t
  }

  counter(key: string, bucket: string | null, match: (p: PodInfo) => boolean): PodCounter {
    let c = this.counters.get(key)
    if (!c) {
      c = {key, match, ...nodeCounts(this.nodes.length)}
      const scan = bucket === null ? this.pods.values() : (this.podsByKey.get(bucket) ?? [])
      for (const p of scan) if (match(p)) bump(c, p.node, 1)
      this.counters.set(key, c)
      this.counterIndex.add(c, bucket)
    }
    return c
  }

  forEachCandidate(kind: ExistingTermKind, pod: PodInfo, fn: (t: ExistingTerm) => void): void {
    this.termIndex[kind].forEach(pod.indexKeys, (t) => {
      if (t.total > 0) fn(t)
    })
  }

  candidates(kind: ExistingTermKind, pod: PodInfo): readonly ExistingTerm[] {
    const all = this.termIndex[kind].candidates(pod.indexKeys)
    const out = this.liveTerms
    out.length = 0
    for (let k = 0; k < all.length; k++) if (all[k].total > 0) out.push(all[k])
    return out
  }

  private add(info: PodInfo, i: number, assumed: boolean): void {
    const node = this.nodes[i]
    this.update(info, node, 1)
    for (let k = 0; k < info.hostPorts.length; k++) {
      const hp = info.hostPorts[k]
      const pk = portKey(hp.protocol, hp.port, hp.ip)
      node.usedPorts.set(pk, (node.usedPorts.get(pk) ?? 0) + 1)
    }
    this.pods.set(info.key, info)
    const keys = info.indexKeys
    for (let k = 0; k < keys.length; k++) {
      const list = this.podsByKey.get(keys[k])
      if (list) list.push(info)
      else this.podsByKey.set(keys[k], [info])
    }
    info.node = i
    for (const c of info.claims)
      if (!this.claimBinding.has(c)) {
        this.claimBinding.set(c, node.name)
        if (assumed) this.claimBoundBy.set(c, info.key)
      }
  }

  private remove(info: PodInfo): void {
    const node = this.nodes[info.node]
    this.update(info, node, -1)
    for (const hp of info.hostPorts) {
      const k = portKey(hp.protocol, hp.port, hp.ip)
      const left = (node.usedPorts.get(k) ?? 1) - 1
      if (left > 0) node.usedPorts.set(k, left)
      else node.usedPorts.delete(k)
    }
    this.pods.delete(info.key)
    for (const k of info.indexKeys) {
      const list = this.podsByKey.get(k)
      const at = list ? list.indexOf(info) : -1
      if (at >= 0) list!.splice(at, 1)
    }
    for (const c of info.claims)
      if (this.claimBoundBy.get(c) === info.key) {
        this.claimBoundBy.delete(c)
        this.claimBinding.delete(c)
      }
    info.node = -1
  }

  /** Resources, counters and carried terms, by +1 (add) or -1 (remove). */
  private update(info: PodInfo, node: NodeInfo, d: 1 | -1): void {
    const r = node.requested
    r.milliCPU += d * info.request.milliCPU
    r.memory += d * info.request.memory
    r.pods += d
    for (const k in info.request.scalar) r.scalar[k] = (r.scalar[k] ?? 0) + d * info.request.scalar[k]
    node.nonZeroRequested.milliCPU += d * info.nonZero.milliCPU
    node.nonZeroRequested.memory += d * info.nonZero.memory
    const i = node.index
    const a = this.resources
    a.reqCPU[i] = r.milliCPU
    a.reqMem[i] = r.memory
    a.reqPods[i] = r.pods
    a.nzCPU[i] = node.nonZeroRequested.milliCPU
    a.nzMem[i] = node.nonZeroRequested.memory
    a.version[i]++
    // Plain loops (no forEach callbacks): this runs once per assumed pod.
    const counters = this.counterIndex.candidates(info.indexKeys)
    for (let q = 0; q < counters.length; q++) if (counters[q].match(info)) bump(counters[q], i, d)
    const anti = info.requiredAntiAffinity
    for (let k = 0; k < anti.length; k++) this.carry('requiredAnti', 0, anti[k], i, d)
    // kube's HardPodAffinityWeight (default 1) scores the existing pods' required affinity.
    const aff = info.requiredAffinity
    for (let k = 0; k < aff.length; k++) this.carry('requiredAffinity', 1, aff[k], i, d)
    const pa = info.preferredAffinity
    for (let k = 0; k < pa.length; k++) this.carry('preferredAffinity', pa[k].weight, pa[k], i, d)
    const pn = info.preferredAntiAffinity
    for (let k = 0; k < pn.length; k++) this.carry('preferredAnti', pn[k].weight, pn[k], i, d)
  }

  private carry(kind: ExistingTermKind, weight: number, term: AffinityTerm, i: number, d: 1 | -1): void {
    // A term object sits in one list of one pod spec, so it always comes with the same kind and weight.
    let e = this.termOf.get(term)
    if (!e) {
      const key = `${kind}|${weight}|${term.topologyKey}|${term.matchKey}`
      e = this.terms.get(key)
      if (!e) {
        if (d < 0) return
        e = {key, kind, weight, term, ...nodeCounts(this.nodes.length)}
        this.terms.set(key, e)
        this.termIndex[kind].add(e, term.selector.bucket)
      }
      this.termOf.set(term, e)
    }
    bump(e, i, d)
  }
}
