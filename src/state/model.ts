import type {CommitInfo} from '../manifests/desired.js'
import type {KubeObject} from '../manifests/object.js'

/**
 * The state file: tsctl's etcd. A record and a cache of what was applied;
 * the hosts' observed status is the truth (DESIGN.md "State").
 *
 * Every object lives in `objects`, keyed by `objectKey()`: the objects from
 * git as last applied (annotated `tsctl.io/managed-by: git`) and the objects
 * the controllers made (ReplicaSets, Pods, Jobs of CronJobs,
 * ControllerRevisions), which carry `metadata.ownerReferences` exactly as in
 * Kubernetes. Pods carry `spec.nodeName` (the binding) and their last
 * observed `status`. Shapes are Kubernetes' own, so `tsctl get -o yaml`
 * prints what kubectl would.
 *
 * The format is versioned: bump `StateVersion` and add an upgrade function
 * in `src/state/upgrade.ts` for every change that is not purely additive.
 */
export const StateVersion = 1

export interface State {
  version: typeof StateVersion
  /** incremented on every write; a write whose serial is not newer is refused */
  serial: number
  /** fixed for the life of a state; two states with different lineages are different fleets */
  lineage: string
  /** the last commit a pass finished applying (null before the first sync) */
  appliedCommit: CommitInfo | null
  objects: Record<string, KubeObject>
  /** per node: last known reachability, detected capacity, when it was last seen */
  nodes: Record<string, NodeRecord>
  /** newest last, bounded (see reconcile/README.md) */
  events: StateEvent[]
}

export interface NodeRecord {
  name: string
  ready: boolean
  /** ISO time of the last successful observation */
  lastSeen?: string
  /** ISO time since when the node has been unreachable */
  unreachableSince?: string
  /** detected from the host when the Node manifest gives none */
  capacity?: {cpu: string; memory: string; pods: string}
  info?: Record<string, string>
  /** the node's block of the cluster pod range (docs/networking.md); stable while the node is in git */
  podCIDR?: string
  /** the node's IPv4 address other nodes route its pods through: spec.address when an IP, else what the host reported */
  address?: string
  /** hash of the network files the host last reported (or was last given): what `diff --offline` compares */
  netHash?: string
}

/** Kubernetes-style event, as `tsctl describe` shows it. */
export interface StateEvent {
  /** ISO */
  time: string
  type: 'Normal' | 'Warning'
  reason: string
  /** objectKey of the object it is about */
  object: string
  message: string
}

export function emptyState(lineage: string): State {
  return {version: StateVersion, serial: 0, lineage, appliedCommit: null, objects: {}, nodes: {}, events: []}
}
