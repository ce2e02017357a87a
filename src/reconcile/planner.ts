/**
 * State pods vs observed pods → the plan (DESIGN.md step 4), node by node:
 *
 * | state pod                       | on its host                 | action |
 * |---------------------------------|-----------------------------|--------|
 * | wanted                          | missing                     | CreatePod (new, or drift) |
 * | wanted                          | other UID or spec hash      | ReplacePod |
 * | wanted                          | same, ConfigMap/Secret files differ | UpdateFiles per volume |
 * | terminating (deleted by tsctl)  | present                     | DeletePod |
 * | finished (Succeeded/Failed, restartPolicy ≠ Always) | missing | nothing |
 * | none                            | present                     | DeletePod when prune is on (owned by nothing), or when tsctl moved that pod to another node |
 *
 * Nothing is planned for a node observed `reachable: false`. Actions are
 * ordered per node: deletes, replaces, creates, file updates, claim
 * deletions, so a node never holds more pods than the plan allows (surge).
 * Every pod is also put in one bucket of its workload's summary.
 */
import type {KubeObject} from '../manifests/object.js'
import {keyOf, objectKey} from '../manifests/object.js'
import {A} from '../manifests/annotations.js'
import {type Ctx} from './context.js'
import type {Action, Plan} from './plan.js'
import {observedPodOf, sameIncarnation} from './refresh.js'
import {podVolumeHashes, volumeSource} from './spec-hash.js'
import {configWaitOf} from './config-wait.js'
import {networkActions} from './network-plan.js'
import {asPod} from './status.js'
import {ann, clone, isTerminal, nodeNameOf} from './util.js'

/** What a pass does to one workload's pods, Nomad style. Entries are pod keys (`Pod/ns/name`). */
export interface WorkloadBuckets {
  /** pods to start */
  place: string[]
  /** pods to stop */
  stop: string[]
  /** running pods whose ConfigMap/Secret files change in place */
  update: string[]
  /** pods stopped and started again with a new spec under the same name */
  replace: string[]
  /** pods that stay as they are */
  ignore: string[]
  /** pods that cannot start now: unschedulable, or their node is unreachable */
  pending: string[]
}

/** Buckets keyed by the workload's objectKey (`Deployment/default/web`); `(unowned)` for pods nobody owns. */
export type PlanSummary = Record<string, WorkloadBuckets>

export const UNOWNED = '(unowned)'

const order: Record<Action['type'], number> = {network: -1, delete: 0, replace: 1, create: 2, updateFiles: 3, deleteClaim: 4}

/** The pod as the host should run it: spec and metadata; status is what the host reports, not an order. */
function toRun(pod: KubeObject): KubeObject {
  const {status: _status, ...rest} = clone(pod)
  return rest as KubeObject
}

function grace(pod: KubeObject): number {
  return asPod(pod).spec?.terminationGracePeriodSeconds ?? 30
}

export function buildPlan(ctx: Ctx): {plan: Plan; summary: PlanSummary} {
  const actions: Action[] = []
  const summary: PlanSummary = {}
  const bucket = (wl: string): WorkloadBuckets => (summary[wl] ??= {place: [], stop: [], update: [], replace: [], ignore: [], pending: []})
  const pods = ctx.pods()
  const byName = new Map<string, KubeObject>()
  for (const pod of pods) {
    const key = keyOf(pod)
    byName.set(key, pod)
    const b = bucket(ctx.workloadOf(pod))
    const node = nodeNameOf(pod)
    if (!node) {
      if (!pod.metadata.deletionTimestamp && !isTerminal(pod)) b.pending.push(key)
      continue
    }
    const {reachable, pod: o} = observedPodOf(ctx, pod)
    if (!reachable) {
      b[pod.metadata.deletionTimestamp ? 'ignore' : 'pending'].push(key)
      continue
    }
    if (pod.metadata.deletionTimestamp) {
      if (o) {
        actions.push({type: 'delete', node, target: key, uid: o.uid, gracePeriodSeconds: grace(pod), reason: ann(pod, A.deleteReason) ?? 'deleted'})
        b.stop.push(key)
      }
      continue
    }
    const specHash = ann(pod, A.specHash) ?? ''
    // A ConfigMap, Secret or key it needs is missing: it waits (config-wait.ts); what runs runs on.
    // Asked only of a pod about to start (a steady pass asks nothing).
    if ((!o || !sameIncarnation(pod, o)) && configWaitOf(pod, ctx.state.objects) !== undefined) {
      b.pending.push(key)
      continue
    }
    if (!o) {
      if (isTerminal(pod) && (asPod(pod).spec?.restartPolicy ?? 'Always') !== 'Always') {
        b.ignore.push(key)
        continue
      }
      const drift = asPod(pod).status?.reason === 'Missing'
      actions.push({
        type: 'create',
        node,
        target: key,
        pod: toRun(pod),
        specHash,
        reason: drift ? `not running on ${node} any more: start it again (drift)` : `new pod of ${ctx.workloadOf(pod)}`,
      })
      b.place.push(key)
      continue
    }
    // A different spec, or nobody supervises it any more (the host restarted, the supervisor
    // was killed: the kubelet would start it again after a reboot; here the same bundle is
    // applied again) — either way the pod is replaced in place.
    const replaceReason = !sameIncarnation(pod, o)
      ? `spec of ${ctx.workloadOf(pod)} changed (${o.specHash.slice(0, 8)} → ${specHash.slice(0, 8)})`
      : o.phase === 'Unknown'
        ? `no supervisor runs it on ${node} any more (host restarted?): start it again`
        : undefined
    if (replaceReason) {
      actions.push({
        type: 'replace',
        node,
        target: key,
        oldUid: o.uid,
        oldSpecHash: o.specHash,
        pod: toRun(pod),
        specHash,
        gracePeriodSeconds: grace(pod),
        reason: replaceReason,
      })
      b.replace.push(key)
      continue
    }
    let updated = false
    if (o.volumeHashes && o.phase === 'Running') {
      const want = podVolumeHashes(pod, ctx.state.objects)
      for (const vol of Object.keys(want).sort()) {
        if (o.volumeHashes[vol] === undefined || o.volumeHashes[vol] === want[vol]) continue
        // its source left the commit: the files stay as they were, as the kubelet keeps them
        if (configWaitOf(pod, ctx.state.objects) !== undefined) break
        const source = volumeSource(pod, vol)!
        actions.push({
          type: 'updateFiles',
          node,
          target: key,
          uid: o.uid,
          volume: vol,
          source,
          contentHash: want[vol],
          reason: `${source.kind} ${source.name} changed: update volume ${vol} in place`,
        })
        updated = true
      }
    }
    b[updated ? 'update' : 'ignore'].push(key)
  }

  // pods on hosts that the state does not have on that node
  for (const node of Object.keys(ctx.observed.nodes).sort()) {
    const on = ctx.observed.nodes[node]
    if (!on.reachable) continue
    for (const o of [...on.pods].sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1))) {
      const key = objectKey('Pod', o.namespace, o.name)
      const known = byName.get(key)
      if (known && nodeNameOf(known) === node) continue
      const moved = !!known
      if (!moved && !ctx.prune) {
        bucket(UNOWNED).ignore.push(key)
        continue
      }
      actions.push({
        type: 'delete',
        node,
        target: key,
        uid: o.uid,
        gracePeriodSeconds: 30,
        reason: moved ? `pod now runs on ${nodeNameOf(known!) ?? 'another node'}` : 'owned by nothing in the state (prune)',
      })
      bucket(moved ? ctx.workloadOf(known!) : UNOWNED).stop.push(key)
    }
  }
  actions.push(...ctx.extraActions, ...networkActions(ctx))
  actions.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : order[a.type] - order[b.type] || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0)))
  const sorted: PlanSummary = {}
  for (const k of Object.keys(summary).sort()) sorted[k] = summary[k]
  return {plan: {actions}, summary: sorted}
}
