/**
 * ControllerRevisions: the template history of StatefulSets and DaemonSets
 * (pkg/controller/history). Named `<owner>-<hash>`, numbered, and stamped
 * with the commit that produced them, so `rollout history` can list them.
 * A template that returns to an earlier revision reuses it with the next
 * number, as Kubernetes does.
 */
import type {PodTemplateSpec} from '../../manifests/generated/index.js'
import type {KubeObject} from '../../manifests/object.js'
import {objectKey} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {stableStringify, stableUid, templateHash} from '../hash.js'
import {ann, clone, ownerRefTo, setAnn} from '../util.js'
import {configSnapshot} from '../spec-hash.js'
import {pinHolder} from '../image-pins.js'

/** apps/v1 ControllerRevision as tsctl stores it: the owner's pod template (`data.spec.template`) and its number. */
export type ControllerRevisionObject = KubeObject & {
  apiVersion: 'apps/v1'
  kind: 'ControllerRevision'
  data?: {spec?: {template?: PodTemplateSpec}}
  revision?: number
}

export function revisionsOf(ctx: Ctx, owner: KubeObject): ControllerRevisionObject[] {
  const revs = ctx.ownedBy(owner.metadata.uid ?? '', 'ControllerRevision') as ControllerRevisionObject[]
  return revs.sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))
}

/**
 * Record on a ReplicaSet or ControllerRevision the commit that produced it
 * (for `rollout history`) and the ConfigMaps/Secrets its template reads
 * (for `rollout undo`), and pin its registry images (image-pins.ts; pins
 * already there are kept, so a revived revision runs the bytes it ran).
 */
export function stampCommit(ctx: Ctx, o: KubeObject, template: PodTemplateSpec): void {
  pinHolder(ctx, o, template)
  const commit = ctx.desired.commit
  setAnn(o, A.configSnapshot, JSON.stringify(configSnapshot(template, o.metadata.namespace ?? 'default', ctx.state.objects)))
  setAnn(o, A.commit, commit.sha)
  setAnn(o, A.commitSubject, commit.subject)
  setAnn(o, A.commitAuthor, commit.author)
  setAnn(o, A.commitDate, commit.date)
}

/** The revision holding `template`, created or renumbered as needed; returns its name. */
export function ensureRevision(ctx: Ctx, owner: KubeObject, template: PodTemplateSpec, historyLimit: number): ControllerRevisionObject {
  const data = {spec: {template}}
  const text = stableStringify(data)
  const revs = revisionsOf(ctx, owner)
  const max = Math.max(0, ...revs.map((r) => r.revision ?? 0))
  const stamp = (r: ControllerRevisionObject) => stampCommit(ctx, r, template)
  let found = revs.find((r) => stableStringify(r.data) === text)
  if (found) {
    if (found.revision !== max) {
      const r = clone(found)
      r.revision = max + 1
      if (!ann(owner, A.pinnedRevision)) stamp(r)
      ctx.put(r)
      found = r
    }
  } else {
    const hash = templateHash(text)
    const r: ControllerRevisionObject = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${owner.metadata.name}-${hash}`,
        namespace: owner.metadata.namespace,
        uid: stableUid(owner.metadata.uid ?? '', 'ControllerRevision', hash),
        creationTimestamp: ctx.nowIso,
        labels: {...(template?.metadata?.labels ?? {}), 'controller.kubernetes.io/hash': hash},
        ownerReferences: [ownerRefTo(owner)],
      },
      data,
      revision: max + 1,
    }
    stamp(r)
    ctx.put(r)
    found = r
  }
  // history limit: oldest revisions not used by any pod go first
  const all = revisionsOf(ctx, owner)
  const used = new Set(ctx.ownedBy(owner.metadata.uid ?? '', 'Pod').map((p) => p.metadata.labels?.['controller-revision-hash']))
  const removable = all.filter((r) => r.metadata.name !== found!.metadata.name && !used.has(r.metadata.name))
  for (const r of removable.slice(0, Math.max(0, all.length - Math.max(1, historyLimit)))) {
    ctx.remove(objectKey('ControllerRevision', r.metadata.namespace, r.metadata.name))
  }
  return found!
}
