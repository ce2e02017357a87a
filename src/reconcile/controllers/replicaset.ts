/**
 * ReplicaSet → Pods (pkg/controller/replicaset): keep exactly
 * `spec.replicas` active pods. New pods take the lowest free slot, and their
 * name and UID are hashes of the ReplicaSet's UID and the slot, so a re-run
 * pass names them the same. Surplus pods go in Kubernetes' deletion order
 * (controller.ActivePodsWithRanks): unscheduled, then Pending, then not
 * ready, then those doubled up on a node, then the most recently ready, the
 * most restarted, the newest.
 */
import type {KubeObject} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {nameSuffix, stableUid} from '../hash.js'
import {objectKey} from '../../manifests/object.js'
import type {ReplicaSetObject} from '../status.js'
import {ann, clone, isActive, isAvailable, isReady, nodeNameOf, podPhase, readySince, restartCount, selectorMatches} from '../util.js'
import {podFromTemplate} from './pod-from-template.js'

export interface ReplicaCounts {
  replicas: number
  ready: number
  available: number
}

/** Active pods of a ReplicaSet and how many are ready and available now. */
export function replicaCounts(ctx: Ctx, rs: KubeObject): ReplicaCounts {
  const minReady = (rs as ReplicaSetObject).spec?.minReadySeconds ?? 0
  const active = ctx.ownedBy(rs.metadata.uid ?? '', 'Pod').filter(isActive)
  return {
    replicas: active.length,
    ready: active.filter(isReady).length,
    available: active.filter((p) => isAvailable(p, minReady, ctx.now)).length,
  }
}

const phaseRank: Record<string, number> = {Pending: 0, Unknown: 1, Running: 2}

/** Kubernetes' pod deletion preference: negative when `a` should go before `b`. */
export function deletionOrder(a: KubeObject, b: KubeObject, doubled: Map<string, number>): number {
  const na = nodeNameOf(a)
  const nb = nodeNameOf(b)
  if (!na !== !nb) return !na ? -1 : 1
  const pa = phaseRank[podPhase(a)] ?? 2
  const pb = phaseRank[podPhase(b)] ?? 2
  if (pa !== pb) return pa - pb
  if (isReady(a) !== isReady(b)) return isReady(a) ? 1 : -1
  const ra = doubled.get(na ?? '') ?? 0
  const rb = doubled.get(nb ?? '') ?? 0
  if (ra !== rb) return rb - ra
  if (isReady(a) && isReady(b)) {
    const ta = readySince(a) ?? 0
    const tb = readySince(b) ?? 0
    if (ta !== tb) return tb - ta
  }
  if (restartCount(a) !== restartCount(b)) return restartCount(b) - restartCount(a)
  const ca = a.metadata.creationTimestamp ?? ''
  const cb = b.metadata.creationTimestamp ?? ''
  if (ca !== cb) return ca < cb ? 1 : -1
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0
}

export function syncReplicaSet(ctx: Ctx, rsIn: KubeObject): void {
  if (ann(rsIn, A.orphaned)) return
  const rs = rsIn as ReplicaSetObject
  const uid = rs.metadata.uid as string
  const rsKey = `ReplicaSet/${rs.metadata.namespace}/${rs.metadata.name}`
  const pods = ctx.ownedBy(uid, 'Pod')
  for (const p of pods) {
    if (!p.metadata.deletionTimestamp && podPhase(p) === 'Failed') ctx.deletePod(p, 'pod failed; the ReplicaSet replaces it')
  }
  const active = ctx.ownedBy(uid, 'Pod').filter(isActive)
  const want = rs.spec?.replicas ?? 1
  if (active.length < want) {
    const used = new Set(ctx.ownedBy(uid, 'Pod').map((p) => Number(ann(p, A.slot))))
    const hashLabel = rs.metadata.labels?.['pod-template-hash']
    const nameOf = (s: number) => `${rs.metadata.name}-${nameSuffix(uid, s)}`
    // Five hashed characters collide (about 1.5% of ReplicaSets of 1,000 pods have two slots
    // with one name): a slot whose name a pod already has is skipped, or one pod would
    // overwrite the other in the state and the set would never converge.
    const taken = (s: number) => ctx.get(objectKey('Pod', rs.metadata.namespace as string, nameOf(s))) !== undefined
    // slots whose pods a host already runs come first (a lost or stale state), then the lowest free ones
    const preferred: number[] = []
    for (let s = 0; ctx.anyHostPods() && s < want + 64 && preferred.length < want - active.length; s++) {
      if (!used.has(s) && !taken(s) && ctx.runsOnHost(rs.metadata.namespace as string, nameOf(s))) preferred.push(s)
    }
    let slot = 0
    for (let n = active.length; n < want; n++) {
      const pick = preferred.shift()
      if (pick === undefined) {
        while (used.has(slot) || taken(slot)) slot++
      }
      const chosen = pick ?? slot
      used.add(chosen)
      const pod = podFromTemplate(ctx, rs, rs.spec?.template, nameOf(chosen), stableUid(uid, 'pod', chosen), {
        labels: hashLabel ? {'pod-template-hash': hashLabel} : {},
        annotations: {[A.slot]: String(chosen)},
      })
      ctx.put(pod)
    }
    ctx.event('Normal', 'SuccessfulCreate', rsKey, `Created ${want - active.length} pod(s)`)
  } else if (active.length > want) {
    const doubled = new Map<string, number>()
    for (const p of active) {
      const n = nodeNameOf(p)
      if (n) doubled.set(n, (doubled.get(n) ?? 0) + 1)
    }
    const victims = [...active].sort((a, b) => deletionOrder(a, b, doubled)).slice(0, active.length - want)
    for (const v of victims) ctx.deletePod(v, `scale down ${rsKey} ${active.length}→${want}`)
    ctx.event('Normal', 'SuccessfulDelete', rsKey, `Deleted ${victims.length} pod(s): ${victims.map((v) => v.metadata.name).join(', ')}`)
  }
  const c = replicaCounts(ctx, rs)
  const next = clone(ctx.get(rsKey) ?? rs) as ReplicaSetObject
  const fully = ctx.ownedBy(uid, 'Pod').filter((p) => isActive(p) && selectorMatches(rs.spec?.selector, p.metadata.labels)).length
  next.status = {
    replicas: c.replicas,
    fullyLabeledReplicas: fully,
    readyReplicas: c.ready,
    availableReplicas: c.available,
    observedGeneration: rs.metadata.generation ?? 1,
  }
  ctx.put(next)
}
