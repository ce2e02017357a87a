import type {KubeObject} from '../../manifests/object.js'
import {podVolumeHashes} from '../../reconcile/spec-hash.js'
import type {State} from '../../state/model.js'
import {buildPodBundle, type BundleTree, type ConfigMapData, type PodNetwork, type SecretData} from '../../host/bundle/pod-bundle.js'
import {A} from '../../manifests/annotations.js'
import type {NetworkConfig} from '../../net/config.js'
import {portMappings} from '../../net/cni-config.js'
import {podResolvConf} from '../../net/resolv-conf.js'
import {serviceEnv} from '../../net/service-env.js'
import {nodeGateway} from '../../reconcile/network.js'
import type {PodObject} from '../../reconcile/status.js'
import {ann} from '../../reconcile/util.js'
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
      secrets[o.metadata.name] = {data: o.data, stringData: o.stringData, ...(o.sops ? {sops: o.sops, name: `${namespace}/${o.metadata.name}`} : {})}
    }
  }
  return {configMaps, secrets}
}

/**
 * What the pod network gives POD on NODE (docs/networking.md): its IP from
 * reconcile, the node's resolver in resolv.conf, the Services of its
 * namespace as environment variables (those in the state now: Kubernetes
 * sets the ones that exist when the pod starts), its hostPort mappings.
 */
export function podNetwork(pod: KubeObject, node: string, state: State, config: NetworkConfig): PodNetwork {
  const p = pod as PodObject
  const ns = pod.metadata.namespace ?? 'default'
  const gateway = nodeGateway(state, node)
  const hostIP = state.nodes[node]?.address
  const services = Object.values(state.objects).filter((o) => o.kind === 'Service' && (o.metadata.namespace ?? 'default') === ns)
  const resolvConf = gateway
    ? podResolvConf({config, gateway, namespace: ns, dnsPolicy: p.spec?.dnsPolicy, dnsConfig: p.spec?.dnsConfig, hostNetwork: p.spec?.hostNetwork === true})
    : undefined
  const out: PodNetwork = {serviceEnv: p.spec?.enableServiceLinks === false ? [] : serviceEnv(services, ns)}
  const ip = ann(pod, A.podIP)
  if (ip) out.ip = ip
  if (hostIP) out.hostIP = hostIP
  if (resolvConf !== undefined) out.resolvConf = resolvConf
  const pm = portMappings(pod)
  if (pm) out.portMappings = pm
  return out
}

/**
 * Compiles the pod of a create/replace action: images already resolved,
 * ConfigMap/Secret contents from the state the plan was made with, the
 * volume hashes reconcile compares with what the host reports back, and
 * with `network:` the pod's network.
 */
export function compilePod(pod: KubeObject, node: string, specHash: string, state: State, images: ImageResolver, network?: NetworkConfig): BundleTree {
  const ns = pod.metadata.namespace ?? 'default'
  const objects = state.objects
  return buildPodBundle({
    pod,
    specHash,
    image: (ref) => images.config(pod, node, ref),
    ...configSources(objects, ns),
    volumeHashes: podVolumeHashes(pod, objects),
    ...(network ? {network: podNetwork(pod, node, state, network)} : {}),
  })
}
