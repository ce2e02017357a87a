/**
 * Why a rollout is not done, in one line: the worst pod of the workload and
 * what holds it, as `kubectl describe` and Argo CD's health would say it:
 *   web-5cd8f-x2k: container httpd: CrashLoopBackOff (exit 1), 4 restarts
 *   web-5cd8f-x2k: container c: CreateContainerConfigError: secret "db" not found
 *   db-0: Pending: 0/3 nodes are available: 3 Insufficient memory.
 * Worst first: a container that keeps failing, then one that cannot be
 * created or pulled, then a pod that cannot be placed or mounted, then one
 * running but not ready. Pure.
 */
import type {KubeObject} from '../manifests/object.js'
import type {ContainerStatus, PodObject} from '../reconcile/status.js'
import {isActive, isReady, podCondition} from '../reconcile/util.js'

/** Restarts after which a crash-looping pod counts as failing its start for good (the early-failure rule). */
export const CRASH_LOOP_RESTARTS = 3

export interface PodReason {
  /** 0 is worst */
  rank: number
  text: string
  /** the pod keeps failing its start: CrashLoopBackOff with CRASH_LOOP_RESTARTS restarts or more, or Failed */
  failing: boolean
}

function containerReason(pod: string, c: ContainerStatus): PodReason | undefined {
  const w = c.state?.waiting
  const last = c.lastState?.terminated
  if (w?.reason === 'CrashLoopBackOff') {
    const why = last ? ` (exit ${last.exitCode ?? '?'}${last.reason && last.reason !== 'Error' ? `, ${last.reason}` : ''})` : ''
    return {rank: 0, text: `${pod}: container ${c.name}: CrashLoopBackOff${why}, ${c.restartCount} restart${c.restartCount === 1 ? '' : 's'}`, failing: c.restartCount >= CRASH_LOOP_RESTARTS}
  }
  const t = c.state?.terminated
  if (t && (t.exitCode ?? 0) !== 0) return {rank: 0, text: `${pod}: container ${c.name}: terminated (exit ${t.exitCode}${t.reason && t.reason !== 'Error' ? `, ${t.reason}` : ''})`, failing: false}
  if (w?.reason && w.reason !== 'ContainerCreating' && w.reason !== 'PodInitializing') {
    return {rank: 1, text: `${pod}: container ${c.name}: ${w.reason}${w.message ? `: ${w.message}` : ''}`, failing: false}
  }
  if (w?.reason === 'ContainerCreating' && w.message) return {rank: 2, text: `${pod}: ContainerCreating: ${w.message}`, failing: false}
  return undefined
}

/** What holds one pod back, or undefined when it is ready (or gone). */
export function podReason(o: KubeObject): PodReason | undefined {
  if (!isActive(o)) return o.metadata.deletionTimestamp ? undefined : (o as PodObject).status?.phase === 'Failed' ? {rank: 0, text: `${o.metadata.name}: Failed`, failing: true} : undefined
  if (isReady(o)) return undefined
  const p = o as PodObject
  const name = o.metadata.name
  const cs = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
  const found = cs.map((c) => containerReason(name, c)).filter((r): r is PodReason => r !== undefined).sort((a, b) => a.rank - b.rank)[0]
  if (found) return found
  const sched = podCondition(o, 'PodScheduled')
  if (sched?.status === 'False') return {rank: 2, text: `${name}: ${sched.reason === 'SchedulingGated' ? 'SchedulingGated' : 'Pending'}${sched.message ? `: ${sched.message}` : ''}`, failing: false}
  const running = cs.find((c) => c.state?.running && !c.ready)
  if (running) return {rank: 3, text: `${name}: container ${running.name}: running, not ready`, failing: false}
  return {rank: 4, text: `${name}: ${p.status?.phase ?? 'Pending'}`, failing: false}
}

/** The worst reason among `pods` (ties: by pod name), or undefined when every one is ready. */
export function worstPodReason(pods: readonly KubeObject[]): PodReason | undefined {
  let worst: PodReason | undefined
  for (const p of [...pods].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const r = podReason(p)
    if (r && (!worst || r.rank < worst.rank)) worst = r
  }
  return worst
}
