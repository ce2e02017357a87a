import type {KubeObject} from '../../manifests/object.js'
import {podVolumeHashes} from '../../reconcile/spec-hash.js'
import type {State} from '../../state/model.js'
import {buildPodBundle, type BundleTree, type ConfigMapData, type SecretData} from '../../host/bundle/pod-bundle.js'
import type {ImageResolver} from './images.js'

/** The ConfigMaps and Secrets of NAMESPACE in the state, by name, as the bundle compiler takes them. */
export function configSources(objects: State['objects'], namespace: string): {configMaps: Record<string, ConfigMapData>; secrets: Record<string, SecretData>} {
  const configMaps: Record<string, ConfigMapData> = {}
  const secrets: Record<string, SecretData> = {}
  const cm = `ConfigMap/${namespace}/`
  const sec = `Secret/${namespace}/`
  for (const key in objects) {
    if (key.startsWith(cm)) {
      const o = objects[key] as KubeObject & ConfigMapData
      configMaps[o.metadata.name] = {data: o.data, binaryData: o.binaryData}
    } else if (key.startsWith(sec)) {
      const o = objects[key] as KubeObject & SecretData
      secrets[o.metadata.name] = {data: o.data, stringData: o.stringData}
    }
  }
  return {configMaps, secrets}
}

/**
 * Compiles the pod of a create/replace action: images already resolved,
 * ConfigMap/Secret contents from the state the plan was made with, and the
 * volume hashes reconcile compares with what the host reports back.
 */
export function compilePod(pod: KubeObject, node: string, specHash: string, objects: State['objects'], images: ImageResolver): BundleTree {
  const ns = pod.metadata.namespace ?? 'default'
  return buildPodBundle({
    pod,
    specHash,
    image: (ref) => images.config(pod, node, ref),
    ...configSources(objects, ns),
    volumeHashes: podVolumeHashes(pod, objects),
  })
}
