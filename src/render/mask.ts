import type {KubeObject} from '../manifests/object.js'
import type {State} from '../state/model.js'
import {A} from '../manifests/annotations.js'

/** What every Secret value is shown as, in every output format. */
export const SENSITIVE = '(sensitive)'

/**
 * The one place secrets are masked. A Secret's `data` and `stringData`
 * values, and any annotation that could carry a copy of them (a
 * last-applied configuration), become `(sensitive)`; keys stay visible so
 * users can see which keys exist and which changed. Returns a copy.
 */
export function maskObject(o: KubeObject): KubeObject {
  if (o.kind !== 'Secret') return maskSnapshot(o)
  const copy = structuredClone(o)
  for (const field of ['data', 'stringData'] as const) {
    const m = copy[field]
    if (m && typeof m === 'object') for (const k of Object.keys(m)) (m as Record<string, unknown>)[k] = SENSITIVE
  }
  const ann = copy.metadata.annotations
  if (ann) for (const k of Object.keys(ann)) if (/last-applied/i.test(k)) ann[k] = SENSITIVE
  return copy
}

/** Where `rollout undo` keeps the ConfigMap/Secret contents a revision's pods used (on ReplicaSets and ControllerRevisions). */
const SNAPSHOT = A.configSnapshot

/** The Secret values inside a revision's config snapshot, masked; ConfigMaps stay readable. */
function maskSnapshot(o: KubeObject): KubeObject {
  const text = o.metadata.annotations?.[SNAPSHOT]
  if (!text) return o
  let snap: Record<string, Record<string, unknown> | null>
  try {
    snap = JSON.parse(text)
  } catch {
    const copy = structuredClone(o)
    copy.metadata.annotations![SNAPSHOT] = SENSITIVE
    return copy
  }
  for (const [ref, content] of Object.entries(snap)) {
    if (!ref.startsWith('Secret/') || !content) continue
    for (const field of ['data', 'stringData']) {
      const m = content[field]
      if (m && typeof m === 'object') for (const k of Object.keys(m)) (m as Record<string, unknown>)[k] = SENSITIVE
    }
  }
  const copy = structuredClone(o)
  copy.metadata.annotations![SNAPSHOT] = JSON.stringify(snap)
  return copy
}

/** A copy of the state with every Secret masked (`tsctl state show`). */
export function maskState(s: State): State {
  const objects: State['objects'] = {}
  for (const [k, o] of Object.entries(s.objects)) objects[k] = maskObject(o)
  return {...s, objects}
}

/** Whether a field path of an object of `kind` holds a secret value. */
export function isSensitivePath(kind: string, path: string): boolean {
  return kind === 'Secret' && /^(data|stringData)(\.|\[|$)/.test(path)
}
