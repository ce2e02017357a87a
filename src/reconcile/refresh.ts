/**
 * Observed status → state: each pod in the state takes the status its host
 * reports (compare desired with observed, never with "what I did last
 * time"). A pod on an unreachable node keeps its last status. Terminating
 * pods leave the state once their host no longer runs them.
 */
import type {KubeObject} from '../manifests/object.js'
import {keyOf} from '../manifests/object.js'
import type {ObservedPod} from './observed.js'
import {A} from '../manifests/annotations.js'
import {type Ctx} from './context.js'
import {podStatusEvents} from './pod-events.js'
import type {Condition, ContainerStatus, PodObject, PodStatus} from './status.js'
import {ann, clone, isoAt, isTerminal, nodeNameOf, setCondition} from './util.js'

/** The observed pod with the pod's name on its node, if the node was observed and reachable. */
export function observedPodOf(ctx: Ctx, pod: KubeObject): {reachable: boolean; pod?: ObservedPod} {
  const node = nodeNameOf(pod)
  const on = node ? ctx.observed.nodes[node] : undefined
  if (!on) return {reachable: true}
  if (!on.reachable) return {reachable: false}
  return {reachable: true, pod: on.pods.find((o) => o.namespace === (pod.metadata.namespace ?? 'default') && o.name === pod.metadata.name)}
}

/** Same incarnation: the host runs exactly this pod (uid and spec hash). */
export function sameIncarnation(pod: KubeObject, o: ObservedPod): boolean {
  return o.uid === pod.metadata.uid && o.specHash === ann(pod, A.specHash)
}

function statusFrom(o: ObservedPod, prev: PodStatus | undefined, nowIso: string): PodStatus {
  const containerStatus = (c: ObservedPod['containers'][number]): ContainerStatus => ({
    name: c.name,
    ready: c.ready,
    restartCount: c.restartCount,
    // why the previous run ended, when the runtime says (OOMKilled while in CrashLoopBackOff)
    ...((c.lastTerminationReason ?? c.lastExitCode) !== undefined
      ? {lastState: {terminated: {reason: c.lastTerminationReason, exitCode: c.lastExitCode}}}
      : {}),
    state:
      c.state === 'running'
        ? {running: {startedAt: c.startedAt !== undefined ? isoAt(c.startedAt) : undefined}}
        : c.state === 'terminated'
          ? {terminated: {exitCode: c.exitCode ?? 0, reason: c.reason, finishedAt: c.finishedAt !== undefined ? isoAt(c.finishedAt) : undefined}}
          : {waiting: {reason: c.reason}},
  })
  let conds: Condition[] = setCondition(prev?.conditions ?? [], {type: 'PodScheduled', status: 'True'}, nowIso)
  conds = setCondition(conds, {type: 'ContainersReady', status: o.ready ? 'True' : 'False'}, nowIso)
  conds = setCondition(conds, {type: 'Ready', status: o.ready ? 'True' : 'False'}, nowIso)
  const ready = conds.find((c) => c.type === 'Ready')
  if (o.ready && o.readySince !== undefined && ready) ready.lastTransitionTime = isoAt(o.readySince)
  const s: PodStatus = {
    phase: o.phase,
    conditions: conds,
    containerStatuses: o.containers.map(containerStatus),
  }
  if (o.initContainers.length) s.initContainerStatuses = o.initContainers.map(containerStatus)
  if (o.podIP) s.podIP = o.podIP
  if (o.startedAt !== undefined) s.startTime = isoAt(o.startedAt)
  return s
}

function notRunning(prev: PodStatus | undefined, nowIso: string): PodStatus {
  const s: PodStatus = {...(prev ?? {}), phase: 'Pending'}
  delete s.containerStatuses
  delete s.initContainerStatuses
  delete s.podIP
  delete s.startTime
  delete s.reason
  delete s.message
  s.conditions = setCondition(s.conditions ?? [], {type: 'Ready', status: 'False'}, nowIso)
  s.conditions = s.conditions.filter((c) => c.type !== 'ContainersReady')
  return s
}

export function refreshPods(ctx: Ctx): void {
  const nodeNames = new Set(ctx.list('Node').filter((n) => !ann(n, A.orphaned)).map((n) => n.metadata.name))
  for (const pod of ctx.pods()) {
    const node = nodeNameOf(pod)
    if (!node) continue
    if (!nodeNames.has(node) && !ctx.observed.nodes[node]) {
      // the Node left git: like PodGC, forget its pods; controllers place them again
      if (ann(pod, A.managedBy) === 'git' && !pod.metadata.deletionTimestamp) {
        const p = clone(pod) as PodObject
        delete p.spec.nodeName
        p.status = notRunning(p.status, ctx.nowIso)
        ctx.put(p)
      } else ctx.remove(keyOf(pod))
      continue
    }
    const {reachable, pod: o} = observedPodOf(ctx, pod)
    if (!reachable) continue
    if (pod.metadata.deletionTimestamp) {
      if (!o) ctx.remove(keyOf(pod))
      continue
    }
    // the pass owns its copy of the state: edit in place (no clone per pod)
    const p = pod as PodObject
    if (o && sameIncarnation(pod, o)) {
      const prev = p.status
      p.status = statusFrom(o, prev, ctx.nowIso)
      // the kubelet reports a hostNetwork pod's IP as its node's (the host has none to report)
      const nodeIP = ctx.desired.network && p.spec.hostNetwork ? ctx.state.nodes[node]?.address : undefined
      if (nodeIP && !p.status.podIP) p.status.podIP = nodeIP
      podStatusEvents(ctx, pod, prev, p.status, node)
    }
    else if (!o && isTerminal(pod) && (p.spec.restartPolicy ?? 'Always') !== 'Always') continue
    else {
      const wasRunning = !o && (p.status?.containerStatuses || p.status?.reason === 'Missing')
      p.status = notRunning(p.status, ctx.nowIso)
      if (wasRunning) {
        // drift: it ran here and is gone; the plan starts it again
        p.status.reason = 'Missing'
        p.status.message = `not running on ${node} any more`
        ctx.eventOnce('Warning', 'Missing', keyOf(pod), `pod is no longer running on ${node}; starting it again`)
      }
    }
  }
}

/** After the controllers: terminating pods whose host is reachable and does not run them are gone. */
export function finalizeDeleted(ctx: Ctx): void {
  for (const pod of ctx.pods()) {
    if (!pod.metadata.deletionTimestamp) continue
    const {reachable, pod: o} = observedPodOf(ctx, pod)
    if (reachable && !o) ctx.remove(keyOf(pod))
  }
}

