/**
 * Fixture builders with realistic defaults (kube's `wrappers.go` style): a
 * test states only what it is about.
 *
 *   pod('web').req('500m', '256Mi').sel({zone: 'a'})
 *   node('a').cap('4', '8Gi').taint('dedicated', 'batch', 'NoSchedule')
 *
 * Defaults: a pod is in namespace `default`, labelled `app: <name>`, with one
 * container requesting 100m CPU and 128Mi; a node has 4 CPUs, 8Gi and 110
 * pods, and is Ready.
 */
import type {KubeObject} from '../../../src/manifests/object.js'
import type {ContainerSpec, LabelSelector, NodeSelectorRequirement, SchedulerNode, SchedulingPodSpec, Taint, Toleration, TopologySpreadConstraint} from '../../../src/reconcile/scheduler/types.js'
import {createSnapshot, explain, schedulePod, type ScheduleResult} from '../../../src/reconcile/scheduler/schedule.js'
import type {Snapshot} from '../../../src/reconcile/scheduler/snapshot.js'

export const hostname = 'kubernetes.io/hostname'
export const zoneKey = 'topology.kubernetes.io/zone'

export class PodBuilder {
  private readonly meta: KubeObject['metadata']
  private readonly spec: SchedulingPodSpec

  constructor(name: string) {
    this.meta = {name, namespace: 'default', labels: {app: name}}
    this.spec = {containers: [{name: 'app', image: 'nginx:1.27', resources: {requests: {cpu: '100m', memory: '128Mi'}}}]}
  }

  ns(namespace: string): this {
    this.meta.namespace = namespace
    return this
  }

  labels(labels: Record<string, string>): this {
    this.meta.labels = labels
    return this
  }

  uid(uid: string): this {
    this.meta.uid = uid
    return this
  }

  /** Requests of the (first) container; undefined leaves that resource unrequested. */
  req(cpu?: string, memory?: string, extra: Record<string, string> = {}): this {
    const requests: Record<string, string> = {...extra}
    if (cpu !== undefined) requests.cpu = cpu
    if (memory !== undefined) requests.memory = memory
    this.spec.containers[0].resources = {requests}
    return this
  }

  /** No requests at all (a best-effort pod). */
  bestEffort(): this {
    this.spec.containers[0].resources = {}
    return this
  }

  container(name: string, cpu: string, memory: string): this {
    this.spec.containers.push({name, image: 'busybox:1.36', resources: {requests: {cpu, memory}}})
    return this
  }

  init(cpu: string, memory: string, sidecar = false): this {
    const c: ContainerSpec = {name: `init-${(this.spec.initContainers ?? []).length}`, image: 'busybox:1.36', resources: {requests: {cpu, memory}}}
    if (sidecar) c.restartPolicy = 'Always'
    ;(this.spec.initContainers ??= []).push(c)
    return this
  }

  overhead(cpu: string, memory: string): this {
    this.spec.overhead = {cpu, memory}
    return this
  }

  sel(nodeSelector: Record<string, string>): this {
    this.spec.nodeSelector = nodeSelector
    return this
  }

  nodeName(name: string): this {
    this.spec.nodeName = name
    return this
  }

  tolerate(key: string | undefined, value: string | undefined, effect?: Toleration['effect'], operator: Toleration['operator'] = value === undefined ? 'Exists' : 'Equal'): this {
    ;(this.spec.tolerations ??= []).push({key, value, effect, operator})
    return this
  }

  /** Required node affinity: one term with these expressions (and fields). */
  nodeAffinity(matchExpressions: NodeSelectorRequirement[], matchFields?: NodeSelectorRequirement[]): this {
    const na = ((this.spec.affinity ??= {}).nodeAffinity ??= {})
    const terms = (na.requiredDuringSchedulingIgnoredDuringExecution ??= {nodeSelectorTerms: []}).nodeSelectorTerms
    terms.push({matchExpressions, ...(matchFields ? {matchFields} : {})})
    return this
  }

  preferNode(weight: number, matchExpressions: NodeSelectorRequirement[]): this {
    const na = ((this.spec.affinity ??= {}).nodeAffinity ??= {})
    ;(na.preferredDuringSchedulingIgnoredDuringExecution ??= []).push({weight, preference: {matchExpressions}})
    return this
  }

  hostPort(port: number, protocol: 'TCP' | 'UDP' | 'SCTP' = 'TCP', hostIP?: string): this {
    ;(this.spec.containers[0].ports ??= []).push({containerPort: port, hostPort: port, protocol, ...(hostIP ? {hostIP} : {})})
    return this
  }

  claim(claimName: string): this {
    ;(this.spec.volumes ??= []).push({name: claimName, persistentVolumeClaim: {claimName}})
    return this
  }

  private podTerm(kind: 'podAffinity' | 'podAntiAffinity', required: boolean, match: Record<string, string> | LabelSelector, topologyKey: string, weight = 100, namespaces?: string[]): this {
    const rules = ((this.spec.affinity ??= {})[kind] ??= {})
    const labelSelector = 'matchLabels' in match || 'matchExpressions' in match ? (match as LabelSelector) : {matchLabels: match as Record<string, string>}
    const term = {labelSelector, topologyKey, ...(namespaces ? {namespaces} : {})}
    if (required) (rules.requiredDuringSchedulingIgnoredDuringExecution ??= []).push(term)
    else (rules.preferredDuringSchedulingIgnoredDuringExecution ??= []).push({weight, podAffinityTerm: term})
    return this
  }

  affinity(match: Record<string, string> | LabelSelector, topologyKey = hostname, namespaces?: string[]): this {
    return this.podTerm('podAffinity', true, match, topologyKey, 0, namespaces)
  }

  antiAffinity(match: Record<string, string> | LabelSelector, topologyKey = hostname, namespaces?: string[]): this {
    return this.podTerm('podAntiAffinity', true, match, topologyKey, 0, namespaces)
  }

  preferAffinity(weight: number, match: Record<string, string>, topologyKey = hostname): this {
    return this.podTerm('podAffinity', false, match, topologyKey, weight)
  }

  preferAnti(weight: number, match: Record<string, string>, topologyKey = hostname): this {
    return this.podTerm('podAntiAffinity', false, match, topologyKey, weight)
  }

  spread(maxSkew: number, topologyKey: string, whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway', match: Record<string, string>, extra: Pick<TopologySpreadConstraint, 'minDomains' | 'nodeTaintsPolicy' | 'nodeAffinityPolicy'> = {}): this {
    ;(this.spec.topologySpreadConstraints ??= []).push({maxSkew, topologyKey, whenUnsatisfiable, labelSelector: {matchLabels: match}, ...extra})
    return this
  }

  /** Owned by a controller, e.g. ('ReplicaSet', 'web-7d9f'): kube's default spreading applies. */
  owner(kind: string, name: string): this {
    this.meta.ownerReferences = [{apiVersion: 'apps/v1', kind, name, uid: `uid-${kind}-${name}`, controller: true}]
    return this
  }

  /** Bound: spec.nodeName set, as pods read from the state are. */
  on(node: string): KubeObject {
    return {...this.build(), spec: {...this.spec, nodeName: node}}
  }

  build(): KubeObject {
    return {apiVersion: 'v1', kind: 'Pod', metadata: this.meta, spec: this.spec}
  }
}

export class NodeBuilder {
  readonly node: SchedulerNode

  constructor(name: string) {
    this.node = {name, labels: {}, taints: [], unschedulable: false, ready: true, allocatable: {cpu: '4', memory: '8Gi', pods: 110}}
  }

  cap(cpu: string | number, memory: string, pods: number = 110, extra: Record<string, string | number> = {}): this {
    this.node.allocatable = {cpu, memory, pods, ...extra}
    return this
  }

  labels(labels: Record<string, string>): this {
    Object.assign(this.node.labels!, labels)
    return this
  }

  zone(z: string): this {
    return this.labels({[zoneKey]: z})
  }

  taint(key: string, value: string | undefined, effect: Taint['effect']): this {
    this.node.taints!.push({key, ...(value === undefined ? {} : {value}), effect})
    return this
  }

  cordon(): this {
    this.node.unschedulable = true
    return this
  }

  notReady(): this {
    this.node.ready = false
    return this
  }
}

export const pod = (name: string) => new PodBuilder(name)
export const node = (name: string) => new NodeBuilder(name)

type PodLike = PodBuilder | KubeObject
const asPod = (p: PodLike): KubeObject => (p instanceof PodBuilder ? p.build() : p)

/** A snapshot of these nodes with these pods bound (use `pod(…).on('node')`). */
export function fleet(nodes: NodeBuilder[], bound: KubeObject[] = [], claims?: Record<string, string>): Snapshot {
  return createSnapshot(
    nodes.map((n) => n.node),
    bound,
    claims,
  )
}

/** Schedule and, when it fits, assume — what a reconcile pass does per pod. */
export function place(s: Snapshot, p: PodLike): ScheduleResult {
  const obj = asPod(p)
  const r = schedulePod(s, obj)
  if (r.ok) s.assume(obj, r.node)
  return r
}

/** The node chosen, or the failure message. */
export function where(s: Snapshot, p: PodLike): string {
  const r = place(s, p)
  return r.ok ? r.node : r.message
}

/** The reasons the named node was rejected with (empty when it fits). */
export function rejected(s: Snapshot, p: PodLike, nodeName: string): string[] {
  const v = explain(s, asPod(p)).nodes[nodeName]
  return v.fits ? [] : (v.reasons ?? [])
}

/** One plugin's weighted score per feasible node. */
export function scoresOf(s: Snapshot, p: PodLike, plugin: string): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {}
  for (const [name, v] of Object.entries(explain(s, asPod(p)).nodes)) if (v.fits) out[name] = v.scores?.[plugin]
  return out
}
