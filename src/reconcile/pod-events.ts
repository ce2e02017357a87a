/**
 * Events a pod's observed status tells about, as the kubelet would have
 * recorded them: a container started (again), went into back-off, was
 * OOM-killed, or stopped passing its readiness probe. Compared between the
 * status the state held and the one the host reports now, so each change is
 * recorded once (the state keeps the previous status). Pure.
 */
import {keyOf, type KubeObject} from '../manifests/object.js'
import type {Ctx} from './context.js'
import type {Container} from '../manifests/generated/index.js'
import type {ContainerStatus, PodStatus} from './status.js'

/** Records Started, BackOff, OOMKilled and Unhealthy events for POD from PREV (state) → NEXT (observed) status. */
export function podStatusEvents(ctx: Ctx, pod: KubeObject, prev: PodStatus | undefined, next: PodStatus | undefined, node: string): void {
  const key = keyOf(pod)
  const spec = (pod.spec ?? {}) as {containers?: Container[]; initContainers?: Container[]}
  const probes = new Map<string, boolean>([...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => [c.name, !!c.readinessProbe]))
  const before = new Map<string, ContainerStatus>()
  for (const c of [...(prev?.initContainerStatuses ?? []), ...(prev?.containerStatuses ?? [])]) before.set(c.name, c)
  for (const c of [...(next?.initContainerStatuses ?? []), ...(next?.containerStatuses ?? [])]) {
    const b = before.get(c.name)
    const started = c.state?.running?.startedAt
    if (started && started !== b?.state?.running?.startedAt) {
      ctx.event('Normal', 'Started', key, `Started container ${c.name} on ${node}${(c.restartCount ?? 0) > 0 ? ` (restart ${c.restartCount})` : ''}`)
    }
    const grew = (c.restartCount ?? 0) > (b?.restartCount ?? 0)
    const last = c.lastState?.terminated
    if (grew && last?.reason === 'OOMKilled') ctx.event('Warning', 'OOMKilled', key, `Container ${c.name} was killed: out of memory (restart ${c.restartCount})`)
    else if (grew && last) ctx.event('Warning', 'Restarted', key, `Container ${c.name} exited (${last.reason ?? 'Error'}, exit code ${last.exitCode ?? '?'}) and was restarted (restart ${c.restartCount})`)
    if (c.state?.waiting?.reason === 'CrashLoopBackOff' && b?.state?.waiting?.reason !== 'CrashLoopBackOff') {
      ctx.event('Warning', 'BackOff', key, `Back-off restarting failed container ${c.name}`)
    }
    // Ready → not ready while the same run goes on: the readiness probe failed.
    if (probes.get(c.name) && started && started === b?.state?.running?.startedAt && b?.ready && !c.ready) {
      ctx.event('Warning', 'Unhealthy', key, `Readiness probe failed: container ${c.name} is not ready`)
    }
  }
}
