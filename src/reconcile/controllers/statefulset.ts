/**
 * StatefulSet (pkg/controller/statefulset, stateful_set_control.go):
 * pods `<name>-<ordinal>` with stable identity (hostname, subdomain =
 * serviceName) and one PersistentVolumeClaim per volumeClaimTemplate and
 * ordinal, `<template>-<name>-<ordinal>`, bound to the node of its first pod.
 *
 * - OrderedReady: ordinal i is created only when 0…i−1 are Running and
 *   Ready; scale-down removes the highest ordinal first, one at a time: it
 *   waits until the pod deleted before has terminated, and until every pod
 *   is healthy unless the one to delete is the first unhealthy one.
 *   Parallel: all at once.
 * - RollingUpdate: from the highest ordinal down to `partition`, one pod at
 *   a time, each waiting for the previous one to be Running and Ready. The
 *   pod keeps its name and node and is replaced in place (ReplacePod, new
 *   UID). Ordinals below the partition stay at the current revision.
 *   OnDelete: pods change only when they are recreated.
 * - Its pods are never moved off an unreachable node: at most one pod of
 *   each identity ever runs.
 */
import type {PersistentVolumeClaimTemplate, PodSpec, Volume} from '../../manifests/generated/index.js'
import type {KubeObject} from '../../manifests/object.js'
import {keyOf, objectKey} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {stableUid} from '../hash.js'
import type {ClaimObject, PodObject, StatefulSetObject, StatefulSetStatus} from '../status.js'
import {ann, clone, effectiveTemplate, isActive, isAvailable, isReady, podPhase, setAnn} from '../util.js'
import {observedPodOf} from '../refresh.js'
import {podFromTemplate} from './pod-from-template.js'
import {type ControllerRevisionObject, ensureRevision} from './revisions.js'

const REV = 'controller-revision-hash'

function ordinalOf(sts: KubeObject, pod: KubeObject): number {
  const m = new RegExp(`^${sts.metadata.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`).exec(pod.metadata.name)
  return m ? Number(m[1]) : -1
}

export function syncStatefulSet(ctx: Ctx, s0: KubeObject): void {
  if (ann(s0, A.orphaned)) return
  const sts = clone(s0) as StatefulSetObject
  const key = keyOf(s0)
  const uid = sts.metadata.uid as string
  const ns = sts.metadata.namespace as string
  const replicas: number = sts.spec?.replicas ?? 1
  const parallel = sts.spec?.podManagementPolicy === 'Parallel'
  const strategy = sts.spec?.updateStrategy?.type ?? 'RollingUpdate'
  const partition: number = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0
  const template = effectiveTemplate(sts)
  const updateRev = ensureRevision(ctx, sts, template, sts.spec?.revisionHistoryLimit ?? 10)
  const currentRevName: string = sts.status?.currentRevision ?? updateRev.metadata.name
  const currentRev = (ctx.get(objectKey('ControllerRevision', ns, currentRevName)) as ControllerRevisionObject | undefined) ?? updateRev

  const podsByOrdinal = new Map<number, KubeObject>()
  for (const p of ctx.ownedBy(uid, 'Pod')) {
    const i = ordinalOf(sts, p)
    if (i >= 0) podsByOrdinal.set(i, p)
  }
  const revFor = (i: number) => (i >= partition || strategy !== 'RollingUpdate' ? updateRev : currentRev)
  const build = (i: number, rev: ControllerRevisionObject): PodObject => {
    const name = `${sts.metadata.name}-${i}`
    const t = clone(rev.data?.spec?.template ?? template)
    const volumes: Volume[] = [...(t.spec?.volumes ?? [])]
    for (const vct of sts.spec?.volumeClaimTemplates ?? []) {
      const claim = `${vct.metadata.name}-${sts.metadata.name}-${i}`
      ensureClaim(ctx, sts, vct, claim)
      const at = volumes.findIndex((v) => v.name === vct.metadata.name)
      const v = {name: vct.metadata.name, persistentVolumeClaim: {claimName: claim}}
      if (at >= 0) volumes[at] = v
      else volumes.push(v)
    }
    const spec: Partial<PodSpec> = {hostname: name}
    if (sts.spec?.serviceName) spec.subdomain = sts.spec.serviceName
    if (volumes.length) spec.volumes = volumes
    return podFromTemplate(ctx, sts, t, name, stableUid(uid, 'pod', i, rev.metadata.name), {
      labels: {[REV]: rev.metadata.name, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(i)},
      spec,
      holder: rev,
    })
  }
  const healthy = (p: KubeObject | undefined) => !!p && isActive(p) && podPhase(p) === 'Running' && isReady(p)

  // create and repair, in ordinal order. OrderedReady: a new ordinal waits
  // for every lower one to be Running and Ready; a pod a host already runs
  // under its name (a lost state) is taken back at once, never started twice.
  const onHost = (i: number) => ctx.runsOnHost(ns, `${sts.metadata.name}-${i}`)
  let blocked = false
  for (let i = 0; i < replicas; i++) {
    const p = podsByOrdinal.get(i)
    if (p && p.metadata.deletionTimestamp) {
      if (!parallel) blocked = true
      continue
    }
    if (p && podPhase(p) === 'Failed') {
      ctx.deletePod(p, `StatefulSet ${sts.metadata.name} recreates failed pod`)
      if (!parallel) blocked = true
      continue
    }
    if (!p) {
      if (blocked && !onHost(i)) continue
      const pod = build(i, revFor(i))
      ctx.put(pod)
      podsByOrdinal.set(i, pod)
      ctx.event('Normal', 'SuccessfulCreate', key, `create Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`)
      if (!parallel && !onHost(i)) blocked = true
      continue
    }
    if (!parallel && !healthy(p)) blocked = true
  }
  const allHealthy = () => [...Array(replicas).keys()].every((i) => healthy(podsByOrdinal.get(i)))

  // condemned ordinals, highest first (processCondemned in stateful_set_control.go). OrderedReady
  // waits while the pod it deleted last is still terminating, and deletes the highest only when it
  // is the first unhealthy pod or every pod is healthy (replicas in ordinal order, then condemned).
  const outOfRange = [...podsByOrdinal.entries()].filter(([i]) => i >= replicas).sort((a, b) => b[0] - a[0])
  const condemned = outOfRange.filter(([, p]) => !p.metadata.deletionTimestamp)
  // terminating until its host confirms it gone (finalizeDeleted forgets it at the end of this pass)
  const stillTerminating = outOfRange.some(([, p]) => {
    if (!p.metadata.deletionTimestamp) return false
    const seen = observedPodOf(ctx, p)
    return !seen.reachable || seen.pod !== undefined
  })
  const firstUnhealthy = [...[...Array(replicas).keys()].map((i) => podsByOrdinal.get(i)), ...outOfRange.map(([, p]) => p)].find((p) => p && !healthy(p))
  for (const [i, p] of condemned) {
    if (!parallel && (stillTerminating || (firstUnhealthy !== undefined && firstUnhealthy !== p))) break
    ctx.deletePod(p, `scale down StatefulSet ${sts.metadata.name} (ordinal ${i} ≥ ${replicas})`)
    ctx.event('Normal', 'SuccessfulDelete', key, `delete Pod ${p.metadata.name} in StatefulSet ${sts.metadata.name} successful`)
    if (!parallel) break
  }

  // rolling update: highest ordinal first, down to the partition, one at a time
  if (strategy === 'RollingUpdate' && condemned.length === 0) {
    for (let i = replicas - 1; i >= partition; i--) {
      const p = podsByOrdinal.get(i)
      if (!p) break
      if (p.metadata.labels?.[REV] === updateRev.metadata.name) {
        if (!healthy(p)) break
        continue
      }
      if (!allHealthy()) break
      const next = build(i, updateRev)
      next.spec.nodeName = (p as PodObject).spec?.nodeName
      next.status = {phase: 'Pending', conditions: (p as PodObject).status?.conditions?.filter((c) => c.type === 'PodScheduled')}
      setAnn(next, A.replaces, p.metadata.uid)
      ctx.put(next)
      podsByOrdinal.set(i, next)
      ctx.event('Normal', 'SuccessfulUpdate', key, `update Pod ${p.metadata.name} to revision ${updateRev.metadata.name}`)
      break
    }
  }

  // status
  const pods = [...podsByOrdinal.values()].filter((p) => isActive(p) && ctx.get(keyOf(p)))
  const updated = pods.filter((p) => p.metadata.labels?.[REV] === updateRev.metadata.name).length
  const status: StatefulSetStatus = {
    observedGeneration: sts.metadata.generation ?? 1,
    replicas: pods.length,
    readyReplicas: pods.filter(isReady).length,
    availableReplicas: pods.filter((p) => isAvailable(p, sts.spec?.minReadySeconds ?? 0, ctx.now)).length,
    currentReplicas: pods.filter((p) => p.metadata.labels?.[REV] === currentRev.metadata.name).length,
    updatedReplicas: updated,
    currentRevision: currentRev.metadata.name,
    updateRevision: updateRev.metadata.name,
  }
  if (updated === replicas && pods.length === replicas && status.readyReplicas === replicas) {
    status.currentRevision = updateRev.metadata.name
    status.currentReplicas = updated
  }
  sts.status = status
  ctx.put(sts)
}

function ensureClaim(ctx: Ctx, sts: StatefulSetObject, vct: PersistentVolumeClaimTemplate, name: string): void {
  const key = objectKey('PersistentVolumeClaim', sts.metadata.namespace, name)
  if (ctx.get(key)) return
  const c: ClaimObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace: sts.metadata.namespace,
      uid: stableUid('claim', key),
      creationTimestamp: ctx.nowIso,
      labels: {...(sts.spec?.selector?.matchLabels ?? {}), ...(vct.metadata?.labels ?? {})},
      // Retain, Kubernetes' default persistentVolumeClaimRetentionPolicy: the
      // claim outlives its pod and its StatefulSet, so no owner reference
      annotations: {[A.statefulset]: sts.metadata.name},
    },
    spec: clone(vct.spec ?? {}),
    status: {phase: 'Pending'},
  }
  ctx.put(c)
  ctx.event('Normal', 'SuccessfulCreate', keyOf(sts), `create Claim ${name} for StatefulSet ${sts.metadata.name} successful`)
}

