/**
 * Binds pending pods to nodes through the scheduler (step 3 of the data
 * flow, after the controllers made the pods). A pod that a reachable host
 * already runs under the same name is bound to that host instead (names are
 * hashes of stable inputs, so after a pass killed before its state was
 * written, or a lost state, the re-run finds its pods rather than starting
 * twins elsewhere; for StatefulSets that keeps one pod per identity). A pod that fits nowhere stays
 * Pending with a PodScheduled=False condition carrying the scheduler's
 * message, and a FailedScheduling event. The first pod to use a
 * PersistentVolumeClaim binds it to its node (k3s local-path style); later
 * pods of that claim are held to that node by the scheduler.
 */
import type {KubeObject} from '../manifests/object.js'
import {keyOf, objectKey} from '../manifests/object.js'
import {A} from '../manifests/annotations.js'
import {KUBELET_MAX_PODS} from '../manifests/defaults.js'
import {type Ctx} from './context.js'
import {createSnapshot, schedulePod, type SchedulerNode} from './scheduler/schedule.js'
import type {ClaimObject, NodeObject, PodObject} from './status.js'
import {ann, clone, isActive, nodeNameOf, setAnn, setCondition} from './util.js'

/**
 * What a node offers when neither its manifest nor the host said (a node
 * never observed, planned offline): no limit the scheduler would hit.
 */
const unknownCapacity = {cpu: '1000', memory: '1Pi', pods: String(KUBELET_MAX_PODS)}

/**
 * The fleet as the scheduler sees it: the Node objects from git plus what
 * was observed of them. A node past its grace period is `ready: false`
 * (the scheduler taints it node.kubernetes.io/not-ready:NoSchedule).
 * `allReady` ignores that, for the DaemonSet's "should it run there" test.
 */
export function schedulerNodes(ctx: Ctx, allReady = false): SchedulerNode[] {
  return ctx
    .list('Node')
    .filter((n) => !ann(n, A.orphaned) && !n.metadata.deletionTimestamp)
    .map((n) => {
      const spec: Partial<NodeObject['spec']> = (n as NodeObject).spec ?? {}
      const rec = ctx.state.nodes[n.metadata.name]
      return {
        name: n.metadata.name,
        labels: {...(n.metadata.labels ?? {})},
        taints: [...(spec.taints ?? [])],
        unschedulable: !!spec.unschedulable,
        ready: allReady || rec?.ready !== false,
        allocatable: {...unknownCapacity, ...(rec?.capacity ?? {}), ...(spec.capacity ?? {})},
      }
    })
}

/** PVC bindings, `namespace/claim` → node. */
export function claimBindings(ctx: Ctx): Record<string, string> {
  const out: Record<string, string> = {}
  for (const c of ctx.list('PersistentVolumeClaim')) {
    const node = ann(c, A.selectedNode)
    if (node) out[`${c.metadata.namespace ?? 'default'}/${c.metadata.name}`] = node
  }
  return out
}

export function schedulePending(ctx: Ctx): void {
  const pods = ctx.pods()
  // a steady pass has nothing to place: skip building the snapshot
  if (!pods.some((p) => !nodeNameOf(p) && isActive(p))) return
  const nodes = schedulerNodes(ctx)
  const bound = pods.filter((p) => nodeNameOf(p) && !p.metadata.deletionTimestamp && isActive(p))
  const claims = claimBindings(ctx)
  const snap = createSnapshot(nodes, bound, claims)
  // pods a host already runs under that name (a pass killed before its state
  // was written, a lost state): adopt them where they run, never start a twin
  const running = new Map<string, string>()
  const known = new Set(nodes.map((n) => n.name))
  for (const [name, on] of Object.entries(ctx.observed.nodes)) {
    if (!on.reachable || !known.has(name)) continue
    for (const o of on.pods) running.set(`${o.namespace}/${o.name}`, name)
  }
  for (const pod of pods) {
    if (nodeNameOf(pod) || !isActive(pod)) continue
    if (((pod as PodObject).spec?.schedulingGates ?? []).length > 0) {
      // The scheduler leaves a gated pod alone (PreEnqueue): it waits until a commit removes the gates.
      const p = clone(pod) as PodObject
      p.status = {...(p.status ?? {}), phase: 'Pending'}
      p.status.conditions = setCondition(p.status.conditions ?? [], {type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates'}, ctx.nowIso)
      ctx.put(p)
      continue
    }
    // One clone, scheduled and then assumed: the scheduler parses a pod object once (cached per object).
    const p = clone(pod) as PodObject
    const target = ann(pod, A.targetNode)
    const unset = !('nodeName' in p.spec)
    const before = p.spec.nodeName
    if (target) p.spec.nodeName = target
    const where = running.get(`${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`)
    // A claim the commit does not hold: VolumeBinding's PreFilter rejects the pod on every node
    // (UnschedulableAndUnresolvable); it waits until a commit adds the claim.
    const missingClaim = (p.spec.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).find((c) => c && !ctx.get(objectKey('PersistentVolumeClaim', pod.metadata.namespace ?? 'default', c)))
    const r: ReturnType<typeof schedulePod> = where
      ? {ok: true, node: where, feasible: 1}
      : missingClaim
        ? {ok: false, message: `0/${nodes.length} nodes are available: persistentvolumeclaim "${missingClaim}" not found.`, reasons: {}}
        : schedulePod(snap, p)
    if (target) {
      if (unset) delete p.spec.nodeName
      else p.spec.nodeName = before
    }
    const key = keyOf(pod)
    if (r.ok) {
      p.spec.nodeName = r.node
      p.status = {...(p.status ?? {}), phase: 'Pending'}
      p.status.conditions = setCondition(p.status.conditions ?? [], {type: 'PodScheduled', status: 'True'}, ctx.nowIso)
      ctx.put(p)
      snap.assume(p, r.node)
      ctx.event('Normal', 'Scheduled', key, where
        ? `${p.metadata.namespace}/${p.metadata.name} already runs on ${r.node}: bound there`
        : `Successfully assigned ${p.metadata.namespace}/${p.metadata.name} to ${r.node}`)
      bindClaims(ctx, p, r.node, claims)
    } else {
      p.status = {...(p.status ?? {}), phase: 'Pending'}
      p.status.conditions = setCondition(
        p.status.conditions ?? [],
        {type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: r.message},
        ctx.nowIso,
      )
      ctx.put(p)
      ctx.eventOnce('Warning', 'FailedScheduling', key, r.message)
    }
  }
}

function bindClaims(ctx: Ctx, pod: PodObject, node: string, claims: Record<string, string>): void {
  const ns = pod.metadata.namespace ?? 'default'
  for (const v of pod.spec.volumes ?? []) {
    const name = v.persistentVolumeClaim?.claimName
    if (!name) continue
    const key = objectKey('PersistentVolumeClaim', ns, name)
    const c = ctx.get(key)
    if (!c || ann(c, A.selectedNode)) continue
    const b = clone(c) as ClaimObject
    setAnn(b, A.selectedNode, node)
    b.status = {...(b.status ?? {}), phase: 'Bound'}
    ctx.put(b)
    claims[`${ns}/${name}`] = node
    ctx.event('Normal', 'Bound', key, `claim bound to a directory on node ${node} (first consumer ${pod.metadata.name})`)
  }
}
