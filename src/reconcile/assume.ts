/**
 * For `tsctl diff --offline`: the world as the state says it is, in the
 * shape the hosts would report it. Pods the state last saw running (or
 * finished) are reported with their recorded status; pods it never saw run
 * (Pending) are not. Nodes recorded unreachable are reported unreachable.
 * Approximation: a pod replaced in place whose new spec was never observed
 * appears missing (the old incarnation is not recorded), so the offline plan
 * shows a create where the host would get a replace.
 */
import type {KubeObject} from '../manifests/object.js'
import type {State} from '../state/model.js'
import {A} from '../manifests/annotations.js'
import type {Observed, ObservedContainer, ObservedNode, PodPhase} from './observed.js'
import {podVolumeHashes} from './spec-hash.js'
import type {ContainerStatus, PodObject} from './status.js'
import {ann, isReady, msOf, nodeNameOf, podPhase, readySince} from './util.js'

function containers(list: ContainerStatus[] | undefined): ObservedContainer[] {
  return (list ?? []).map((c) => {
    const state = c.state?.running ? 'running' : c.state?.terminated ? 'terminated' : 'waiting'
    const o: ObservedContainer = {name: c.name, state, restartCount: c.restartCount ?? 0, ready: !!c.ready}
    const reason = c.state?.terminated?.reason ?? c.state?.waiting?.reason
    if (reason) o.reason = reason
    if (c.state?.terminated) o.exitCode = c.state.terminated.exitCode
    const started = msOf(c.state?.running?.startedAt)
    if (started !== undefined) o.startedAt = started
    const finished = msOf(c.state?.terminated?.finishedAt)
    if (finished !== undefined) o.finishedAt = finished
    return o
  })
}

export function observedFromState(state: State, now: number): Observed {
  const nodes: Record<string, ObservedNode> = {}
  const names = new Set([
    ...Object.keys(state.nodes),
    ...Object.values(state.objects).filter((o) => o.kind === 'Node').map((o) => o.metadata.name),
  ])
  for (const name of [...names].sort()) {
    const rec = state.nodes[name]
    const node: ObservedNode = {name, reachable: !rec?.unreachableSince, observedAt: now, pods: []}
    if (rec?.unreachableSince) node.error = 'unreachable when last observed (from the state)'
    else if (rec?.capacity) node.capacity = rec.capacity
    if (rec?.netHash) node.netHash = rec.netHash
    nodes[name] = node
  }
  for (const key of Object.keys(state.objects).sort()) {
    const pod = state.objects[key] as PodObject
    if (pod.kind !== 'Pod') continue
    const node = nodeNameOf(pod)
    if (!node || !nodes[node]?.reachable) continue
    const phase = podPhase(pod) as PodPhase
    if (phase === 'Pending') continue
    const o: Observed['nodes'][string]['pods'][number] = {
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name,
      uid: pod.metadata.uid ?? '',
      specHash: ann(pod, A.specHash) ?? '',
      phase,
      ready: isReady(pod),
      volumeHashes: podVolumeHashes(pod, state.objects),
      initContainers: containers(pod.status?.initContainerStatuses),
      containers: containers(pod.status?.containerStatuses),
    }
    const rs = readySince(pod)
    if (rs !== undefined) o.readySince = rs
    const st = msOf(pod.status?.startTime)
    if (st !== undefined) o.startedAt = st
    if (pod.status?.podIP) o.podIP = pod.status.podIP
    nodes[node].pods.push(o)
  }
  return {nodes}
}
