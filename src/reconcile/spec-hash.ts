/**
 * The identity of a pod as a host runs it. Exported for the runtime and the
 * executor: the host reports the hash it was given, and reconcile compares.
 *
 * - `podSpecHash` covers the pod's name, namespace, labels, annotations the
 *   downward API could show, its spec (without `nodeName`: where it runs is
 *   not what it runs) and the content of every ConfigMap/Secret its
 *   environment reads (`env[].valueFrom`, `envFrom`), because env is baked
 *   into the process at start: a change there needs a new pod.
 * - ConfigMap/Secret *volumes* are not in the spec hash: their files change
 *   under a running pod (UpdateFiles, the kubelet's atomic symlink swap).
 *   `podVolumeHashes` gives their content hashes by volume name; the host
 *   reports what it has in `ObservedPod.volumeHashes`.
 */
import type {KubeObject} from '../manifests/object.js'
import {objectKey} from '../manifests/object.js'
import {contentHash} from './hash.js'
import type {PodSpec, PodTemplateSpec, Volume} from '../manifests/generated/index.js'
import type {PodObject} from './status.js'

/** Objects by objectKey (state.objects has this shape). */
export type ObjectIndex = Record<string, KubeObject>

function configContent(objects: ObjectIndex, kind: 'ConfigMap' | 'Secret', ns: string, name: string): unknown {
  const o = objects[objectKey(kind, ns, name)] as (KubeObject & {data?: unknown; binaryData?: unknown; stringData?: unknown; sops?: unknown}) | undefined
  if (!o) return null
  // a SOPS Secret is kept encrypted (src/secrets/): its identity is its ciphertext and `sops:` block
  return {data: o.data ?? null, binaryData: o.binaryData ?? null, stringData: o.stringData ?? null, ...(o.sops !== undefined ? {sops: o.sops} : {})}
}

function envRefs(spec: Partial<PodSpec> | undefined): Array<['ConfigMap' | 'Secret', string]> {
  const refs: Array<['ConfigMap' | 'Secret', string]> = []
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) refs.push(['ConfigMap', e.valueFrom.configMapKeyRef.name])
      if (e.valueFrom?.secretKeyRef?.name) refs.push(['Secret', e.valueFrom.secretKeyRef.name])
    }
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef?.name) refs.push(['ConfigMap', e.configMapRef.name])
      if (e.secretRef?.name) refs.push(['Secret', e.secretRef.name])
    }
  }
  return refs
}

/** Stable hash of the pod as the host will run it (see the file comment). */
export function podSpecHash(pod: KubeObject, objects: ObjectIndex): string {
  const ns = pod.metadata.namespace ?? 'default'
  const spec: Partial<PodSpec> = {...((pod as PodObject).spec ?? {})}
  delete spec.nodeName
  const env: Record<string, unknown> = {}
  for (const [kind, name] of envRefs(spec)) env[`${kind}/${name}`] = configContent(objects, kind, ns, name)
  const meta = pod.metadata
  const userAnnotations = Object.fromEntries(Object.entries(meta.annotations ?? {}).filter(([k]) => !k.startsWith('tsctl.io/')))
  return contentHash({name: meta.name, namespace: ns, labels: meta.labels ?? {}, annotations: userAnnotations, spec, env})
}

/** ConfigMap/Secret sources of one volume (projected volumes have several). */
function volumeSources(v: Volume): Array<{kind: 'ConfigMap' | 'Secret'; name: string; items?: unknown}> {
  const out: Array<{kind: 'ConfigMap' | 'Secret'; name: string; items?: unknown}> = []
  if (v.configMap?.name) out.push({kind: 'ConfigMap', name: v.configMap.name, items: v.configMap.items})
  if (v.secret?.secretName) out.push({kind: 'Secret', name: v.secret.secretName, items: v.secret.items})
  for (const s of v.projected?.sources ?? []) {
    if (s.configMap?.name) out.push({kind: 'ConfigMap', name: s.configMap.name, items: s.configMap.items})
    if (s.secret?.name) out.push({kind: 'Secret', name: s.secret.name, items: s.secret.items})
  }
  return out
}

/** The first ConfigMap/Secret a volume reads, for UpdateFiles' `source`. */
export function volumeSource(pod: KubeObject, volume: string): {kind: 'ConfigMap' | 'Secret'; name: string} | undefined {
  const v = ((pod as PodObject).spec?.volumes ?? []).find((x) => x.name === volume)
  const s = v ? volumeSources(v)[0] : undefined
  return s ? {kind: s.kind, name: s.name} : undefined
}

/** Content hash of each ConfigMap/Secret-backed volume of the pod, by volume name. */
export function podVolumeHashes(pod: KubeObject, objects: ObjectIndex): Record<string, string> {
  const ns = pod.metadata.namespace ?? 'default'
  const out: Record<string, string> = {}
  for (const v of (pod as PodObject).spec?.volumes ?? []) {
    const sources = volumeSources(v)
    if (sources.length === 0) continue
    out[v.name] = contentHash(sources.map((s) => ({...s, content: configContent(objects, s.kind, ns, s.name)})))
  }
  return out
}

/**
 * The ConfigMaps and Secrets a pod template reads (env and volumes), with
 * their content as the state holds it now, by `Kind/name`. Stored on each
 * ReplicaSet and ControllerRevision (`tsctl.io/config-snapshot`) so
 * `rollout undo` can restore what that revision's pods used.
 */
export function configSnapshot(template: PodTemplateSpec | undefined, namespace: string, objects: ObjectIndex): Record<string, unknown> {
  const refs = new Set<string>()
  for (const [kind, name] of envRefs(template?.spec)) refs.add(`${kind}/${name}`)
  for (const v of template?.spec?.volumes ?? []) for (const s of volumeSources(v)) refs.add(`${s.kind}/${s.name}`)
  const out: Record<string, unknown> = {}
  for (const ref of [...refs].sort()) {
    const [kind, name] = ref.split('/') as ['ConfigMap' | 'Secret', string]
    const c = configContent(objects, kind, namespace, name)
    if (c) out[ref] = c
  }
  return out
}
