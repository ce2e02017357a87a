/**
 * The end state a commit converges to, for `tsctl diff`: runs passes
 * against a simulated fleet where every planned action succeeds at once —
 * created pods are Running and Ready (Job pods Succeeded), deleted ones
 * gone, files updated — advancing `now` by the longest minReadySeconds when
 * a rollout waits for availability, until a pass plans nothing.
 * Unreachable nodes stay unreachable. Pure, like reconcile.
 */
import type {KubeObject} from '../manifests/object.js'
import type {State} from '../state/model.js'
import type {Observed, ObservedPod} from './observed.js'
import type {Plan} from './plan.js'
import {UNOWNED} from './planner.js'
import {reconcile, type ReconcileInput, type ReconcileResult} from './reconcile.js'
import {podVolumeHashes} from './spec-hash.js'
import type {DaemonSetStatus, PodObject, ReplicaSetStatus} from './status.js'
import {clone, controllerRef, podCondition} from './util.js'

export interface ConvergeResult {
  /** the first pass: exactly what `sync` would execute first */
  first: ReconcileResult
  /** the last pass: its state is the converged end state */
  final: ReconcileResult
  passes: number
  /** why it is not fully converged: unschedulable pods, unreachable nodes, a pass limit hit */
  stuck: string[]
  /** registry images any pass needed a digest for that `input.images` did not give */
  imageNeeds: string[]
}

const DEFAULT_MAX_PASSES = 200

/** Apply a plan to a simulated fleet: every action succeeds at once. */
export function simulateApply(observed: Observed, plan: Plan, state: State, now: number): Observed {
  const out = clone(observed)
  for (const a of plan.actions) {
    const node = (out.nodes[a.node] ??= {name: a.node, reachable: true, observedAt: now, pods: []})
    if (!node.reachable) continue
    node.observedAt = now
    const [, ns, name] = a.target.split('/')
    const drop = () => (node.pods = node.pods.filter((p) => !(p.namespace === ns && p.name === name)))
    if (a.type === 'delete') drop()
    else if (a.type === 'create' || a.type === 'replace') {
      drop()
      node.pods.push(runningPod(a.pod as PodObject, a.specHash, state, now))
    } else if (a.type === 'updateFiles') {
      const p = node.pods.find((x) => x.namespace === ns && x.name === name)
      if (p) p.volumeHashes = {...(p.volumeHashes ?? {}), [a.volume]: a.contentHash}
    } else if (a.type === 'network') node.netHash = a.hash
  }
  return out
}

function runningPod(pod: PodObject, specHash: string, state: State, now: number): ObservedPod {
  const finishes = controllerRef(pod)?.kind === 'Job' || (pod.spec?.restartPolicy ?? 'Always') !== 'Always'
  const containers = (pod.spec?.containers ?? []).map((c) =>
    finishes
      ? {name: c.name, state: 'terminated' as const, reason: 'Completed', exitCode: 0, restartCount: 0, ready: false, startedAt: now, finishedAt: now}
      : {name: c.name, state: 'running' as const, restartCount: 0, ready: true, startedAt: now},
  )
  const o: ObservedPod = {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    uid: pod.metadata.uid ?? '',
    specHash,
    phase: finishes ? 'Succeeded' : 'Running',
    ready: !finishes,
    startedAt: now,
    volumeHashes: podVolumeHashes(pod, state.objects),
    initContainers: [],
    containers,
  }
  if (!finishes) o.readySince = now
  return o
}

/** The longest minReadySeconds of a workload still waiting for ready pods to count as available, in ms. */
function availabilityWait(state: State): number {
  let wait = 0
  for (const o of Object.values(state.objects) as (KubeObject & {spec?: {minReadySeconds?: number}; status?: Partial<ReplicaSetStatus & DaemonSetStatus>})[]) {
    const min = o.spec?.minReadySeconds ?? 0
    if (!min) continue
    const s = o.status ?? {}
    const waiting =
      o.kind === 'Deployment' || o.kind === 'ReplicaSet'
        ? (s.readyReplicas ?? 0) > (s.availableReplicas ?? 0)
        : o.kind === 'DaemonSet'
          ? (s.numberReady ?? 0) > (s.numberAvailable ?? 0)
          : false
    if (waiting) wait = Math.max(wait, min * 1000)
  }
  return wait
}

export function converge(input: ReconcileInput, opts?: {maxPasses?: number}): ConvergeResult {
  const max = opts?.maxPasses ?? DEFAULT_MAX_PASSES
  const first = reconcile(input)
  let cur = first
  const needs = new Set(first.imageNeeds)
  let observed = input.observed
  let now = input.now
  let passes = 1
  while (passes < max) {
    const wait = availabilityWait(cur.state)
    if (cur.plan.actions.length === 0 && wait === 0) break
    observed = simulateApply(observed, cur.plan, cur.state, now)
    now += wait
    cur = reconcile({...input, state: cur.state, observed, now})
    for (const n of cur.imageNeeds) needs.add(n)
    passes++
  }
  const stuck: string[] = []
  if (cur.plan.actions.length > 0) stuck.push(`not converged after ${passes} passes (${cur.plan.actions.length} actions still planned)`)
  for (const [wl, b] of Object.entries(cur.summary)) {
    for (const key of b.pending) {
      const pod = cur.state.objects[key] as PodObject
      const node = pod?.spec?.nodeName
      const why = node
        ? `node ${node} is unreachable`
        : (podCondition(pod, 'PodScheduled')?.message ?? 'not scheduled')
      stuck.push(`${key}${wl !== UNOWNED && wl !== key ? ` (${wl})` : ''}: ${why}`)
    }
  }
  for (const r of cur.rollouts) if (!r.done) stuck.push(`${r.workload}: ${r.message}`)
  return {first, final: cur, passes, stuck, imageNeeds: [...needs].sort()}
}
