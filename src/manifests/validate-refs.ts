/**
 * References from pods to other objects of the same commit: ConfigMaps and
 * Secrets (env valueFrom, envFrom, volumes, projected volumes, and the keys
 * they name) and PersistentVolumeClaims. Kubernetes accepts a pod whose
 * references are missing and makes it wait until they exist, so a missing
 * object or key is a warning here (with "did you mean" for a near name),
 * not an error: the pod waits (reconcile/config-wait.ts, and the scheduler
 * for claims) until a commit adds it. `validate --strict` fails on it.
 * `optional: true` references are silent, as in Kubernetes. A reference
 * with no name at all is an error, as the API server's validation makes it.
 */
import {objectKey} from './object.js'
import {type Checked, type Loose, podSpecPointer} from './object-view.js'
import type {Report} from './report.js'
import {didYouMean} from './suggest.js'

/** What the checks can refer to: object key → the keys of its data. */
export type RefIndex = ReadonlyMap<string, ReadonlySet<string>>

/** The keys a ConfigMap (data, binaryData) or Secret (data, stringData) offers: what env and volume items may name. */
export function dataKeys(kind: 'ConfigMap' | 'Secret', object: unknown): Set<string> {
  const keys = new Set<string>()
  for (const f of kind === 'ConfigMap' ? ['data', 'binaryData'] : ['data', 'stringData']) {
    const d = (object as Record<string, unknown> | undefined)?.[f]
    if (d && typeof d === 'object') for (const k of Object.keys(d)) keys.add(k)
  }
  return keys
}

/** Builds the index from every object that has a kind and a name, valid or not (so one bad ConfigMap does not cascade). */
export function buildRefIndex(objects: {kind: string; namespace: string; name: string; object: Loose}[]): RefIndex {
  const index = new Map<string, Set<string>>()
  for (const o of objects) {
    const keys = o.kind === 'ConfigMap' || o.kind === 'Secret' ? dataKeys(o.kind, o.object) : new Set<string>()
    // a duplicate is reported elsewhere; the first (in file order) is the one referred to
    const key = objectKey(o.kind, o.namespace, o.name)
    if (!index.has(key)) index.set(key, keys)
  }
  return index
}

export function validateRefs(c: Checked, index: RefIndex, report: Report): void {
  const pointer = podSpecPointer(c.kind)
  if (!pointer) return
  const spec = pointer.split('/').slice(1).reduce((v: Loose, k) => v?.[k], c.object)
  if (!spec) return
  const names = (kind: string) => [...index.keys()].filter((k) => k.startsWith(`${kind}/${c.namespace}/`)).map((k) => k.slice(kind.length + c.namespace.length + 2))

  /** Checks one reference; `keys` are the data keys it needs. */
  const ref = (p: string, kind: 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim', name: unknown, keys: {key: string; p: string}[], optional: boolean) => {
    if (typeof name !== 'string' || name === '') {
      report.error(c.at, p, `the ${kind} name is missing`)
      return
    }
    const found = index.get(objectKey(kind, c.namespace, name))
    if (!found) {
      if (optional) return
      const close = didYouMean(name, names(kind))
      const waits = kind === 'PersistentVolumeClaim' ? 'the pod stays Pending (unschedulable)' : 'the pod waits (CreateContainerConfigError)'
      report.warn(c.at, p, `${kind} "${name}" does not exist in namespace ${c.namespace}: ${waits} until a commit adds it`, close ? `did you mean "${close}"?` : `add a ${kind} named ${name}${kind === 'PersistentVolumeClaim' ? '' : ', or set optional: true'}`)
      return
    }
    for (const k of keys) {
      if (found.has(k.key) || optional) continue
      const close = didYouMean(k.key, found)
      report.warn(c.at, k.p, `${kind} "${name}" has no key "${k.key}": the pod waits until it has`, close ? `did you mean "${close}"?` : found.size ? `its keys: ${[...found].sort().join(', ')}` : `${kind} "${name}" has no data`)
    }
  }

  for (const list of ['initContainers', 'containers']) {
    ;(spec[list] ?? []).forEach((ct: Loose, i: number) => {
      const p = `${pointer}/${list}/${i}`
      ;(ct.env ?? []).forEach((e: Loose, j: number) => {
        const vf = e.valueFrom ?? {}
        const ep = `${p}/env/${j}/valueFrom`
        if (vf.configMapKeyRef) ref(`${ep}/configMapKeyRef/name`, 'ConfigMap', vf.configMapKeyRef.name, [{key: vf.configMapKeyRef.key, p: `${ep}/configMapKeyRef/key`}], !!vf.configMapKeyRef.optional)
        if (vf.secretKeyRef) ref(`${ep}/secretKeyRef/name`, 'Secret', vf.secretKeyRef.name, [{key: vf.secretKeyRef.key, p: `${ep}/secretKeyRef/key`}], !!vf.secretKeyRef.optional)
      })
      ;(ct.envFrom ?? []).forEach((e: Loose, j: number) => {
        const ep = `${p}/envFrom/${j}`
        if (e.configMapRef) ref(`${ep}/configMapRef/name`, 'ConfigMap', e.configMapRef.name, [], !!e.configMapRef.optional)
        if (e.secretRef) ref(`${ep}/secretRef/name`, 'Secret', e.secretRef.name, [], !!e.secretRef.optional)
        if (!e.configMapRef === !e.secretRef) report.error(c.at, ep, 'envFrom needs exactly one of configMapRef, secretRef')
      })
    })
  }
  const items = (p: string, list: Loose[] | undefined) => (list ?? []).map((it: Loose, k: number) => ({key: it.key, p: `${p}/items/${k}/key`}))
  ;(spec.volumes ?? []).forEach((v: Loose, i: number) => {
    const p = `${pointer}/volumes/${i}`
    if (v.configMap) ref(`${p}/configMap/name`, 'ConfigMap', v.configMap.name, items(`${p}/configMap`, v.configMap.items), !!v.configMap.optional)
    if (v.secret) ref(`${p}/secret/secretName`, 'Secret', v.secret.secretName, items(`${p}/secret`, v.secret.items), !!v.secret.optional)
    if (v.persistentVolumeClaim) ref(`${p}/persistentVolumeClaim/claimName`, 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName, [], false)
    ;(v.projected?.sources ?? []).forEach((s: Loose, j: number) => {
      const sp = `${p}/projected/sources/${j}`
      if (s.configMap) ref(`${sp}/configMap/name`, 'ConfigMap', s.configMap.name, items(`${sp}/configMap`, s.configMap.items), !!s.configMap.optional)
      if (s.secret) ref(`${sp}/secret/name`, 'Secret', s.secret.name, items(`${sp}/secret`, s.secret.items), !!s.secret.optional)
    })
  })
}
