/**
 * Which kinds tsctl runs, and which well-known Kubernetes kinds it accepts
 * in a repo but skips (one warning each, never an error: a repo shared with
 * a real cluster keeps its RBAC, Ingress, … objects).
 */
import {manifestKinds} from './generated/index.js'

/** Kinds tsctl runs: exactly those with a schema in schemas/. */
export const runKinds: ReadonlySet<string> = new Set(manifestKinds)

/** Kubernetes kinds tsctl knows about and skips, with why. */
export const skippedKinds: ReadonlyMap<string, string> = new Map([
  ['ServiceAccount', 'there is no API server, so no service account tokens'],
  ['Role', 'there is no API server to authorize against'],
  ['ClusterRole', 'there is no API server to authorize against'],
  ['RoleBinding', 'there is no API server to authorize against'],
  ['ClusterRoleBinding', 'there is no API server to authorize against'],
  ['Ingress', 'there is no ingress controller; use a Service of type NodePort'],
  ['IngressClass', 'there is no ingress controller'],
  ['NetworkPolicy', 'pod traffic is not filtered'],
  ['HorizontalPodAutoscaler', 'replicas are exactly what the manifest says'],
  ['VerticalPodAutoscaler', 'requests are exactly what the manifest says'],
  ['PodDisruptionBudget', 'there are no voluntary evictions to budget'],
  ['PersistentVolume', 'claims are served by local directories (local-path)'],
  ['StorageClass', 'claims are served by local directories (local-path)'],
  ['LimitRange', 'there is no admission control'],
  ['ResourceQuota', 'there is no admission control'],
  ['PriorityClass', 'there is no preemption'],
  ['CustomResourceDefinition', 'there is no API server to extend'],
  ['APIService', 'there is no API server to extend'],
  ['MutatingWebhookConfiguration', 'there is no admission control'],
  ['ValidatingWebhookConfiguration', 'there is no admission control'],
  ['ValidatingAdmissionPolicy', 'there is no admission control'],
  ['Endpoints', 'endpoints are computed from ready pods'],
  ['EndpointSlice', 'endpoints are computed from ready pods'],
  ['ReplicationController', 'use a Deployment or ReplicaSet'],
  ['PodTemplate', 'templates live inside workloads'],
  ['RuntimeClass', 'every pod runs in the bundled host runtime'],
  ['CSIDriver', 'there are no CSI drivers'],
  ['Lease', 'there is no leader election among pods'],
  ['Event', 'events are not stored'],
  ['Gateway', 'there is no gateway controller'],
  ['GatewayClass', 'there is no gateway controller'],
  ['HTTPRoute', 'there is no gateway controller'],
  ['List', 'write the items as separate documents'],
])
