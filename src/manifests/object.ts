/**
 * The shape every object shares, whatever its kind, and how objects are
 * named. Kind-specific types are generated from `schemas/` into
 * `src/manifests/generated/`; this file holds only what code handling
 * objects of any kind needs.
 */
export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
}

export interface ObjectMeta {
  name: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  /** Set by tsctl: a hash of stable inputs, never random (see reconcile/README.md). */
  uid?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  ownerReferences?: OwnerReference[]
  generateName?: string
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  [field: string]: unknown
}

/** Where an object came from in the repo. `doc` is the 0-based document index in a multi-document file. */
export interface ObjectSource {
  file: string
  doc: number
  line: number
  col: number
}

/** Kinds whose names are not scoped by a namespace. */
export const clusterScopedKinds: ReadonlySet<string> = new Set(['Node', 'Namespace', 'PersistentVolume'])

/**
 * The one way to name an object: `Kind/namespace/name`, or `Kind/name` for a
 * cluster-scoped kind. Used as the key of every map in the state and plan.
 */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return clusterScopedKinds.has(kind) ? `${kind}/${name}` : `${kind}/${namespace || 'default'}/${name}`
}

export function keyOf(o: KubeObject): string {
  return objectKey(o.kind, o.metadata.namespace, o.metadata.name)
}
