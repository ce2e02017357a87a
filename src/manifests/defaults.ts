/**
 * Kubernetes' defaults, applied to desired objects after validation so that
 * everything downstream (reconcile, diff, state) sees the same explicit
 * values a Kubernetes API server would have stored. Taken from
 * pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go and
 * pkg/apis/batch/v1/defaults.go; fields tsctl marks unsupported are not
 * defaulted. Pure: returns a new object, never changes its input.
 */
import {clusterScopedKinds, type KubeObject} from './object.js'
import type {Loose} from './object-view.js'

/** The kubelet's default maxPods: the `pods` capacity of a host that says nothing else. */
export const KUBELET_MAX_PODS = 110

/** Returns `o` with every default applied (deep copy; idempotent). */
export function applyDefaults(o: KubeObject): KubeObject {
  const out: Loose = structuredClone(o)
  if (!clusterScopedKinds.has(out.kind)) out.metadata.namespace ??= 'default'
  const spec = out.spec
  switch (out.kind) {
    case 'Pod':
      podSpec(spec)
      break
    case 'Deployment':
      spec.replicas ??= 1
      spec.strategy ??= {}
      spec.strategy.type ??= 'RollingUpdate'
      if (spec.strategy.type === 'RollingUpdate') {
        spec.strategy.rollingUpdate ??= {}
        spec.strategy.rollingUpdate.maxUnavailable ??= '25%'
        spec.strategy.rollingUpdate.maxSurge ??= '25%'
      }
      spec.revisionHistoryLimit ??= 10
      spec.progressDeadlineSeconds ??= 600
      spec.minReadySeconds ??= 0
      podTemplate(spec.template)
      break
    case 'ReplicaSet':
      spec.replicas ??= 1
      spec.minReadySeconds ??= 0
      podTemplate(spec.template)
      break
    case 'StatefulSet':
      spec.replicas ??= 1
      spec.podManagementPolicy ??= 'OrderedReady'
      spec.updateStrategy ??= {}
      spec.updateStrategy.type ??= 'RollingUpdate'
      if (spec.updateStrategy.type === 'RollingUpdate') {
        spec.updateStrategy.rollingUpdate ??= {}
        spec.updateStrategy.rollingUpdate.partition ??= 0
      }
      spec.revisionHistoryLimit ??= 10
      spec.minReadySeconds ??= 0
      spec.persistentVolumeClaimRetentionPolicy ??= {}
      spec.persistentVolumeClaimRetentionPolicy.whenDeleted ??= 'Retain'
      spec.persistentVolumeClaimRetentionPolicy.whenScaled ??= 'Retain'
      for (const t of spec.volumeClaimTemplates ?? []) {
        t.spec ??= {}
        t.spec.volumeMode ??= 'Filesystem'
      }
      podTemplate(spec.template)
      break
    case 'DaemonSet':
      spec.updateStrategy ??= {}
      spec.updateStrategy.type ??= 'RollingUpdate'
      if (spec.updateStrategy.type === 'RollingUpdate') {
        spec.updateStrategy.rollingUpdate ??= {}
        spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1
        spec.updateStrategy.rollingUpdate.maxSurge ??= 0
      }
      spec.revisionHistoryLimit ??= 10
      spec.minReadySeconds ??= 0
      podTemplate(spec.template)
      break
    case 'Job':
      jobSpec(spec)
      break
    case 'CronJob':
      spec.concurrencyPolicy ??= 'Allow'
      spec.suspend ??= false
      spec.successfulJobsHistoryLimit ??= 3
      spec.failedJobsHistoryLimit ??= 1
      jobSpec(spec.jobTemplate.spec)
      break
    case 'Service':
      out.spec ??= {}
      serviceSpec(out.spec)
      break
    case 'Secret':
      out.type ??= 'Opaque'
      break
    case 'PersistentVolumeClaim':
      spec.volumeMode ??= 'Filesystem'
      break
  }
  return out
}

function jobSpec(spec: Loose): void {
  // batch/v1 SetDefaults_Job: both unset → 1 and 1; only completions set → parallelism 1.
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1
    spec.parallelism = 1
  }
  spec.parallelism ??= 1
  spec.backoffLimit ??= 6
  spec.completionMode ??= 'NonIndexed'
  spec.suspend ??= false
  podTemplate(spec.template)
}

function podTemplate(t: Loose): void {
  if (t?.spec) podSpec(t.spec)
}

function podSpec(spec: Loose): void {
  spec.restartPolicy ??= 'Always'
  spec.terminationGracePeriodSeconds ??= 30
  spec.dnsPolicy ??= 'ClusterFirst'
  for (const v of spec.volumes ?? []) volume(v)
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) container(c)
}

const volumeSources = ['emptyDir', 'hostPath', 'configMap', 'secret', 'projected', 'downwardAPI', 'persistentVolumeClaim', 'nfs', 'csi']

function volume(v: Loose): void {
  // SetDefaults_Volume: a volume without a source is an emptyDir.
  if (!volumeSources.some((s) => v[s] !== undefined)) v.emptyDir = {}
  if (v.configMap) v.configMap.defaultMode ??= 0o644
  if (v.secret) v.secret.defaultMode ??= 0o644
  if (v.projected) v.projected.defaultMode ??= 0o644
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= 0o644
    for (const it of v.downwardAPI.items ?? []) if (it.fieldRef) it.fieldRef.apiVersion ??= 'v1'
  }
  if (v.hostPath) v.hostPath.type ??= ''
  for (const s of v.projected?.sources ?? []) for (const it of s.downwardAPI?.items ?? []) if (it.fieldRef) it.fieldRef.apiVersion ??= 'v1'
}

/**
 * Always for `:latest` or an untagged registry image (what may change under
 * the same name), IfNotPresent otherwise. `oci:PATH` images are content
 * addressed layout directories in the repo: IfNotPresent.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.startsWith('oci:') || image.includes('@')) return 'IfNotPresent'
  const lastSlash = image.lastIndexOf('/')
  const colon = image.indexOf(':', lastSlash + 1)
  const tag = colon >= 0 ? image.slice(colon + 1) : ''
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent'
}

function container(c: Loose): void {
  c.imagePullPolicy ??= defaultPullPolicy(c.image)
  c.terminationMessagePath ??= '/dev/termination-log'
  c.terminationMessagePolicy ??= 'File'
  for (const p of c.ports ?? []) p.protocol ??= 'TCP'
  for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1'
  // SetDefaults_ResourceRequirements: a limit without a request is also the request.
  if (c.resources?.limits) {
    c.resources.requests ??= {}
    for (const [k, v] of Object.entries(c.resources.limits)) c.resources.requests[k] ??= v
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = c[probe]
    if (!p) continue
    p.timeoutSeconds ??= 1
    p.periodSeconds ??= 10
    p.successThreshold ??= 1
    p.failureThreshold ??= 3
    handler(p)
  }
  if (c.lifecycle?.postStart) handler(c.lifecycle.postStart)
  if (c.lifecycle?.preStop) handler(c.lifecycle.preStop)
}

function handler(h: Loose): void {
  if (h.httpGet) {
    h.httpGet.path ??= '/'
    h.httpGet.scheme ??= 'HTTP'
  }
}

function serviceSpec(spec: Loose): void {
  spec.type ??= 'ClusterIP'
  spec.sessionAffinity ??= 'None'
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster'
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP'
    p.targetPort ??= p.port
  }
}
