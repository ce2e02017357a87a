/**
 * The shapes the generators of this folder read: a node as the network sees
 * it, and core/v1 Endpoints as the state holds them (written by
 * src/reconcile/controllers/endpoints.ts, or from git for a Service without
 * a selector); Services and Pods reduced to the fields read here, so the
 * state's objects (`KubeObject`, `ServiceObject`, `PodObject`) are passed
 * as they are.
 */
import type {PodSpec, ServiceSpec} from '../manifests/generated/index.js'
import type {ObjectMeta} from '../manifests/object.js'

/** A node of the pod network: `state.nodes[name]`'s podCIDR and address. */
export interface NetNode {
  name: string
  /** the node's pod CIDR (`10.244.1.0/24`); empty or malformed: the node has no pod network yet */
  podCIDR: string
  /** the IPv4 address other nodes reach it on (routes, vxlan); absent until known */
  address?: string
}

/** core/v1 EndpointAddress, the fields the network reads. */
export interface NetEndpointAddress {
  ip?: string
  nodeName?: string
  /** set by hand on a selector-less Service's Endpoints; the controller's pods get theirs from spec.hostname */
  hostname?: string
  targetRef?: {kind?: string; namespace?: string; name?: string; uid?: string}
}

/** core/v1 EndpointPort. */
export interface NetEndpointPort {
  name?: string
  port: number
  protocol?: 'TCP' | 'UDP' | 'SCTP'
}

/** core/v1 EndpointSubset. */
export interface NetEndpointSubset {
  addresses?: NetEndpointAddress[]
  notReadyAddresses?: NetEndpointAddress[]
  ports?: NetEndpointPort[]
}

/** core/v1 Endpoints, named after its Service. A state object (`KubeObject`) of kind Endpoints is one: cast it. */
export interface NetEndpoints {
  metadata: {name: string; namespace?: string}
  subsets?: NetEndpointSubset[]
}

/** A Service as the state holds it: `spec.clusterIP` and `spec.ports[].nodePort` allocated. */
export interface NetService {
  metadata: ObjectMeta
  spec?: ServiceSpec
}

/** A Pod as the state holds it. */
export interface NetPod {
  metadata: ObjectMeta
  spec?: PodSpec
}

/** `namespace/name`, namespace defaulted as the state does. */
export function nsName(o: {metadata: {name: string; namespace?: string}}): string {
  return `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`
}
