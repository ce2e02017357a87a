/**
 * The status blocks tsctl's controllers write, shaped as the Kubernetes API
 * types they mirror (core/v1 PodStatus, apps/v1 DeploymentStatus, …), and
 * the objects as the state holds them: the manifest's generated type
 * (src/manifests/generated) with the status added. Manifests carry no
 * status, so these are not generated from schemas/: they are what tsctl
 * itself records and what `get`, `describe` and `-o json` print.
 */
import type {CronJob, DaemonSet, Deployment, Job, Node, PersistentVolumeClaim, Pod, ReplicaSet, Service, StatefulSet} from '../manifests/generated/index.js'
import type {KubeObject} from '../manifests/object.js'

/** A condition of any status (metav1.Condition's fields as the core types use them). */
export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown' | string
  reason?: string
  message?: string
  lastTransitionTime?: string
  lastUpdateTime?: string
  lastProbeTime?: string
}

export interface ContainerStateRunning {
  startedAt?: string
}
export interface ContainerStateTerminated {
  exitCode?: number
  reason?: string
  message?: string
  startedAt?: string
  finishedAt?: string
}
export interface ContainerStateWaiting {
  reason?: string
  message?: string
}

/** core/v1 ContainerState: exactly one member is set. */
export interface ContainerState {
  running?: ContainerStateRunning
  terminated?: ContainerStateTerminated
  waiting?: ContainerStateWaiting
}

/** core/v1 ContainerStatus, the fields tsctl fills. */
export interface ContainerStatus {
  name: string
  ready: boolean
  restartCount: number
  started?: boolean
  state?: ContainerState
  lastState?: ContainerState
  image?: string
  imageID?: string
}

/** core/v1 PodStatus, the fields tsctl fills. */
export interface PodStatus {
  phase?: string
  conditions?: Condition[]
  containerStatuses?: ContainerStatus[]
  initContainerStatuses?: ContainerStatus[]
  podIP?: string
  hostIP?: string
  startTime?: string
  /** `Missing` when the host lost a pod the state says runs (drift), `Unschedulable`, … */
  reason?: string
  message?: string
  nominatedNodeName?: string
}

/** apps/v1 DeploymentStatus. */
export interface DeploymentStatus {
  observedGeneration: number
  replicas: number
  updatedReplicas: number
  readyReplicas: number
  availableReplicas: number
  unavailableReplicas?: number
  collisionCount?: number
  conditions?: Condition[]
}

/** apps/v1 ReplicaSetStatus. */
export interface ReplicaSetStatus {
  replicas: number
  fullyLabeledReplicas?: number
  readyReplicas?: number
  availableReplicas?: number
  observedGeneration?: number
}

/** apps/v1 StatefulSetStatus. */
export interface StatefulSetStatus {
  observedGeneration?: number
  replicas: number
  readyReplicas?: number
  currentReplicas?: number
  updatedReplicas?: number
  availableReplicas?: number
  currentRevision?: string
  updateRevision?: string
  collisionCount?: number
}

/** apps/v1 DaemonSetStatus. */
export interface DaemonSetStatus {
  currentNumberScheduled: number
  numberMisscheduled: number
  desiredNumberScheduled: number
  numberReady: number
  updatedNumberScheduled?: number
  numberAvailable?: number
  numberUnavailable?: number
  observedGeneration?: number
}

/** batch/v1 JobStatus. */
export interface JobStatus {
  active?: number
  succeeded?: number
  failed?: number
  ready?: number
  startTime?: string
  completionTime?: string
  conditions?: Condition[]
}

/** batch/v1 CronJobStatus. */
export interface CronJobStatus {
  active?: {kind: string; name: string; namespace?: string; uid?: string}[]
  lastScheduleTime?: string
  lastSuccessfulTime?: string
}

/** core/v1 PersistentVolumeClaimStatus (tsctl binds a claim to one node). */
export interface PersistentVolumeClaimStatus {
  phase?: string
}

/** core/v1 NodeStatus: Ready from tsctl's reach of the host, capacity detected or declared. */
export interface NodeCondition extends Condition {
  lastHeartbeatTime?: string
}
export interface NodeStatus {
  conditions?: NodeCondition[]
  capacity?: Record<string, string | number>
}

type Held<T, S> = KubeObject & T & {status?: S}

export type PodObject = Held<Pod, PodStatus>
export type DeploymentObject = Held<Deployment, DeploymentStatus>
export type ReplicaSetObject = Held<ReplicaSet, ReplicaSetStatus>
export type StatefulSetObject = Held<StatefulSet, StatefulSetStatus>
export type DaemonSetObject = Held<DaemonSet, DaemonSetStatus>
export type JobObject = Held<Job, JobStatus>
export type CronJobObject = Held<CronJob, CronJobStatus>
export type ClaimObject = Held<PersistentVolumeClaim, PersistentVolumeClaimStatus>
export type NodeObject = Held<Node, NodeStatus>
export type ServiceObject = KubeObject & Service

/** A pod as the state holds it (the type, not a check: the state's Pod entries are pods). */
export function asPod(o: KubeObject): PodObject {
  return o as PodObject
}
