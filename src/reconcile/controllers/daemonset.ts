/**
 * DaemonSet (pkg/controller/daemon): one pod on every eligible node, none
 * elsewhere. Eligible, as in nodeShouldRunDaemonPod, means the scheduler's
 * node-level filters (NodeName, TaintToleration, NodeAffinity with
 * nodeSelector) accept the node, with the tolerations the DaemonSet
 * controller adds; resources are not considered (a daemon pod that does not
 * fit stays Pending on its node) and NotReady nodes stay eligible. A daemon pod is named
 * `<name>-<hash(uid, node, revision)>` and targets its node (the scheduler
 * then checks resources and ports on that one node).
 *
 * RollingUpdate (maxUnavailable, default 1, a percentage rounds up against
 * the number of nodes that should run the pod; maxSurge 0): old-revision
 * pods that are not available are replaced first and freely; available ones
 * only while fewer than maxUnavailable daemon pods are unavailable. A
 * replaced pod is deleted first; its successor is created in the pass after
 * the host confirms the old one is gone (host ports stay free). A node past
 * its grace period (NotReady) keeps its pod and gets no new one.
 */
import type {Toleration} from '../../manifests/generated/index.js'
import type {KubeObject} from '../../manifests/object.js'
import {keyOf} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {nameSuffix, stableUid} from '../hash.js'
import {schedulerNodes} from '../scheduling.js'
import type {DaemonSetObject, DaemonSetStatus} from '../status.js'
import {ann, clone, effectiveTemplate, isActive, isAvailable, isReady, nodeNameOf, scaledValue} from '../util.js'
import {createSnapshot, explain} from '../scheduler/schedule.js'
import {podFromTemplate} from './pod-from-template.js'
import {ensureRevision} from './revisions.js'

const REV = 'controller-revision-hash'

/** The scheduler filters that decide whether a daemon pod belongs on a node at all. */
const nodeLevel = new Set(['NodeName', 'NodeUnschedulable', 'TaintToleration', 'NodeAffinity'])

/** Tolerations the DaemonSet controller adds to every daemon pod (util/daemonset_util.go). */
export const daemonTolerations: Toleration[] = [
  {key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute'},
  {key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute'},
  {key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule'},
  {key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule'},
  {key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule'},
  {key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule'},
]

export function syncDaemonSet(ctx: Ctx, d0: KubeObject): void {
  if (ann(d0, A.orphaned)) return
  const ds = clone(d0) as DaemonSetObject
  const key = keyOf(d0)
  const uid = ds.metadata.uid as string
  const template = effectiveTemplate(ds)
  const minReady: number = ds.spec?.minReadySeconds ?? 0
  const rev = ensureRevision(ctx, ds, template, ds.spec?.revisionHistoryLimit ?? 10)
  const nodes = schedulerNodes(ctx)
  const probe = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name: `${ds.metadata.name}-probe`, namespace: ds.metadata.namespace, labels: template.metadata?.labels ?? {}},
    spec: {...(template.spec ?? {}), nodeName: undefined, tolerations: [...(template.spec?.tolerations ?? []), ...daemonTolerations]},
  }
  const verdicts = explain(createSnapshot(schedulerNodes(ctx, true), []), probe).nodes
  const podNode = (p: KubeObject) => nodeNameOf(p) ?? ann(p, A.targetNode) ?? ''
  const grouped = new Map<string, string[]>()
  for (const p of ctx.ownedBy(uid, 'Pod')) grouped.set(podNode(p), [...(grouped.get(podNode(p)) ?? []), keyOf(p)])
  // the pods of one node, as they are now (deletions in this loop only touch that node)
  const onNode = (n: string) => (grouped.get(n) ?? []).map((k) => ctx.get(k)).filter((p): p is KubeObject => !!p)

  const eligible: string[] = []
  let misscheduled = 0
  for (const node of nodes) {
    const rec = ctx.state.nodes[node.name]
    const v = verdicts[node.name]
    const mismatch = v && !v.fits && nodeLevel.has(v.plugin ?? '') ? (v.reasons ?? []).join(', ') || v.plugin! : null
    const mine = onNode(node.name).filter((p) => !p.metadata.deletionTimestamp)
    if (mismatch) {
      for (const p of mine) ctx.deletePod(p, `DaemonSet ${ds.metadata.name} should not run on ${node.name}: ${mismatch}`)
      misscheduled += mine.length
      continue
    }
    eligible.push(node.name)
    if (rec && !rec.ready) continue
    const live = mine.filter(isActive)
    for (const p of mine.filter((x) => !isActive(x))) ctx.deletePod(p, `daemon pod ${p.metadata.name} ended; replacing it`)
    if (live.length > 1) {
      // keep the newest revision, then the oldest pod
      const keep = [...live].sort((a, b) =>
        (a.metadata.labels?.[REV] === rev.metadata.name ? 0 : 1) - (b.metadata.labels?.[REV] === rev.metadata.name ? 0 : 1) ||
        ((a.metadata.creationTimestamp ?? '') < (b.metadata.creationTimestamp ?? '') ? -1 : 1))[0]
      for (const p of live) if (p !== keep) ctx.deletePod(p, `more than one daemon pod on ${node.name}`)
    }
    if (onNode(node.name).length === 0) {
      const name = `${ds.metadata.name}-${nameSuffix(uid, node.name, rev.metadata.name)}`
      const pod = podFromTemplate(ctx, ds, template, name, stableUid(uid, 'pod', node.name, rev.metadata.name), {
        labels: {[REV]: rev.metadata.name},
        annotations: {[A.targetNode]: node.name},
        spec: {tolerations: [...(template.spec?.tolerations ?? []), ...daemonTolerations]},
        holder: rev,
      })
      ctx.put(pod)
      ctx.event('Normal', 'SuccessfulCreate', key, `Created pod: ${name} for node ${node.name}`)
    }
  }

  // rolling update
  const current = () => ctx.ownedBy(uid, 'Pod').filter((p) => !p.metadata.deletionTimestamp && isActive(p))
  if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    const maxUnavailable = scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable, eligible.length, true, 1)
    const byNode = new Map<string, KubeObject>()
    for (const p of current()) byNode.set(nodeNameOf(p) ?? ann(p, A.targetNode) ?? '', p)
    let unavailable = eligible.filter((n) => {
      const p = byNode.get(n)
      return !p || !isAvailable(p, minReady, ctx.now)
    }).length
    const old = [...byNode.values()].filter((p) => p.metadata.labels?.[REV] !== rev.metadata.name)
    for (const p of old.filter((x) => !isAvailable(x, minReady, ctx.now))) ctx.deletePod(p, `update DaemonSet ${ds.metadata.name} to ${rev.metadata.name}`)
    for (const p of old.filter((x) => isAvailable(x, minReady, ctx.now))) {
      if (unavailable >= maxUnavailable) break
      ctx.deletePod(p, `update DaemonSet ${ds.metadata.name} to ${rev.metadata.name}`)
      unavailable++
    }
  }

  const live = current().filter((p) => eligible.includes(nodeNameOf(p) ?? ann(p, A.targetNode) ?? ''))
  const status: DaemonSetStatus & {numberAvailable: number} = {
    observedGeneration: ds.metadata.generation ?? 1,
    desiredNumberScheduled: eligible.length,
    currentNumberScheduled: live.filter((p) => nodeNameOf(p)).length,
    numberMisscheduled: misscheduled,
    numberReady: live.filter(isReady).length,
    updatedNumberScheduled: live.filter((p) => p.metadata.labels?.[REV] === rev.metadata.name).length,
    numberAvailable: live.filter((p) => isAvailable(p, minReady, ctx.now)).length,
  }
  ds.status = status
  status.numberUnavailable = Math.max(0, eligible.length - status.numberAvailable)
  ctx.put(ds)
}
