/**
 * The scheduler's contracts, after kube-scheduler's
 * `pkg/scheduler/framework/interface.go`: what a node and a pod look like to
 * a plugin, the per-pod CycleState, and the Filter/Score plugin interfaces.
 *
 * One difference from kube, for speed: Filter and Score run over the whole
 * candidate list in one call (`filter(cycle, cand)`), so the per-node loop
 * stays inside one monomorphic function instead of one indirect call per
 * (plugin, node). The verdict is still per node: kept, or dropped with a
 * named reason.
 */
import type {Container, PodSpec, Quantity} from '../../manifests/generated/index.js'
import type {KubeObject} from '../../manifests/object.js'
import type {SpecParts} from './pod-info.js'
import type {Selector} from './selector.js'

/** kube-scheduler's `framework.MaxNodeScore`: every normalised score is in 0..100. */
export const MaxNodeScore = 100

// ---------------------------------------------------------------------------
// Pod types: the generated ones (schemas/ → src/manifests/generated/), under
// the names the scheduler uses. The scheduler only reads them.

export type {Quantity, LabelSelector, LabelSelectorRequirement, NodeSelectorTerm, NodeSelectorRequirement, PodAffinityTerm, WeightedPodAffinityTerm, Affinity, Toleration, TopologySpreadConstraint} from '../../manifests/generated/index.js'
/** The pod spec as generated from schemas/pod.json. */
export type SchedulingPodSpec = PodSpec
export type ContainerSpec = Container

// ---------------------------------------------------------------------------
// Nodes

/** A node taint (the generated Taint's fields, with any effect string a caller may pass). */
export interface Taint {
  key: string
  value?: string
  effect: string
}

/**
 * A fleet host as the scheduler's caller describes it. `allocatable` values
 * are quantity strings or numbers (`"4"`, `"8Gi"`, `110`); extra keys are
 * extended resources (`nvidia.com/gpu`). `ready: false` behaves as kube's
 * node lifecycle controller does: the node gets the
 * `node.kubernetes.io/not-ready:NoSchedule` taint.
 */
export interface SchedulerNode {
  name: string
  labels?: Record<string, string>
  taints?: Taint[]
  unschedulable?: boolean
  ready?: boolean
  allocatable: {cpu?: Quantity; memory?: Quantity; pods?: Quantity; [resource: string]: Quantity | undefined}
}

/** Amounts of the resources the scheduler counts. CPU in millicores, memory in bytes. */
export interface Resources {
  milliCPU: number
  memory: number
  /** number of pods (allocatable: how many may run; requested: how many do) */
  pods: number
  /** extended and other resources by name, e.g. `nvidia.com/gpu` */
  scalar: Record<string, number>
}

/**
 * One node with everything bound to it. Static fields never change during a
 * snapshot's life; `requested`, `nonZeroRequested` and `usedPorts` change
 * on assume/forget. (Which pods sit where is the Snapshot's: `nodeOf`.)
 */
export interface NodeInfo {
  /** position in `Snapshot.nodes` (nodes are sorted by name) */
  readonly index: number
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  /** the node's taints, plus not-ready when `ready` is false */
  readonly taints: readonly Taint[]
  readonly unschedulable: boolean
  readonly ready: boolean
  readonly allocatable: Readonly<Resources>
  readonly requested: Resources
  /** requests with kube's defaults for containers that request nothing (100m CPU, 200Mi): scoring only */
  readonly nonZeroRequested: {milliCPU: number; memory: number}
  /** `protocol/port/hostIP` → number of pods using it */
  readonly usedPorts: Map<string, number>
  /** FNV-1a of the name as an int32: the node half of the tie-break hash */
  readonly hash: number
}

// ---------------------------------------------------------------------------
// Pods, parsed once

export interface HostPort {
  protocol: string
  port: number
  ip: string
}

/** A pod (anti-)affinity term with its namespaces resolved and selectors compiled. */
export interface AffinityTerm {
  /** namespaces named by the term (or the owning pod's own when none and no namespaceSelector) */
  namespaces: ReadonlySet<string>
  /** null: none given (matches no namespace by selector) */
  namespaceSelector: Selector | null
  selector: Selector
  topologyKey: string
  /** canonical text of (namespaces, namespaceSelector, selector): equal keys match the same pods */
  matchKey: string
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number
}

/** A topology spread constraint with its selector compiled (matchLabelKeys merged in). */
export interface SpreadConstraint {
  maxSkew: number
  topologyKey: string
  hard: boolean
  selector: Selector
  minDomains: number
  honorNodeAffinity: boolean
  honorNodeTaints: boolean
}

/**
 * Everything the plugins need from a pod, computed once per pod object
 * (kube's `framework.PodInfo` plus the PreFilter parts that do not depend on
 * the cluster).
 */
export interface PodInfo {
  readonly pod: KubeObject
  /** `namespace/name` */
  readonly key: string
  readonly namespace: string
  readonly labels: Readonly<Record<string, string>>
  readonly spec: SchedulingPodSpec
  /** FNV-1a of the uid (or key when there is no uid) as an int32: the pod half of the tie-break hash */
  readonly hash: number
  /** what the fields below are copied from: shared by pods with equal specs (replicas) */
  readonly parts: SpecParts
  /** max(sum of containers + sidecars, largest init container) + overhead */
  readonly request: Resources
  /** the same with kube's non-zero defaults per container, for scoring */
  readonly nonZero: {milliCPU: number; memory: number}
  readonly hostPorts: readonly HostPort[]
  /** `namespace/claimName` of every PersistentVolumeClaim volume */
  readonly claims: readonly string[]
  /** uid of the controlling ReplicaSet/StatefulSet/ReplicationController: the default spread selector */
  readonly spreadOwner?: string
  readonly requiredAffinity: readonly AffinityTerm[]
  readonly requiredAntiAffinity: readonly AffinityTerm[]
  readonly preferredAffinity: readonly WeightedAffinityTerm[]
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[]
  readonly spread: readonly SpreadConstraint[]
  /** names of the requested resources other than cpu and memory (extended, ephemeral-storage, hugepages) */
  readonly scalarNames: readonly string[]
  /** `key=value` for every label, plus the owner key: the buckets of LabelIndex lookups */
  readonly indexKeys: readonly string[]
  /** node index while bound or assumed, else -1 */
  node: number
}

// ---------------------------------------------------------------------------
// The per-pod cycle

/** Candidate nodes, as indices into `Snapshot.nodes`, in index order; `n` are live. */
export interface Candidates {
  idx: Int32Array
  n: number
}

/** What PreFilter may answer. `undefined`: run Filter normally. */
export type PreFilterResult =
  | undefined
  /** the plugin has nothing to check for this pod: its Filter is not run */
  | 'skip'
  /** only these nodes can fit (kube's PreFilterResult.NodeNames) */
  | {nodeNames: ReadonlySet<string>}
  /** no node can fit, for this pod-wide reason */
  | {unschedulable: string}

/**
 * The view of the cluster plugins get: nodes, topology domains, and the
 * incremental pod counters. Implemented by Snapshot.
 */
export interface ClusterView {
  readonly nodes: readonly NodeInfo[]
  readonly resources: ResourceArrays
  /** the domain index for a topology key (built on first use; nodes never change) */
  topology(key: string): TopologyIndex
  /** per-node count of pods that `match` accepts, kept current on assume/forget; `key` names the predicate */
  counter(key: string, bucket: string | null, match: (p: PodInfo) => boolean): PodCounter
  /** required/preferred terms carried by bound pods, for the incoming pod's symmetric checks */
  readonly existingTerms: ExistingTermsView
  /** node index a claim is bound to, or -1 (unknown node: -2) */
  claimNode(claim: string): number
  /** the per-node value cache of one plugin for one key, created empty (all stale) on first use */
  nodeValues(plugin: string, key: string): NodeValues
}

/** Which nodes lie in which domain of one topology key. */
export interface TopologyIndex {
  readonly key: string
  /** domain id per node; nodes without the label get the id of value "" */
  readonly domainOf: Int32Array
  /** 1 where the node has the label */
  readonly has: Uint8Array
  /** value of each domain id */
  readonly values: readonly string[]
}

/**
 * Per-node counts of something (pods matching a predicate, pods carrying a
 * term), with the list of nodes where the count is not zero, so readers
 * visit only those: a group of 30 replicas costs 30 steps, not one per node.
 */
export interface NodeCounts {
  readonly perNode: Int32Array
  /** `nodes[0..size)` are the node indices with perNode > 0, in no particular order */
  readonly nodes: Int32Array
  size: number
  total: number
}

/** Per-node counts of the pods matching one predicate. */
export interface PodCounter extends NodeCounts {
  readonly key: string
}

/**
 * Node resources as flat arrays indexed by node, mirroring NodeInfo's
 * objects, for the per-node loops of NodeResourcesFit and
 * BalancedAllocation.
 */
export interface ResourceArrays {
  allocCPU: Float64Array
  allocMem: Float64Array
  allocPods: Float64Array
  reqCPU: Float64Array
  reqMem: Float64Array
  reqPods: Float64Array
  nzCPU: Float64Array
  nzMem: Float64Array
  /** bumped whenever a node's requests change (assume/forget), so per-node results can be cached */
  version: Int32Array
}

/**
 * Per-node values a plugin derives from a node's requests and a key (the
 * pod's request): `val[i]` is current while `ver[i]` equals the node's
 * `version[i]`; the plugin recomputes the others.
 */
export interface NodeValues {
  readonly ver: Int32Array
  readonly val: Float64Array
}

export type ExistingTermKind = 'requiredAnti' | 'requiredAffinity' | 'preferredAffinity' | 'preferredAnti'

/** A term some bound pods carry, with how many carry it on each node. */
export interface ExistingTerm extends NodeCounts {
  readonly kind: ExistingTermKind
  readonly weight: number
  readonly term: AffinityTerm
}

export interface ExistingTermsView {
  /** calls fn for each live term of this kind whose bucket the pod may match (caller re-checks the match) */
  forEachCandidate(kind: ExistingTermKind, pod: PodInfo, fn: (t: ExistingTerm) => void): void
  /** the same terms as an array (reused: valid until the next call); lets a plugin see at once that there are none */
  candidates(kind: ExistingTermKind, pod: PodInfo): readonly ExistingTerm[]
}

/** Per-pod-template results of the static plugins (NodeName … NodeAffinity), and their memo slots. */
export interface Template {
  readonly key: string
  /** nodes passing every static filter, in index order */
  readonly feasible: Int32Array
  /** reason id → nodes rejected for it, by the static filters */
  readonly reasons: ReadonlyMap<number, number>
  /** the same as two parallel arrays, for the per-pod replay (no Map iterator per pod) */
  readonly reasonIds: Int32Array
  readonly reasonCounts: Int32Array
  /** a static PreFilter said no node can fit */
  readonly unschedulable?: string
  /** per-template values a plugin computes once (e.g. per-node raw scores) */
  readonly memo: Map<string, unknown>
}

/**
 * Per-pod scratch space, reused from pod to pod (kube's CycleState). Plugins
 * keep their PreFilter/PreScore results in `data` under their own name.
 */
export interface CycleState {
  readonly cluster: ClusterView
  pod: PodInfo
  template: Template
  readonly data: Map<string, unknown>
  /** count one more node rejected for `reason` (a reason id from `reasonId`) */
  reject(reason: number): void
}

export interface Plugin {
  readonly name: string
  /**
   * For plugins whose filter and score depend only on the pod spec and the
   * nodes' static fields: the part of the pod they read, as a string. Pods
   * with equal keys (replicas of one template) share one computation.
   */
  staticKey?(pod: PodInfo): string
}

export interface FilterPlugin extends Plugin {
  preFilter?(cycle: CycleState): PreFilterResult
  /** drop from `cand` every node the pod cannot go to, calling `cycle.reject` once per reason */
  filter(cycle: CycleState, cand: Candidates): void
}

export interface ScorePlugin extends Plugin {
  /** kube-scheduler's default-profile weight */
  readonly weight: number
  /** false: the plugin has nothing to say about this pod (kube's Skip); its score is not added */
  preScore?(cycle: CycleState, cand: Candidates): boolean
  /** raw score of each candidate position j into out[j] */
  score(cycle: CycleState, cand: Candidates, out: Float64Array): void
  /** map raw scores onto 0..MaxNodeScore in place */
  normalize?(cycle: CycleState, cand: Candidates, scores: Float64Array): void
  /**
   * For a score of one node that depends only on that node's requests and
   * the pod (no normalisation across nodes): `value` is node i's final
   * score, equal to what `score` writes, and `key` names the part of the pod
   * it reads. schedulePod sums all such scorers into one per-node cache
   * behind the node version, so together they cost one pass per pod;
   * `score` stays for explain.
   */
  readonly nodeLocal?: {key(pod: PodInfo): string; value(cycle: CycleState, i: number): number}
}

export function isFilter(p: Plugin): p is FilterPlugin {
  return typeof (p as FilterPlugin).filter === 'function'
}

export function isScorer(p: Plugin): p is ScorePlugin {
  return typeof (p as ScorePlugin).score === 'function'
}

// ---------------------------------------------------------------------------
// Reasons: interned so the per-node path counts integers, not strings.

const reasonTable: string[] = ['']
const reasonIds = new Map<string, number>()

/** The id of a reason string (kube's wording, e.g. "Insufficient cpu"). */
export function reasonId(text: string): number {
  let id = reasonIds.get(text)
  if (id === undefined) {
    id = reasonTable.length
    reasonTable.push(text)
    reasonIds.set(text, id)
  }
  return id
}

export function reasonText(id: number): string {
  return reasonTable[id]
}

/** Keep candidates where keep(node index) is true; reject the others with `reason`. The common Filter shape. */
export function keepIf(cycle: CycleState, cand: Candidates, reason: number, keep: (i: number) => boolean): void {
  const idx = cand.idx
  let k = 0
  for (let j = 0; j < cand.n; j++) {
    const i = idx[j]
    if (keep(i)) idx[k++] = i
    else cycle.reject(reason)
  }
  cand.n = k
}

/**
 * kube's `helper.DefaultNormalizeScore`: scale so the best raw score is
 * MaxNodeScore (integer division); `reverse` flips it. All zero stays zero
 * (or all MaxNodeScore when reversed).
 */
export function defaultNormalize(cand: Candidates, scores: Float64Array, reverse: boolean): void {
  let max = 0
  for (let j = 0; j < cand.n; j++) if (scores[j] > max) max = scores[j]
  if (max === 0) {
    if (reverse) for (let j = 0; j < cand.n; j++) scores[j] = MaxNodeScore
    return
  }
  for (let j = 0; j < cand.n; j++) {
    const s = Math.trunc((MaxNodeScore * scores[j]) / max)
    scores[j] = reverse ? MaxNodeScore - s : s
  }
}
