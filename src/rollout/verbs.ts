/**
 * `tsctl rollout history|undo|restart|pause|resume` on the state, pure
 * (the CLI loads the state, calls these, writes the state, then syncs).
 *
 * Pins: undo, pause and resume change the workload as the state holds it
 * but keep its `tsctl.io/applied-hash` (the hash of the git object). A later
 * sync of the same commit finds the git object unchanged and leaves the
 * state's version alone, so git and the hosts do not fight; the first
 * commit that changes that object in git replaces it and the pin is gone
 * (apply-git.ts). Undo also puts back the ConfigMaps and Secrets that
 * revision's pods used (`tsctl.io/config-snapshot`), pinned the same way.
 */
import type {KubeObject} from '../manifests/object.js'
import {objectKey} from '../manifests/object.js'
import type {State} from '../state/model.js'
import {A} from '../manifests/annotations.js'
import {stableStringify} from '../reconcile/hash.js'
import {stripHash} from '../reconcile/controllers/deployment.js'
import type {ControllerRevisionObject} from '../reconcile/controllers/revisions.js'
import type {DaemonSetObject, DaemonSetStatus, DeploymentObject, DeploymentStatus, ReplicaSetObject, StatefulSetObject, StatefulSetStatus} from '../reconcile/status.js'
import {ann, clone, controllerRef, isoAt, isPaused, setAnn} from '../reconcile/util.js'
import {podReason, worstPodReason} from './pod-reason.js'

/** A workload `tsctl rollout` acts on, as the state holds it. */
type Workload = DeploymentObject | StatefulSetObject | DaemonSetObject
/** Every status field a rollout verb reads, of whichever workload kind. */
type AnyWorkloadStatus = Partial<DeploymentStatus & StatefulSetStatus & DaemonSetStatus>
/** What `tsctl.io/config-snapshot` holds per ConfigMap/Secret (spec-hash.ts configSnapshot). */
type ConfigContent = Record<'data' | 'binaryData' | 'stringData' | 'sops', unknown>

export interface RevisionInfo {
  revision: number
  /** the ReplicaSet or ControllerRevision */
  name: string
  commit?: string
  subject?: string
  author?: string
  date?: string
  /** the pod template of that revision */
  template: unknown
  /** this revision is the one the workload rolls out now */
  current: boolean
}

export type RolloutResult = {ok: true; state: State; message: string} | {ok: false; message: string}


const resource: Record<string, string> = {Deployment: 'deployment.apps', StatefulSet: 'statefulset.apps', DaemonSet: 'daemonset.apps'}

/** The revisions of a Deployment (its ReplicaSets) or StatefulSet/DaemonSet (its ControllerRevisions), oldest first. */
export function rolloutHistory(state: State, key: string): RevisionInfo[] | {error: string} {
  const w = state.objects[key] as Workload | undefined
  if (!w || !resource[w.kind]) return {error: `${key} not found (rollout history works on deployments, statefulsets and daemonsets)`}
  const uid = w.metadata.uid
  const owned = Object.values(state.objects).filter((o) => controllerRef(o)?.uid === uid)
  const out: RevisionInfo[] = []
  if (w.kind === 'Deployment') {
    const cur = ann(w, A.revision)
    for (const rs of owned.filter((o) => o.kind === 'ReplicaSet') as ReplicaSetObject[]) {
      out.push({...info(rs, Number(ann(rs, A.revision) ?? 0), stripHash(rs.spec?.template)), current: ann(rs, A.revision) === cur})
    }
  } else {
    const cur = (w.status as AnyWorkloadStatus | undefined)?.updateRevision
    for (const cr of owned.filter((o) => o.kind === 'ControllerRevision') as ControllerRevisionObject[]) {
      out.push({...info(cr, cr.revision ?? 0, cr.data?.spec?.template), current: cr.metadata.name === cur})
    }
  }
  return out.sort((a, b) => a.revision - b.revision)
}

function info(o: KubeObject, revision: number, template: unknown): Omit<RevisionInfo, 'current'> {
  const r: Omit<RevisionInfo, 'current'> = {revision, name: o.metadata.name, template}
  const put = (k: 'commit' | 'subject' | 'author' | 'date', a: string) => {
    const v = ann(o, a)
    if (v !== undefined) r[k] = v
  }
  put('commit', A.commit)
  put('subject', A.commitSubject)
  put('author', A.commitAuthor)
  put('date', A.commitDate)
  return r
}

/**
 * Roll a workload back to `toRevision` (default: the one before the
 * current), kubectl's rules and messages: an error for a paused
 * Deployment, "skipped rollback" when the template already matches.
 */
export function rolloutUndo(state: State, key: string, toRevision?: number): RolloutResult {
  const hist = rolloutHistory(state, key)
  if ('error' in hist) return {ok: false, message: hist.error}
  const w = state.objects[key] as Workload
  const ref = `${resource[w.kind]}/${w.metadata.name}`
  const kind = w.kind.toLowerCase()
  if (w.kind === 'Deployment' && isPaused(w)) {
    return {ok: false, message: `you cannot rollback a paused deployment; resume it first with 'tsctl rollout resume ${kind}/${w.metadata.name}' and try again`}
  }
  const current = hist.find((h) => h.current)
  let target: RevisionInfo | undefined
  if (toRevision) {
    target = hist.find((h) => h.revision === toRevision)
    if (!target) return {ok: false, message: `unable to find specified revision ${toRevision} in history`}
  } else {
    target = hist.filter((h) => !current || h.revision < current.revision).at(-1)
    if (!target) return {ok: false, message: `no rollout history found for ${kind} "${w.metadata.name}"`}
  }
  const want = stableStringify(stripHash(target.template))
  if (want === stableStringify(stripHash(w.spec?.template))) {
    return {ok: true, state, message: `${ref} skipped rollback (current template already matches revision ${target.revision})`}
  }
  const next = clone(state)
  const nw = next.objects[key] as Workload
  nw.spec.template = stripHash(target.template)
  setAnn(nw, A.pinnedRevision, String(target.revision))
  // restore what that revision's pods read
  const owner = Object.values(next.objects).find((o) => o.metadata.name === target!.name && controllerRef(o)?.uid === nw.metadata.uid)
  const snapshot = owner ? ann(owner, A.configSnapshot) : undefined
  if (snapshot) {
    for (const [ref2, content] of Object.entries(JSON.parse(snapshot) as Record<string, ConfigContent>)) {
      const [k, name] = ref2.split('/')
      const ckey = objectKey(k, nw.metadata.namespace, name)
      const c = next.objects[ckey]
      if (!c) continue
      // a SOPS Secret comes back encrypted, with its own sops: block (re-decrypted when its pods are compiled)
      for (const f of ['data', 'binaryData', 'stringData', 'sops'] as const) {
        if (content[f] === null || content[f] === undefined) delete c[f]
        else c[f] = content[f]
      }
      setAnn(c, A.pinnedRevision, `${key}@${target.revision}`)
    }
  }
  return {ok: true, state: next, message: `${ref} rolled back`}
}

/** `rollout restart`: a new template annotation, rolled out like any change. */
export function rolloutRestart(state: State, key: string, now: number): RolloutResult {
  const w = state.objects[key]
  if (!w || !resource[w.kind]) return {ok: false, message: `${key} not found`}
  if (w.kind === 'Deployment' && isPaused(w)) return {ok: false, message: `can't restart paused deployment (run rollout resume first)`}
  const next = clone(state)
  setAnn(next.objects[key], A.restartedAt, isoAt(now))
  return {ok: true, state: next, message: `${resource[w.kind]}/${w.metadata.name} restarted`}
}

/**
 * `rollout pause|resume` of a Deployment. Pause is an annotation kept
 * across commits (`tsctl.io/paused`), as kubectl apply keeps a live
 * `spec.paused` the manifest does not set; resume clears it and
 * `spec.paused` (pinned like undo: a commit changing the Deployment brings
 * git's `spec.paused` back).
 */
export function rolloutPause(state: State, key: string, paused: boolean): RolloutResult {
  const w = state.objects[key] as Workload | undefined
  if (!w || w.kind !== 'Deployment') return {ok: false, message: `${key} not found (only deployments can be paused)`}
  const ref = `deployment.apps/${w.metadata.name}`
  if (isPaused(w) === paused) return {ok: false, message: `${ref} is ${paused ? 'already paused' : 'not paused'}`}
  const next = clone(state)
  const nw = next.objects[key] as DeploymentObject
  nw.spec.paused = paused
  if (paused) setAnn(nw, A.paused, 'true')
  else delete nw.metadata.annotations?.[A.paused]
  return {ok: true, state: next, message: `${ref} ${paused ? 'paused' : 'resumed'}`}
}

export interface RolloutStatus {
  done: boolean
  /** the rollout passed progressDeadlineSeconds, or every new pod keeps failing its start: `rollout status` exits 5 */
  failed: boolean
  /** kubectl's wording, one line */
  message: string
  /** while not done: the worst pod and what holds it (pod-reason.ts) */
  reason?: string
}

/** The status in one line, reason included: what sync's waiting line, exit-5 message and `rollout status` print. */
export function describeRollout(s: RolloutStatus): string {
  return s.reason && !s.message.includes(s.reason) ? `${s.message} (${s.reason})` : s.message
}

/** Objects by the uid of their controller (owner reference): built once per pass by the caller, else here. */
export type OwnedIndex = ReadonlyMap<string, readonly KubeObject[]>

export function ownedIndex(state: State): OwnedIndex {
  const out = new Map<string, KubeObject[]>()
  for (const o of Object.values(state.objects)) {
    const uid = controllerRef(o)?.uid
    if (!uid) continue
    const list = out.get(uid)
    if (list) list.push(o)
    else out.set(uid, [o])
  }
  return out
}

/**
 * `rollout status` with why it is not done: the worst pod of the new
 * revision (else of the whole workload). A rollout whose every new pod keeps
 * failing its start (CrashLoopBackOff with CRASH_LOOP_RESTARTS restarts or
 * more, or Failed) fails now (exit 5) instead of waiting out the progress
 * deadline or --timeout, as Argo CD reports such an app Degraded; Kubernetes
 * itself waits for progressDeadlineSeconds (docs/sync.md).
 */
export function rolloutStatus(state: State, key: string, index?: OwnedIndex): RolloutStatus | {error: string} {
  const base = baseRolloutStatus(state, key)
  if ('error' in base || base.done || base.failed) return base
  const w = state.objects[key] as Workload
  const idx = index ?? ownedIndex(state)
  const owned = idx.get(w.metadata.uid ?? '') ?? []
  let all: KubeObject[]
  let fresh: KubeObject[]
  if (w.kind === 'Deployment') {
    const sets = owned.filter((o) => o.kind === 'ReplicaSet')
    all = sets.flatMap((rs) => (idx.get(rs.metadata.uid ?? '') ?? []).filter((o) => o.kind === 'Pod'))
    const cur = sets.find((rs) => ann(rs, A.revision) === ann(w, A.revision))
    fresh = cur ? (idx.get(cur.metadata.uid ?? '') ?? []).filter((o) => o.kind === 'Pod') : []
  } else {
    all = owned.filter((o) => o.kind === 'Pod')
    const rev = w.kind === 'StatefulSet'
      ? (w.status as AnyWorkloadStatus | undefined)?.updateRevision
      : (owned.filter((o) => o.kind === 'ControllerRevision') as ControllerRevisionObject[]).sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0]?.metadata.name
    fresh = rev ? all.filter((p) => p.metadata.labels?.['controller-revision-hash'] === rev) : []
  }
  const worst = worstPodReason(fresh) ?? worstPodReason(all)
  if (!worst) return base
  const failing = fresh.filter((p) => !p.metadata.deletionTimestamp)
  if (failing.length > 0 && failing.every((p) => podReason(p)?.failing)) {
    const what = w.kind === 'Deployment' ? 'deployment' : w.kind === 'StatefulSet' ? 'statefulset' : 'daemon set'
    return {done: false, failed: true, message: `${what} "${w.metadata.name}" cannot start its new pods: ${worst.text}`, reason: worst.text}
  }
  return {...base, reason: worst.text}
}

/** `rollout status` from the state after a pass, with kubectl's messages (rollout_status.go). */
function baseRolloutStatus(state: State, key: string): RolloutStatus | {error: string} {
  const w = state.objects[key] as Workload | undefined
  if (!w || !resource[w.kind]) return {error: `${key} not found`}
  const s: AnyWorkloadStatus = w.status ?? {}
  const name = w.metadata.name
  const observed = (s.observedGeneration ?? 0) >= (w.metadata.generation ?? 1)
  const wait = (message: string): RolloutStatus => ({done: false, failed: false, message})
  if (w.kind === 'Deployment') {
    if (!observed) return wait('Waiting for deployment spec update to be observed...')
    const p = (s.conditions ?? []).find((c) => c.type === 'Progressing')
    if (p?.reason === 'ProgressDeadlineExceeded') return {done: false, failed: true, message: `deployment "${name}" exceeded its progress deadline`}
    const replicas = w.spec?.replicas ?? 1
    const updated = s.updatedReplicas ?? 0
    if (updated < replicas) return wait(`Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`)
    if ((s.replicas ?? 0) > updated) return wait(`Waiting for deployment "${name}" rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination...`)
    if ((s.availableReplicas ?? 0) < updated) return wait(`Waiting for deployment "${name}" rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available...`)
    return {done: true, failed: false, message: `deployment "${name}" successfully rolled out`}
  }
  if (w.kind === 'StatefulSet') {
    if (!observed || !s.observedGeneration) return wait('Waiting for statefulset spec update to be observed...')
    const replicas = w.spec?.replicas ?? 1
    if ((s.readyReplicas ?? 0) < replicas) return wait(`Waiting for ${replicas - (s.readyReplicas ?? 0)} pods to be ready...`)
    const partition = w.spec?.updateStrategy?.rollingUpdate?.partition ?? 0
    if ((w.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && partition > 0) {
      if ((s.updatedReplicas ?? 0) < replicas - partition)
        return wait(`Waiting for partitioned roll out to finish: ${s.updatedReplicas ?? 0} out of ${replicas - partition} new pods have been updated...`)
      return {done: true, failed: false, message: `partitioned roll out complete: ${s.updatedReplicas ?? 0} new pods have been updated...`}
    }
    if (s.updateRevision !== s.currentRevision)
      return wait(`waiting for statefulset rolling update to complete ${s.updatedReplicas ?? 0} pods at revision ${s.updateRevision}...`)
    return {done: true, failed: false, message: `statefulset rolling update complete ${s.currentReplicas ?? 0} pods at revision ${s.currentRevision}...`}
  }
  if (!observed) return wait('Waiting for daemon set spec update to be observed...')
  const desiredN = s.desiredNumberScheduled ?? 0
  if ((s.updatedNumberScheduled ?? 0) < desiredN)
    return wait(`Waiting for daemon set "${name}" rollout to finish: ${s.updatedNumberScheduled ?? 0} out of ${desiredN} new pods have been updated...`)
  if ((s.numberAvailable ?? 0) < desiredN)
    return wait(`Waiting for daemon set "${name}" rollout to finish: ${s.numberAvailable ?? 0} of ${desiredN} updated pods are available...`)
  return {done: true, failed: false, message: `daemon set "${name}" successfully rolled out`}
}
