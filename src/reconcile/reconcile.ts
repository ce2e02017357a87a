/**
 * One reconcile pass: reconcile(desired, state, observed, now) → {state,
 * plan, events, summary}. Pure and deterministic (README.md): no I/O, no
 * clock, no randomness; the inputs are never modified; the same inputs give
 * byte-identical JSON.
 *
 * Order within a pass: git objects → node lifecycle → observed pod status →
 * evictions from lost nodes → CronJobs → Deployments (with their
 * ReplicaSets) → ReplicaSets → StatefulSets → DaemonSets → Jobs →
 * scheduling → pod IPs → Endpoints → forget pods confirmed gone → plan.
 * With `network:` (docs/networking.md): cluster IPs and node ports after
 * git, node pod CIDRs after the node lifecycle, pod IPs after scheduling.
 */
import {pinExistingHolders, type ImagePins} from './image-pins.js'
import type {Desired} from '../manifests/desired.js'
import type {State, StateEvent} from '../state/model.js'
import {applyGit} from './apply-git.js'
import {A} from '../manifests/annotations.js'
import {Ctx, MAX_EVENTS} from './context.js'
import {finishCronJob, syncCronJob} from './controllers/cronjob.js'
import {syncDaemonSet} from './controllers/daemonset.js'
import {syncDeployment} from './controllers/deployment.js'
import {syncEndpoints} from './controllers/endpoints.js'
import {syncJob} from './controllers/job.js'
import {syncReplicaSet} from './controllers/replicaset.js'
import {syncStatefulSet} from './controllers/statefulset.js'
import {drainRemovedNodes, evictFromLostNodes, updateNodes} from './lifecycle.js'
import type {Observed} from './observed.js'
import type {Plan} from './plan.js'
import {buildPlan, type PlanSummary} from './planner.js'
import {holdForMissingConfig} from './config-wait.js'
import {finalizeDeleted, observedPodOf, refreshPods, sameIncarnation} from './refresh.js'
import {ownedIndex, rolloutStatus, type OwnedIndex, type RolloutStatus} from '../rollout/verbs.js'
import {schedulePending} from './scheduling.js'
import {allocateNodeCIDRs, allocatePodIPs, allocateServices, recordNodeAddresses} from './network.js'

export interface ReconcileOptions {
  /** stop the pods of objects removed from git, and pods owned by nothing (default true) */
  prune?: boolean
  /** how long a node may stay unreachable before it is NotReady and its pods move (default 40000) */
  nodeGraceMs?: number
}

export interface ReconcileInput {
  desired: Desired
  state: State
  observed: Observed
  /** epoch ms; the only clock reconcile knows */
  now: number
  options?: ReconcileOptions
  /**
   * Digests this pass may pin registry images to (image as written → sha256:…),
   * resolved by the caller; see image-pins.ts. Absent: pins already in the
   * state are used and nothing new is pinned.
   */
  images?: ImagePins
}

export interface ReconcileResult {
  /** the new state: write it after the plan's actions were applied (or at once for a dry run that records nothing) */
  state: State
  /** what to do on the hosts now; empty when converged or waiting on the hosts */
  plan: Plan
  /** the events this pass added (also appended to state.events, bounded) */
  events: StateEvent[]
  /** per workload: which pods are placed, stopped, updated, replaced, left alone, pending */
  summary: PlanSummary
  /**
   * Every Deployment, StatefulSet and DaemonSet with its rollout status in
   * kubectl's words, sorted by key. A `sync` round is converged when the
   * plan is empty and every rollout is `done`; `failed` (progress deadline
   * exceeded) is exit 5.
   */
  rollouts: RolloutProgress[]
  /**
   * Registry images a new revision or pod needed a digest for that `images`
   * did not give (sorted). Non-empty: resolve them and run the pass again
   * before executing the plan (its pods lack pins).
   */
  imageNeeds: string[]
}

export interface RolloutProgress extends RolloutStatus {
  workload: string
}

export const DEFAULT_NODE_GRACE_MS = 40_000

export function reconcile(input: ReconcileInput): ReconcileResult {
  const ctx = new Ctx(
    input.state,
    input.desired,
    input.observed,
    input.now,
    input.options?.prune ?? true,
    input.options?.nodeGraceMs ?? DEFAULT_NODE_GRACE_MS,
  )
  ctx.imageAnswers = input.images ?? {}
  const net = input.desired.network
  applyGit(ctx)
  if (net) allocateServices(ctx, net, input.state)
  pinExistingHolders(ctx)
  updateNodes(ctx)
  if (net) {
    allocateNodeCIDRs(ctx, net)
    recordNodeAddresses(ctx)
  }
  refreshPods(ctx)
  evictFromLostNodes(ctx)
  drainRemovedNodes(ctx)
  for (const o of ctx.list('CronJob')) syncCronJob(ctx, o)
  for (const o of ctx.list('Deployment')) syncDeployment(ctx, o)
  for (const o of ctx.list('ReplicaSet')) syncReplicaSet(ctx, o)
  for (const o of ctx.list('StatefulSet')) syncStatefulSet(ctx, o)
  for (const o of ctx.list('DaemonSet')) syncDaemonSet(ctx, o)
  for (const o of ctx.list('Job')) syncJob(ctx, o)
  for (const o of ctx.list('CronJob')) finishCronJob(ctx, o)
  schedulePending(ctx)
  if (net) allocatePodIPs(ctx)
  holdForMissingConfig(ctx, (pod) => {
    const r = observedPodOf(ctx, pod)
    return !r.reachable || (r.pod !== undefined && sameIncarnation(pod, r.pod))
  })
  for (const o of ctx.list('Service')) syncEndpoints(ctx, o)
  for (const o of ctx.list('Endpoints')) if (!ctx.byUid(o.metadata.ownerReferences?.[0]?.uid ?? '')) ctx.remove(`Endpoints/${o.metadata.namespace}/${o.metadata.name}`)
  finalizeDeleted(ctx)
  const {plan, summary} = buildPlan(ctx)

  const state = ctx.state
  const objects: State['objects'] = {}
  for (const k of Object.keys(state.objects).sort()) objects[k] = state.objects[k]
  const nodes: State['nodes'] = {}
  for (const k of Object.keys(state.nodes).sort()) nodes[k] = state.nodes[k]
  const out: State = {...state, objects, nodes, events: [...state.events, ...ctx.events].slice(-MAX_EVENTS)}
  const rollouts: RolloutProgress[] = []
  let owned: OwnedIndex | undefined
  for (const key of Object.keys(objects)) {
    const o = objects[key]
    if (!['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind) || o.metadata.annotations?.[A.orphaned]) continue
    const st = rolloutStatus(out, key, (owned ??= ownedIndex(out)))
    if (!('error' in st)) rollouts.push({workload: key, ...st})
  }
  return {state: out, plan, events: ctx.events, summary, rollouts, imageNeeds: [...ctx.imageNeeds].sort()}
}
