import type {KubeObject} from '../manifests/object.js'

/**
 * The plan is data: a closed union of actions, each with a human reason.
 * `tsctl diff` renders it, `tsctl sync` executes exactly it, nothing
 * re-decides in between (Terraform's rule). Actions for one node run in the
 * order listed; different nodes run in parallel. Ordering across nodes
 * (StatefulSet ordinals, rolling-update steps) comes from reconciling again
 * after observing, never from the executor.
 */
export type Action = CreatePod | DeletePod | ReplacePod | UpdateFiles | DeleteClaim | ConfigureNetwork

interface ActionBase {
  node: string
  /** objectKey of the pod (or claim) the action is about */
  target: string
  /** why, in words a user reads in `diff`: "scale up deployment/web 2→3" */
  reason: string
}

/** Start a pod that does not run on the node. `pod` is complete: uid, spec.nodeName, resolved defaults. */
export interface CreatePod extends ActionBase {
  type: 'create'
  pod: KubeObject
  specHash: string
}

/** Stop a pod (preStop, SIGTERM, grace period, SIGKILL) and remove it from the node. */
export interface DeletePod extends ActionBase {
  type: 'delete'
  uid: string
  gracePeriodSeconds: number
}

/**
 * Stop the pod and start its new spec under the same name (a bare Pod whose
 * spec changed; StatefulSet pods keep their identity).
 */
export interface ReplacePod extends ActionBase {
  type: 'replace'
  oldUid: string
  oldSpecHash: string
  pod: KubeObject
  specHash: string
  gracePeriodSeconds: number
}

/** Swap the files of a ConfigMap/Secret volume in a running pod (atomic symlink swap, no restart). */
export interface UpdateFiles extends ActionBase {
  type: 'updateFiles'
  uid: string
  volume: string
  source: {kind: 'ConfigMap' | 'Secret'; name: string}
  contentHash: string
}

/** Remove a PersistentVolumeClaim's host directory after the claim was deleted from git. */
export interface DeleteClaim extends ActionBase {
  type: 'deleteClaim'
  claim: string
}

/**
 * Give a node its pod network files (bridge and IPAM config, routes to the
 * other nodes, Service rules, names): docs/networking.md. Target `Node/NAME`.
 * Runs before the node's other actions, so a pod that starts finds its
 * network and a pod that stops has left the Service rules first.
 */
export interface ConfigureNetwork extends ActionBase {
  type: 'network'
  /** content hash of `files`, reported back by the host's status once applied */
  hash: string
  /** path (docs/networking.md) → content */
  files: Record<string, string>
}

export interface Plan {
  actions: Action[]
}

export function emptyPlan(): Plan {
  return {actions: []}
}
