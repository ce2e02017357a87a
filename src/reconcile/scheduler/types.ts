/**
 * What a node and a pod look like to the scheduler's plugins, after
 * kube-scheduler's `framework.NodeInfo` and `framework.PodInfo`: plain data,
 * computed once per node (snapshot.ts) and once per pod (pod-info.ts).
 */
import type {Container, PodSpec, Quantity} from '../../manifests/generated/index.js'
import type {KubeObject} from '../../manifests/object.js'
import type {Selector} from './selector.js'

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

/**
 * The parts of a PodInfo that depend only on the pod's spec and namespace
 * (and its labels, when a term uses matchLabelKeys): every replica of a
 * template shares one, so a ReplicaSet's pods are parsed once, not once each.
 */
export interface SpecParts {
  readonly request: Resources
  readonly nonZero: {milliCPU: number; memory: number}
  readonly hostPorts: readonly HostPort[]
  readonly claims: readonly string[]
  readonly requiredAffinity: readonly AffinityTerm[]
  readonly requiredAntiAffinity: readonly AffinityTerm[]
  readonly preferredAffinity: readonly WeightedAffinityTerm[]
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[]
  readonly spread: readonly SpreadConstraint[]
  readonly scalarNames: readonly string[]
  /** `milliCPU|memory` of request and of nonZero: the keys of the per-node value caches (built once here, not per pod) */
  readonly requestKey: string
  readonly nonZeroKey: string
  /** the static plugins' key (schedule.ts fills it on first use; it is a function of the spec) */
  templateKey: string | undefined
}
