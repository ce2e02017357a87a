/**
 * The cluster as the plugins read it during one pass: per-node arrays and
 * counters the snapshot keeps up to date as pods are placed (snapshot.ts
 * implements it).
 */
import type {KubeObject} from '../../manifests/object.js'
import type {AffinityTerm, NodeInfo, PodInfo, Resources} from './types.js'

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
