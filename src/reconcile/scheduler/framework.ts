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
import type {ClusterView} from './cluster-view.js'
import type {PodInfo} from './types.js'

/** kube-scheduler's `framework.MaxNodeScore`: every normalised score is in 0..100. */
export const MaxNodeScore = 100

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
