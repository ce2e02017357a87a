/**
 * Node lifecycle, as Kubernetes' node lifecycle controller does it: a node
 * that cannot be reached is not evidence that its pods are gone. Its pods
 * keep their last observed status until `nodeGraceMs` of unreachability;
 * then the node is NotReady, its pods are marked not Ready, and pods of
 * ReplicaSets and Jobs are evicted (terminating) so their controllers place
 * replacements elsewhere. StatefulSet pods are never evicted: two pods with
 * one identity must not run at once. DaemonSet and bare pods stay too.
 * When the node returns, the evicted pods it still runs are stopped.
 */
import type {Ctx} from './context.js'
import {A} from '../manifests/annotations.js'
import {keyOf, type KubeObject} from '../manifests/object.js'
import type {NodeCondition, NodeObject, PodObject} from './status.js'
import {ann, clone, controllerRef, isActive, isoAt, msOf, nodeNameOf, setCondition} from './util.js'

export function updateNodes(ctx: Ctx): void {
  const names = new Set(ctx.list('Node').filter((n) => !ann(n, A.orphaned)).map((n) => n.metadata.name))
  for (const name of Object.keys(ctx.state.nodes)) if (!names.has(name)) delete ctx.state.nodes[name]
  for (const name of [...names].sort()) {
    const prev = ctx.state.nodes[name]
    const rec = prev ? {...prev} : {name, ready: true}
    const obs = ctx.observed.nodes[name]
    if (obs?.reachable) {
      if (!rec.ready) ctx.event('Normal', 'NodeReady', `Node/${name}`, `Node ${name} status is now: NodeReady`)
      rec.ready = true
      rec.lastSeen = isoAt(obs.observedAt)
      delete rec.unreachableSince
      if (obs.capacity) rec.capacity = obs.capacity
      if (obs.netHash) rec.netHash = obs.netHash
      else delete rec.netHash
    } else if (obs) {
      rec.unreachableSince ??= isoAt(obs.observedAt)
      const since = msOf(rec.unreachableSince) ?? ctx.now
      if (rec.ready && ctx.now - since >= ctx.nodeGraceMs) {
        rec.ready = false
        ctx.event('Warning', 'NodeNotReady', `Node/${name}`,
          `Node ${name} status is now: NodeNotReady (unreachable since ${rec.unreachableSince}${obs.error ? `: ${obs.error}` : ''})`)
      }
    }
    ctx.state.nodes[name] = rec
    // the Node object's status, as `kubectl get nodes` would show it
    const n = ctx.get(`Node/${name}`) as NodeObject | undefined
    if (n) {
      const ready = rec.unreachableSince
        ? {type: 'Ready', status: rec.ready ? 'True' : 'Unknown', reason: 'NodeStatusUnknown', message: `unreachable since ${rec.unreachableSince}`}
        : rec.lastSeen
          ? {type: 'Ready', status: 'True', reason: 'HostReady', message: 'tsctl reached the host', lastHeartbeatTime: rec.lastSeen}
          : {type: 'Ready', status: 'Unknown', reason: 'NotObservedYet', message: 'tsctl has not reached the host yet'}
      const status = {...(n.status ?? {}), conditions: setCondition<NodeCondition>(n.status?.conditions ?? [], ready, ctx.nowIso)}
      const cap = {...(rec.capacity ?? {}), ...(n.spec?.capacity ?? {})}
      if (Object.keys(cap).length) status.capacity = cap
      n.status = status
    }
  }
}

/** Pods on NotReady nodes: not Ready; ReplicaSet and Job pods evicted. */
export function evictFromLostNodes(ctx: Ctx): void {
  for (const pod of ctx.pods()) {
    const node = nodeNameOf(pod)
    if (!node || ctx.state.nodes[node]?.ready !== false || !isActive(pod)) continue
    const p = clone(pod) as PodObject
    p.status = {...(p.status ?? {})}
    p.status.conditions = setCondition(p.status.conditions ?? [], {type: 'Ready', status: 'False', reason: 'NodeLost'}, ctx.nowIso)
    ctx.put(p)
    const kind = controllerRef(pod)?.kind
    if (kind === 'ReplicaSet' || kind === 'Job') {
      ctx.deletePod(p, `node ${node} unreachable`)
      ctx.event('Warning', 'NodeLost', keyOf(pod), `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}: node ${node} NotReady`)
    }
  }
}

/**
 * The Nodes a sync must observe: those of the commit, and those the state
 * still holds that left git and are being drained (their pods must be
 * stopped on that host, never forgotten while they run).
 */
export function nodesToObserve(desired: readonly KubeObject[], state: {objects: Record<string, KubeObject>}): KubeObject[] {
  const names = new Set(desired.filter((o) => o.kind === 'Node').map((o) => o.metadata.name))
  const draining = Object.values(state.objects).filter((o) => o.kind === 'Node' && !names.has(o.metadata.name) && ann(o, A.managedBy) === 'git' && !ann(o, A.orphaned))
  return [...desired.filter((o) => o.kind === 'Node'), ...draining.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))]
}

/**
 * A Node removed from git (apply-git.ts marks it terminating) is drained as
 * `kubectl drain` and then delete would: every pod on it is stopped there
 * (controllers place theirs elsewhere, the scheduler no longer offers the
 * node), and once its host is reached and runs none of them the Node and
 * its record are forgotten. An unreachable one keeps its terminating pods
 * until it comes back: they are stopped then.
 */
export function drainRemovedNodes(ctx: Ctx): void {
  for (const n of ctx.list('Node')) {
    if (!n.metadata.deletionTimestamp) continue
    const name = n.metadata.name
    const on = ctx.observed.nodes[name]
    const mine = ctx.pods().filter((p) => nodeNameOf(p) === name)
    for (const p of mine) ctx.deletePod(p, `node ${name} removed from git: drained`)
    if (on && !on.reachable) {
      ctx.eventOnce('Warning', 'NodeUnreachable', keyOf(n), `Node ${name} left git but cannot be reached: its ${mine.length} pod(s) will be stopped when it comes back`)
      continue
    }
    if (on && on.pods.length === 0 && mine.every((p) => p.metadata.deletionTimestamp && !on.pods.some((o) => o.name === p.metadata.name))) {
      for (const p of mine) ctx.remove(keyOf(p))
      ctx.remove(keyOf(n))
      delete ctx.state.nodes[name]
      ctx.event('Normal', 'NodeDrained', keyOf(n), `Node ${name} drained: no pod of the fleet runs there any more; forgotten`)
    }
  }
}
