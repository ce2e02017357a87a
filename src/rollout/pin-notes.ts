import type {Desired} from '../manifests/desired.js'
import {keyOf} from '../manifests/object.js'
import {contentHash} from '../reconcile/hash.js'
import type {State} from '../state/model.js'
import {A} from '../manifests/annotations.js'
import {escapeControl as u} from '../render/untrusted.js'

/** A workload (or ConfigMap/Secret) `rollout undo` pinned in the state, and whether a commit lifts the pin. */
export interface PinNote {
  object: string
  /** the revision (workload) or `workload@revision` (a restored ConfigMap/Secret) */
  pinnedRevision: string
  /** the commit changes this object in git: the pin ends and git's version rolls out */
  lifted: boolean
}

/**
 * The pins of `state` as seen by a sync of `desired`: held while the git
 * object is the one last applied (`tsctl.io/applied-hash`), lifted by a
 * commit that changes it — the rule of reconcile/apply-git.ts.
 */
export function pinNotes(state: State, desired: Desired): PinNote[] {
  const git = new Map(desired.objects.map((d) => [keyOf(d.object), contentHash(d.object)]))
  const out: PinNote[] = []
  for (const [key, o] of Object.entries(state.objects)) {
    const pin = o.metadata.annotations?.[A.pinnedRevision]
    if (!pin || o.kind === 'ReplicaSet') continue
    out.push({object: key, pinnedRevision: pin, lifted: git.get(key) !== o.metadata.annotations?.[A.appliedHash]})
  }
  return out.sort((a, b) => (a.object < b.object ? -1 : 1))
}

/** One line per pin for `tsctl diff`'s text output (the revision is an annotation value: escaped). */
export function renderPinNotes(notes: PinNote[]): string {
  return notes
    .map((n) => n.lifted
      ? `pin lifted: ${u(n.object)} (pinned at ${u(n.pinnedRevision)} by rollout undo) changes in this commit; git's version rolls out\n`
      : `pinned: ${u(n.object)} stays at ${u(n.pinnedRevision)} (rollout undo) until a commit changes it\n`)
    .join('')
}
