import type {KubeObject} from '../manifests/object.js'
import type {State} from '../state/model.js'
import {A} from '../manifests/annotations.js'

/**
 * Small readers over Kubernetes-shaped objects in the state, shared by the
 * table, describe and diff renderers. Read-only and tolerant: a field the
 * controllers did not fill renders as absent, never as a crash.
 */

/** Annotation on objects that came from git (src/state/model.ts). */
export const managedByAnnotation = A.managedBy

/** Annotations a ReplicaSet/ControllerRevision carries about the commit that made it (see reconcile/README.md). */
export const revisionAnnotation = A.revision
export const commitAnnotations = {
  sha: A.commit,
  subject: A.commitSubject,
  author: A.commitAuthor,
  date: A.commitDate,
} as const

export function objectsOfKind(state: State, kind: string): KubeObject[] {
  return Object.values(state.objects).filter((o) => o.kind === kind)
}

/** Objects from git as last applied (not the ones controllers made). */
export function isManaged(o: KubeObject): boolean {
  return o.metadata.annotations?.[managedByAnnotation] === 'git' || !o.metadata.ownerReferences?.length
}

export function controllerOf(o: KubeObject): {kind: string; name: string; uid: string} | undefined {
  const refs = o.metadata.ownerReferences ?? []
  return refs.find((r) => r.controller) ?? refs[0]
}

/** `get(o, 'spec.replicas')`: a typed-enough path read. */
export function field<T = unknown>(o: unknown, path: string): T | undefined {
  let cur: unknown = o
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[k]
  }
  return cur as T | undefined
}

export interface ContainerStatus {
  name: string
  ready?: boolean
  restartCount?: number
  image?: string
  state?: {running?: {startedAt?: string}; waiting?: {reason?: string; message?: string}; terminated?: {reason?: string; exitCode?: number; signal?: number}}
}

export function containerStatuses(pod: KubeObject, init = false): ContainerStatus[] {
  return field<ContainerStatus[]>(pod, init ? 'status.initContainerStatuses' : 'status.containerStatuses') ?? []
}

/** `2/3`: ready containers over containers, as kubectl's READY column. */
export function podReady(pod: KubeObject): string {
  const containers = field<unknown[]>(pod, 'spec.containers') ?? []
  const ready = containerStatuses(pod).filter((c) => c.ready).length
  return `${ready}/${containers.length}`
}

export function podRestarts(pod: KubeObject): number {
  return containerStatuses(pod).reduce((a, c) => a + (c.restartCount ?? 0), 0)
}

/**
 * kubectl's STATUS column, simplified from printPod: Terminating wins, then
 * an init container still working (`Init:1/2`, `Init:CrashLoopBackOff`),
 * then the first container's waiting or terminated reason, then the phase.
 */
export function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating'
  let reason = field<string>(pod, 'status.reason') ?? field<string>(pod, 'status.phase') ?? 'Pending'
  const inits = containerStatuses(pod, true)
  const initSpecs = field<unknown[]>(pod, 'spec.initContainers') ?? []
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!
    if (c.state?.terminated && c.state.terminated.exitCode === 0) continue
    if (c.state?.terminated) return `Init:${c.state.terminated.reason ?? `ExitCode:${c.state.terminated.exitCode}`}`
    if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') return `Init:${c.state.waiting.reason}`
    return `Init:${i}/${initSpecs.length}`
  }
  for (const c of containerStatuses(pod)) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason
    else if (c.state?.terminated) reason = c.state.terminated.reason ?? `ExitCode:${c.state.terminated.exitCode}`
  }
  if (reason === 'Pending') {
    const cond = (field<Array<{type: string; status: string; reason?: string}>>(pod, 'status.conditions') ?? []).find((c) => c.type === 'PodScheduled')
    // kubectl's printPod shows a gated pod as SchedulingGated
    if (cond?.status === 'False' && cond.reason === 'SchedulingGated') return 'SchedulingGated'
    if (cond?.status === 'False' && cond.reason) return 'Pending'
  }
  return reason
}

/** Why a pod is not scheduled (the scheduler's message), if it is not. */
export function unschedulableMessage(pod: KubeObject): string | undefined {
  const cond = (field<Array<{type: string; status: string; reason?: string; message?: string}>>(pod, 'status.conditions') ?? []).find(
    (c) => c.type === 'PodScheduled' && c.status === 'False',
  )
  return cond ? (cond.message ?? cond.reason ?? 'Unschedulable') : undefined
}

export function formatLabels(labels: Record<string, string> | undefined): string {
  const e = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join(',') : '<none>'
}

export function nsName(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name
}

/** Stable order: namespace, then name. */
export function byNsName(a: KubeObject, b: KubeObject): number {
  const ka = `${a.metadata.namespace ?? ''}\u0000${a.metadata.name}`
  const kb = `${b.metadata.namespace ?? ''}\u0000${b.metadata.name}`
  return ka < kb ? -1 : ka > kb ? 1 : 0
}
