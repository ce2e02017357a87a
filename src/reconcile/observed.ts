/**
 * What the hosts report: the truth about the world. Produced by
 * `tsctl-runtime status` (one call per host), consumed by reconcile.
 * A node that could not be reached has `reachable: false` and no pods:
 * reconcile must not read that as "all its pods are gone".
 */
export interface Observed {
  nodes: Record<string, ObservedNode>
}

export interface ObservedNode {
  name: string
  reachable: boolean
  /** epoch ms of the observation */
  observedAt: number
  error?: string
  /** detected from the host (cpus, memory) when reachable */
  capacity?: {cpu: string; memory: string; pods: string}
  /** the host's architecture as image platforms name it (amd64, arm64), from status */
  arch?: string
  /** hash of the network files the host has applied and still has in place (status `net` line; docs/networking.md) */
  netHash?: string
  /** the address the CLI reached the host on (status `addr` line, from $SSH_CONNECTION) */
  address?: string
  pods: ObservedPod[]
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown'

export interface ObservedPod {
  namespace: string
  name: string
  uid: string
  /** hash of the pod bundle the host runs; equal hash = nothing to do */
  specHash: string
  phase: PodPhase
  /** all containers ready (and the pod is not terminating) */
  ready: boolean
  /** epoch ms when the pod became ready last, for minReadySeconds */
  readySince?: number
  /** epoch ms when the pod's supervisor started */
  startedAt?: number
  /** the pod's address when the host gives pods their own (Endpoints use it) */
  podIP?: string
  /** content hashes of ConfigMap/Secret volumes as the host has them, by volume name */
  volumeHashes?: Record<string, string>
  initContainers: ObservedContainer[]
  containers: ObservedContainer[]
}

export interface ObservedContainer {
  name: string
  state: 'waiting' | 'running' | 'terminated'
  /** e.g. CrashLoopBackOff, OOMKilled, Completed, Error */
  reason?: string
  exitCode?: number
  restartCount: number
  ready: boolean
  startedAt?: number
  finishedAt?: number
  /** why the previous run ended (Kubernetes' lastState.terminated.reason), e.g. OOMKilled while in CrashLoopBackOff */
  lastTerminationReason?: string
  lastExitCode?: number
}

export function emptyObserved(): Observed {
  return {nodes: {}}
}
