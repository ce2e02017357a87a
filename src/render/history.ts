import {type KubeObject} from '../manifests/object.js'
import type {State} from '../state/model.js'
import {commitAnnotations, controllerOf, field, revisionAnnotation} from './kube.js'
import {renderTable} from './table.js'
import {escapeControl} from './untrusted.js'

/** One revision of a workload, as `tsctl rollout history` shows it. */
export interface Revision {
  revision: number
  /** the ReplicaSet or ControllerRevision that holds it */
  object: string
  commit: {sha: string; subject: string; author: string; date: string} | null
  /** the pod template of that revision */
  template: unknown
}

/**
 * The revisions of a Deployment (its ReplicaSets, numbered by the
 * `deployment.kubernetes.io/revision` annotation) or of a StatefulSet or
 * DaemonSet (its ControllerRevisions), oldest first, each with the commit
 * that made it (annotations the controllers write; null when absent).
 */
export function revisionsOf(workload: KubeObject, state: State): Revision[] {
  const mine = (o: KubeObject) => {
    const c = controllerOf(o)
    return !!c && c.kind === workload.kind && (c.uid === workload.metadata.uid || c.name === workload.metadata.name) && (o.metadata.namespace ?? 'default') === (workload.metadata.namespace ?? 'default')
  }
  const holders = Object.values(state.objects).filter((o) => (workload.kind === 'Deployment' ? o.kind === 'ReplicaSet' : o.kind === 'ControllerRevision') && mine(o))
  return holders
    .map((o) => {
      const a = o.metadata.annotations ?? {}
      const revision = Number(o.kind === 'ReplicaSet' ? a[revisionAnnotation] : (field<number>(o, 'revision') ?? a[revisionAnnotation]))
      const sha = a[commitAnnotations.sha]
      return {
        revision: Number.isFinite(revision) ? revision : 0,
        object: `${o.kind}/${o.metadata.name}`,
        commit: sha ? {sha, subject: a[commitAnnotations.subject] ?? '', author: a[commitAnnotations.author] ?? '', date: a[commitAnnotations.date] ?? ''} : null,
        template: o.kind === 'ReplicaSet' ? field(o, 'spec.template') : (field(o, 'data.spec.template') ?? field(o, 'data')),
      }
    })
    .sort((a, b) => a.revision - b.revision)
}

/** kubectl's `rollout history` table plus the commit columns. */
export function renderHistory(title: string, revs: Revision[]): string {
  // the commit columns are annotations copied from git: a subject may carry any bytes its committer typed
  const rows = revs.map((r) => [String(r.revision), r.commit?.sha.slice(0, 7) ?? '<none>', r.commit?.subject ?? '<none>', r.commit?.author ?? '<none>', r.commit?.date ?? '<none>'].map(escapeControl))
  return `${escapeControl(title)}\n` + renderTable(['REVISION', 'COMMIT', 'SUBJECT', 'AUTHOR', 'DATE'], rows)
}
