/**
 * Deployment → ReplicaSets (pkg/controller/deployment: sync.go, rolling.go,
 * recreate.go, progress.go), one pass at a time:
 *
 * - The ReplicaSet whose template equals the Deployment's (ignoring the
 *   pod-template-hash label) is the new one; if none, one is created, named
 *   `<deployment>-<pod-template-hash>`, with revision = max(old) + 1 and the
 *   commit that produced it (`tsctl.io/commit`, `-subject`, `-author`,
 *   `-date`, and `kubernetes.io/change-cause`) for `rollout history`. An old
 *   ReplicaSet that becomes new again (a revert) takes the next revision.
 * - RollingUpdate: maxSurge rounds up, maxUnavailable rounds down (both 0 →
 *   unavailable 1). Each step is decided by rollingUpdateStep
 *   (rolling-update.ts) from the ReplicaSets' counts and applied here.
 *   Kubernetes repeats steps as ReplicaSet events arrive; a pass repeats
 *   them until nothing moves, then waits for the hosts: only readiness
 *   observed later lets the rollout continue in the next pass.
 * - Recreate: old ReplicaSets go to 0; the new one scales up only once no
 *   old pod runs any more (observed gone from its host).
 * - A change of spec.replicas (a scaling event) is shared among the active
 *   ReplicaSets in proportion to their size before any rollout step.
 * - paused: no new ReplicaSet, no rollout; only replicas follow spec.replicas.
 * - Conditions: Available (minimum replicas available) and Progressing,
 *   which turns False/ProgressDeadlineExceeded when no progress was seen for
 *   progressDeadlineSeconds (default 600).
 * - Old ReplicaSets scaled to zero beyond revisionHistoryLimit (default 10)
 *   are deleted, oldest revision first, once the rollout is complete.
 */
import type {Deployment, PodTemplateSpec} from '../../manifests/generated/index.js'
import type {Condition, DeploymentObject, DeploymentStatus, ReplicaSetObject} from '../status.js'
import type {KubeObject} from '../../manifests/object.js'
import {objectKey} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {stableStringify, stableUid, templateHash} from '../hash.js'
import {ann, clone, effectiveTemplate, isPaused, msOf, ownerRefTo, podPhase, scaledValue, setAnn, setCondition} from '../util.js'
import {stampCommit} from './revisions.js'
import {replicaCounts, syncReplicaSet} from './replicaset.js'
import {rollingUpdateStep, type ReplicaSetCounts} from './rolling-update.js'

const HASH = 'pod-template-hash'
const DESIRED = A.desiredReplicas
const MAX_REPLICAS = A.maxReplicas

/** A condition of a Deployment's status (apps/v1 DeploymentCondition). */
type DeploymentCondition = Condition

const MAX_REVISION_HISTORY_CHARS = 2000

/** `revision-history` with `old` appended, as deployment_util.go keeps it. */
export function appendRevisionHistory(history: string | undefined, old: string): string | undefined {
  if (!history) return old
  let list = history.split(',')
  let total = history.length + old.length + 1
  let start = 0
  while (total > MAX_REVISION_HISTORY_CHARS && start < list.length) {
    total -= list[start].length + 1
    start++
  }
  if (total > MAX_REVISION_HISTORY_CHARS) return history
  list = [...list.slice(start), old]
  return list.join(',')
}

/** A pod template without the pod-template-hash label (a copy): how two revisions' templates are compared. */
export function stripHash(template: unknown): PodTemplateSpec {
  // unknown: `rollout undo` passes templates read back from the state's history
  const t = clone((template ?? {}) as PodTemplateSpec)
  if (t.metadata?.labels) delete t.metadata.labels[HASH]
  if (t.metadata?.labels && Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels
  return t
}

export function revisionOf(rs: KubeObject): number {
  return Number(ann(rs, A.revision) ?? 0) || 0
}

/** maxSurge and maxUnavailable as numbers of pods (deploymentutil.ResolveFenceposts). */
export function resolveFenceposts(d: {spec?: Pick<Deployment['spec'], 'replicas' | 'strategy'>}): {surge: number; unavailable: number} {
  const replicas = d.spec?.replicas ?? 1
  const ru = d.spec?.strategy?.rollingUpdate ?? {}
  const surge = scaledValue(ru.maxSurge, replicas, true, '25%')
  let unavailable = scaledValue(ru.maxUnavailable, replicas, false, '25%')
  if (surge === 0 && unavailable === 0) unavailable = 1
  return {surge, unavailable}
}

function rsKey(rs: KubeObject): string {
  return objectKey('ReplicaSet', rs.metadata.namespace, rs.metadata.name)
}

export function syncDeployment(ctx: Ctx, d0: KubeObject): void {
  if (ann(d0, A.orphaned)) return
  const dKey = objectKey('Deployment', d0.metadata.namespace, d0.metadata.name)
  const d = clone(d0) as DeploymentObject
  const uid = d.metadata.uid ?? ''
  const replicas: number = d.spec?.replicas ?? 1
  const template = effectiveTemplate(d) as PodTemplateSpec
  const minReady: number = d.spec?.minReadySeconds ?? 0
  const paused = isPaused(d)
  const recreate = d.spec?.strategy?.type === 'Recreate'
  const prevStatus: Partial<DeploymentStatus> = d.status ?? {}
  let collisionCount: number = prevStatus.collisionCount ?? 0
  const want = stableStringify(stripHash(template))
  const owned = () => ctx.ownedBy(uid, 'ReplicaSet') as ReplicaSetObject[]
  let progressReason: string | undefined

  let newRS: ReplicaSetObject | undefined = owned().find((rs) => stableStringify(stripHash(rs.spec?.template)) === want)
  const maxOldRevision = () => Math.max(0, ...owned().filter((rs) => rs !== newRS && rs.metadata.uid !== newRS?.metadata.uid).map(revisionOf))
  const stamp = (rs: ReplicaSetObject) => {
    stampCommit(ctx, rs, template)
    setAnn(rs, A.changeCause, ctx.desired.commit.subject)
  }

  if (!newRS && !paused) {
    let hash = templateHash(want, collisionCount)
    for (let i = 0; i < 10; i++) {
      const clash = ctx.get(objectKey('ReplicaSet', d.metadata.namespace, `${d.metadata.name}-${hash}`))
      if (!clash) break
      collisionCount++
      hash = templateHash(want, collisionCount)
    }
    const t = clone(template)
    t.metadata = {...(t.metadata ?? {}), labels: {...(t.metadata?.labels ?? {}), [HASH]: hash}}
    const rs: ReplicaSetObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        uid: stableUid(uid, 'ReplicaSet', hash),
        creationTimestamp: ctx.nowIso,
        generation: 1,
        labels: {...(template.metadata?.labels ?? {}), [HASH]: hash},
        annotations: {
          [A.revision]: String(maxOldRevision() + 1),
          [DESIRED]: String(replicas),
          [MAX_REPLICAS]: String(replicas + resolveFenceposts(d).surge),
        },
        ownerReferences: [ownerRefTo(d)],
      },
      spec: {
        replicas: 0,
        minReadySeconds: minReady,
        selector: {...(d.spec?.selector ?? {}), matchLabels: {...(d.spec?.selector?.matchLabels ?? {}), [HASH]: hash}},
        template: t,
      },
    }
    stamp(rs)
    ctx.put(rs)
    newRS = rs
    progressReason = 'NewReplicaSetCreated'
    ctx.event('Normal', 'ScalingReplicaSet', dKey, `Created new replica set ${rs.metadata.name} (revision ${revisionOf(rs)})`)
  } else if (newRS) {
    const maxOld = maxOldRevision()
    const rs = clone(newRS)
    let changed = false
    if (revisionOf(rs) <= maxOld) {
      // A revived ReplicaSet keeps the numbers it had (SetNewReplicaSetAnnotations): the oldest
      // dropped first once the list would pass 2,000 characters (maxRevHistoryLengthInChars).
      const had = ann(rs, A.revision)
      if (had) setAnn(rs, A.revisionHistory, appendRevisionHistory(ann(rs, A.revisionHistory), had))
      setAnn(rs, A.revision, String(maxOld + 1))
      // a rollback (pinned) keeps the commit that first made that template
      if (!ann(d, A.pinnedRevision)) stamp(rs)
      changed = true
      progressReason = 'FoundNewReplicaSet'
    }
    if ((rs.spec.minReadySeconds ?? 0) !== minReady) {
      rs.spec.minReadySeconds = minReady
      changed = true
    }
    if (changed) {
      ctx.put(rs)
      newRS = rs
    }
  }
  if (newRS) setAnn(d, A.revision, String(revisionOf(newRS)))

  const fresh = (rs: ReplicaSetObject) => (ctx.get(rsKey(rs)) ?? rs) as ReplicaSetObject
  const spec = (rs: ReplicaSetObject) => fresh(rs).spec?.replicas ?? 0
  const olds = () => owned().filter((rs) => rs.metadata.uid !== newRS?.metadata.uid).sort(byCreation)
  const scale = (rs: ReplicaSetObject, n: number) => {
    const cur = spec(rs)
    if (cur === n) return false
    const r = clone(fresh(rs))
    r.spec.replicas = n
    setAnn(r, DESIRED, String(replicas))
    setAnn(r, MAX_REPLICAS, String(replicas + resolveFenceposts(d).surge))
    ctx.put(r)
    ctx.event('Normal', 'ScalingReplicaSet', dKey, `Scaled ${n > cur ? 'up' : 'down'} replica set ${r.metadata.name} from ${cur} to ${n}`)
    syncReplicaSet(ctx, r)
    return true
  }

  const scalingEvent = owned()
    .filter((rs) => spec(rs) > 0)
    .some((rs) => {
      const want = ann(fresh(rs), DESIRED)
      return want !== undefined && Number(want) !== replicas
    })
  if (scalingEvent) proportionalScale(ctx, d, newRS, olds(), spec, scale)
  if (paused) {
    // no rollout while paused
  } else if (recreate) {
    for (const rs of olds()) scale(rs, 0)
    const oldRunning = olds().some((rs) => ctx.ownedBy(rs.metadata.uid ?? '', 'Pod').some((p) => {
      const ph = podPhase(p)
      return ph !== 'Succeeded' && ph !== 'Failed'
    }))
    if (!oldRunning && newRS) scale(newRS, replicas)
  } else if (newRS) {
    rollingSteps(ctx, d, newRS, spec, olds, scale, replicas)
  }
  for (const rs of owned()) syncReplicaSet(ctx, fresh(rs))

  // ---- status and conditions ----
  const all = owned()
  const counts = all.map((rs) => replicaCounts(ctx, fresh(rs)))
  const newCounts = newRS ? replicaCounts(ctx, fresh(newRS)) : {replicas: 0, ready: 0, available: 0}
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: counts.reduce((a, c) => a + c.replicas, 0),
    updatedReplicas: newCounts.replicas,
    readyReplicas: counts.reduce((a, c) => a + c.ready, 0),
    availableReplicas: counts.reduce((a, c) => a + c.available, 0),
  }
  status.unavailableReplicas = Math.max(0, replicas - status.availableReplicas)
  if (collisionCount) status.collisionCount = collisionCount
  const {unavailable} = resolveFenceposts(d)
  let conds: DeploymentCondition[] = prevStatus.conditions ?? []
  conds = setCondition(
    conds,
    status.availableReplicas >= replicas - (recreate ? 0 : unavailable)
      ? {type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.'}
      : {type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.'},
    ctx.nowIso,
  )
  const rsName = newRS?.metadata.name ?? ''
  const complete = status.updatedReplicas === replicas && status.replicas === replicas && status.availableReplicas === replicas
  const prevProgressing: DeploymentCondition | undefined = conds.find((c) => c.type === 'Progressing')
  const progressing = (reason: string, message: string, s = 'True') => {
    conds = setCondition(conds, {type: 'Progressing', status: s, reason, message, lastUpdateTime: ctx.nowIso}, ctx.nowIso)
  }
  if (paused) {
    if (prevProgressing?.reason !== 'DeploymentPaused') progressing('DeploymentPaused', 'Deployment is paused', 'Unknown')
  } else if (complete) {
    if (prevProgressing?.reason !== 'NewReplicaSetAvailable') progressing('NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`)
  } else if (progressReason === 'NewReplicaSetCreated') {
    progressing('NewReplicaSetCreated', `Created new replica set "${rsName}"`)
  } else if (
    progressReason ||
    prevProgressing?.reason === 'DeploymentPaused' ||
    !prevProgressing ||
    status.updatedReplicas > (prevStatus.updatedReplicas ?? 0) ||
    status.replicas - status.updatedReplicas < (prevStatus.replicas ?? 0) - (prevStatus.updatedReplicas ?? 0) ||
    status.readyReplicas > (prevStatus.readyReplicas ?? 0) ||
    status.availableReplicas > (prevStatus.availableReplicas ?? 0)
  ) {
    progressing(prevProgressing?.reason === 'DeploymentPaused' ? 'DeploymentResumed' : 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`)
  } else if (prevProgressing && prevProgressing.reason !== 'ProgressDeadlineExceeded' && prevProgressing.reason !== 'NewReplicaSetAvailable') {
    const deadline = (d.spec?.progressDeadlineSeconds ?? 600) * 1000
    const from = msOf(prevProgressing.lastUpdateTime) ?? ctx.now
    if (ctx.now > from + deadline) {
      progressing('ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`, 'False')
      ctx.event('Warning', 'ProgressDeadlineExceeded', dKey, `Deployment "${d.metadata.name}" exceeded its progress deadline`)
    }
  } else if (prevProgressing?.reason === 'NewReplicaSetAvailable') {
    // a new rollout starts from a completed one: progress is being made now
    progressing('ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`)
  }
  status.conditions = conds
  d.status = status
  ctx.put(d)

  if (complete || paused) cleanupOld(ctx, d, newRS)
}

/**
 * sync.go `scale()`: spec.replicas changed (or the Deployment is paused).
 * One active ReplicaSet (or none: the newest) takes the whole count; with a
 * saturated new ReplicaSet the old ones go to zero; otherwise, for
 * RollingUpdate, the difference to replicas + maxSurge is shared in
 * proportion to each ReplicaSet's size (deploymentutil.GetProportion), the
 * rounding leftover going to the largest.
 */
function proportionalScale(
  ctx: Ctx,
  d: DeploymentObject,
  newRS: ReplicaSetObject | undefined,
  olds: ReplicaSetObject[],
  spec: (rs: ReplicaSetObject) => number,
  scale: (rs: ReplicaSetObject, n: number) => boolean,
): void {
  const replicas: number = d.spec?.replicas ?? 1
  const active = [...(newRS ? [newRS] : []), ...olds].filter((rs) => spec(rs) > 0)
  if (active.length <= 1) {
    const target = active[0] ?? newRS ?? [...olds].sort(byCreation).at(-1)
    if (target) scale(target, replicas)
    return
  }
  const fresh = (rs: ReplicaSetObject) => ctx.get(rsKey(rs)) ?? rs
  if (newRS && Number(ann(fresh(newRS), DESIRED)) === replicas && spec(newRS) === replicas && replicaCounts(ctx, fresh(newRS)).available === replicas) {
    for (const rs of olds) scale(rs, 0)
    return
  }
  if (d.spec?.strategy?.type === 'Recreate') return
  const total = active.reduce((a, rs) => a + spec(rs), 0)
  const {surge} = resolveFenceposts(d)
  const allowed = replicas > 0 ? replicas + surge : 0
  const toAdd = allowed - total
  if (toAdd === 0) return
  // larger first; ties: newer first when scaling up, older first when down
  const sorted = [...active].sort((a, b) => spec(b) - spec(a) || (toAdd > 0 ? -byCreation(a, b) : byCreation(a, b)))
  const size = new Map<ReplicaSetObject, number>()
  let added = 0
  for (const rs of sorted) {
    let proportion = 0
    if (spec(rs) > 0 && added !== toAdd) {
      let fraction: number
      if (replicas === 0) fraction = -spec(rs)
      else {
        const before = Number(ann(fresh(rs), MAX_REPLICAS)) || d.status?.replicas || 0
        fraction = before === 0 ? 0 : Math.round((spec(rs) * (replicas + surge)) / before) - spec(rs)
      }
      proportion = toAdd > 0 ? Math.min(fraction, toAdd - added) : Math.max(fraction, toAdd - added)
    }
    size.set(rs, spec(rs) + proportion)
    added += proportion
  }
  sorted.forEach((rs, i) => {
    let n = size.get(rs)!
    if (i === 0) n = Math.max(0, n + toAdd - added)
    scale(rs, n)
  })
}

function byCreation(a: KubeObject, b: KubeObject): number {
  const ca = a.metadata.creationTimestamp ?? ''
  const cb = b.metadata.creationTimestamp ?? ''
  if (ca !== cb) return ca < cb ? -1 : 1
  return revisionOf(a) - revisionOf(b) || (a.metadata.name < b.metadata.name ? -1 : 1)
}

/**
 * The rolling update of one pass: rollingUpdateStep (rolling-update.ts)
 * decides from the ReplicaSets' counts as they are now, this applies it,
 * and asks again until a step moves nothing (the bound only guards against
 * a decision that never settles).
 */
function rollingSteps(
  ctx: Ctx,
  d: DeploymentObject,
  newRS: ReplicaSetObject,
  spec: (rs: ReplicaSetObject) => number,
  olds: () => ReplicaSetObject[],
  scale: (rs: ReplicaSetObject, n: number) => boolean,
  replicas: number,
): void {
  const {surge, unavailable} = resolveFenceposts(d)
  const counts = (rs: ReplicaSetObject): ReplicaSetCounts => ({
    name: rs.metadata.name,
    replicas: spec(rs),
    available: replicaCounts(ctx, ctx.get(rsKey(rs)) ?? rs).available,
  })
  for (let step = 0; step < 50; step++) {
    const oldRSs = olds()
    const decision = rollingUpdateStep({replicas, maxSurge: surge, maxUnavailable: unavailable, newRS: counts(newRS), oldRSs: oldRSs.map(counts)})
    let moved = false
    if (decision.scaleNew !== undefined) moved = scale(newRS, decision.scaleNew)
    for (const {rs, to} of decision.scaleOld) {
      const target = oldRSs.find((o) => o.metadata.name === rs)
      if (target) moved = scale(target, to) || moved
    }
    if (!moved) break
  }
}

function cleanupOld(ctx: Ctx, d: DeploymentObject, newRS: ReplicaSetObject | undefined): void {
  const limit: number = d.spec?.revisionHistoryLimit ?? 10
  const dead = (ctx.ownedBy(d.metadata.uid ?? '', 'ReplicaSet') as ReplicaSetObject[])
    .filter((rs) => rs.metadata.uid !== newRS?.metadata.uid)
    .filter((rs) => (rs.spec?.replicas ?? 0) === 0 && ctx.ownedBy(rs.metadata.uid ?? '', 'Pod').length === 0)
    .sort((a, b) => revisionOf(a) - revisionOf(b))
  for (const rs of dead.slice(0, Math.max(0, dead.length - limit))) {
    ctx.deleteObject(rs, 'revisionHistoryLimit')
    ctx.event('Normal', 'DeletedReplicaSet', objectKey('Deployment', d.metadata.namespace, d.metadata.name),
      `Deleted old replica set ${rs.metadata.name} (revision ${revisionOf(rs)}) beyond revisionHistoryLimit ${limit}`)
  }
}
