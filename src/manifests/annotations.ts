/**
 * Every annotation key tsctl reads or writes, defined once
 * (src/reconcile/README.md "Vocabulary"). Kubernetes' own keys are spelled
 * as its controllers spell them, so `kubectl`-minded readers recognise them.
 */
export const A = {
  managedBy: 'tsctl.io/managed-by',
  appliedHash: 'tsctl.io/applied-hash',
  source: 'tsctl.io/source',
  commit: 'tsctl.io/commit',
  commitSubject: 'tsctl.io/commit-subject',
  commitAuthor: 'tsctl.io/commit-author',
  commitDate: 'tsctl.io/commit-date',
  specHash: 'tsctl.io/spec-hash',
  slot: 'tsctl.io/slot',
  deleteReason: 'tsctl.io/delete-reason',
  orphaned: 'tsctl.io/orphaned',
  revision: 'deployment.kubernetes.io/revision',
  /** the earlier revision numbers of a ReplicaSet a rollback revived (deployment_util.go) */
  revisionHistory: 'deployment.kubernetes.io/revision-history',
  selectedNode: 'volume.kubernetes.io/selected-node',
  targetNode: 'tsctl.io/target-node',
  configSnapshot: 'tsctl.io/config-snapshot',
  pinnedRevision: 'tsctl.io/pinned-revision',
  specContent: 'tsctl.io/spec-content',
  /** `tsctl rollout restart` on a workload in the state; kept across applies of git */
  restartedAt: 'tsctl.io/restarted-at',
  /** `tsctl rollout pause` on a Deployment in the state; kept across applies of git, as `kubectl apply` keeps a live `spec.paused` */
  paused: 'tsctl.io/paused',
  /**
   * The digest each registry image of a revision (ReplicaSet, ControllerRevision,
   * Job, bare Pod) and of each pod was pinned to: JSON `{image as written: sha256:…}`
   * (src/reconcile/image-pins.ts).
   */
  imageDigests: 'tsctl.io/image-digests',
  /** a StatefulSet pod that replaces another (its uid) */
  replaces: 'tsctl.io/replaces',
  /** the StatefulSet a PersistentVolumeClaim was made for */
  statefulset: 'tsctl.io/statefulset',
  /** Kubernetes' own, written as the Deployment controller writes them */
  desiredReplicas: 'deployment.kubernetes.io/desired-replicas',
  maxReplicas: 'deployment.kubernetes.io/max-replicas',
  changeCause: 'kubernetes.io/change-cause',
  /** the IP reconcile gave a pod from its node's pod CIDR (docs/networking.md); kept while the pod lives */
  podIP: 'tsctl.io/pod-ip',
  /** what `kubectl rollout restart` sets on the pod template */
  kubectlRestartedAt: 'kubectl.kubernetes.io/restartedAt',
} as const
