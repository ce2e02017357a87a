/**
 * Pods whose ConfigMaps, Secrets or keys are missing wait, as the kubelet
 * makes them wait: a manifest may name a Secret kept outside the repo, or
 * one a later commit adds, and Kubernetes accepts the pod all the same.
 * Validation warns (src/manifests/validate-refs.ts, `validate --strict`
 * fails); here such a pod is bound to its node but not started, with the
 * kubelet's reason and message on its container statuses:
 *   - env (valueFrom, envFrom): waiting `CreateContainerConfigError`,
 *     `configmap "x" not found`, `couldn't find key k in Secret ns/x`;
 *   - a configMap/secret/projected volume: waiting `ContainerCreating`,
 *     event FailedMount `MountVolume.SetUp failed for volume "v" : …`.
 * A volume of a type no tsctl host can mount (UNMOUNTABLE_VOLUME_TYPES)
 * holds the pod the same way. `optional: true` references never hold a pod. A commit that adds the
 * object lets the pod start in that pass. A pod already running keeps
 * running (the kubelet does not re-read env, and keeps a volume's last
 * files); a replacement waits and the old incarnation runs on (documented
 * in reconcile/README.md). Claims that do not exist hold a pod in the
 * scheduler instead (scheduling.ts, `persistentvolumeclaim "x" not found`).
 * Pure.
 */
import type {Container, PodSpec} from '../manifests/generated/index.js'
import {keyOf, objectKey, type KubeObject} from '../manifests/object.js'
import {dataKeys} from '../manifests/validate-refs.js'
import type {Ctx} from './context.js'
import type {ObjectIndex} from './spec-hash.js'
import type {ContainerStatus, PodObject} from './status.js'
import {setCondition} from './util.js'

/** Why a pod cannot start yet: which containers wait and the kubelet's words. */
export interface ConfigWait {
  /** CreateContainerConfigError (env) or ContainerCreating (a volume could not be set up) */
  reason: 'CreateContainerConfigError' | 'ContainerCreating'
  message: string
  /** the event the kubelet records: Failed (env) or FailedMount (volume) */
  event: {reason: 'Failed' | 'FailedMount'; message: string}
}

/**
 * Volume sources a tsctl host cannot mount (Kubernetes' in-tree cloud and
 * network plugins, flexVolume, generic ephemeral and image volumes): the
 * schema accepts them with a warning, the pod waits in ContainerCreating
 * naming the type. test/unit/reconcile/config-wait.test.ts keeps this list
 * equal to the schema's.
 */
export const UNMOUNTABLE_VOLUME_TYPES: readonly string[] = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'ephemeral', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk',
  'gitRepo', 'glusterfs', 'image', 'iscsi', 'photonPersistentDisk', 'portworxVolume', 'quobyte', 'rbd', 'scaleIO', 'storageos', 'vsphereVolume',
]

type Source = 'ConfigMap' | 'Secret'
const lower: Record<Source, string> = {ConfigMap: 'configmap', Secret: 'secret'}


/** The first missing, non-optional reference of the pod, in the kubelet's order (volumes are set up before env is made). */
export function configWaitOf(pod: KubeObject, objects: ObjectIndex): ConfigWait | undefined {
  const ns = pod.metadata.namespace ?? 'default'
  const spec = ((pod as PodObject).spec ?? {}) as Partial<PodSpec>
  /** undefined when present, else the kubelet's message */
  const check = (kind: Source, name: string | undefined, key: string | undefined, optional: boolean | undefined): string | undefined => {
    if (optional || !name) return undefined
    const o = objects[objectKey(kind, ns, name)]
    if (!o) return `${lower[kind]} "${name}" not found`
    if (key !== undefined && !dataKeys(kind, o).has(key)) return `couldn't find key ${key} in ${kind} ${ns}/${name}`
    return undefined
  }
  for (const v of spec.volumes ?? []) {
    const unmountable = UNMOUNTABLE_VOLUME_TYPES.find((t) => (v as unknown as Record<string, unknown>)[t] !== undefined)
    if (unmountable) {
      const message = `MountVolume.SetUp failed for volume "${v.name}" : tsctl hosts cannot mount ${unmountable} volumes`
      return {reason: 'ContainerCreating', message, event: {reason: 'FailedMount', message}}
    }
    const problems: (string | undefined)[] = []
    if (v.configMap) problems.push(check('ConfigMap', v.configMap.name, undefined, v.configMap.optional), ...(v.configMap.items ?? []).map((i) => check('ConfigMap', v.configMap!.name, i.key, v.configMap!.optional)))
    if (v.secret) problems.push(check('Secret', v.secret.secretName, undefined, v.secret.optional), ...(v.secret.items ?? []).map((i) => check('Secret', v.secret!.secretName, i.key, v.secret!.optional)))
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) problems.push(check('ConfigMap', s.configMap.name, undefined, s.configMap.optional), ...(s.configMap.items ?? []).map((i) => check('ConfigMap', s.configMap!.name, i.key, s.configMap!.optional)))
      if (s.secret) problems.push(check('Secret', s.secret.name, undefined, s.secret.optional), ...(s.secret.items ?? []).map((i) => check('Secret', s.secret!.name, i.key, s.secret!.optional)))
    }
    const p = problems.find((x) => x !== undefined)
    if (p) {
      const message = `MountVolume.SetUp failed for volume "${v.name}" : ${p}`
      return {reason: 'ContainerCreating', message, event: {reason: 'FailedMount', message}}
    }
  }
  const containers: Container[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])]
  for (const c of containers) {
    for (const e of c.envFrom ?? []) {
      const p = e.configMapRef ? check('ConfigMap', e.configMapRef.name, undefined, e.configMapRef.optional) : e.secretRef ? check('Secret', e.secretRef.name, undefined, e.secretRef.optional) : undefined
      if (p) return {reason: 'CreateContainerConfigError', message: p, event: {reason: 'Failed', message: `Error: ${p}`}}
    }
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef
      const sk = e.valueFrom?.secretKeyRef
      const p = cm ? check('ConfigMap', cm.name, cm.key, cm.optional) : sk ? check('Secret', sk.name, sk.key, sk.optional) : undefined
      if (p) return {reason: 'CreateContainerConfigError', message: p, event: {reason: 'Failed', message: `Error: ${p}`}}
    }
  }
  return undefined
}

/**
 * After scheduling: every bound pod the host does not run yet, whose
 * config is missing, gets the waiting status and event (once); the planner
 * asks configWaitOf again and leaves it out of the plan.
 */
export function holdForMissingConfig(ctx: Ctx, runsOnHost: (pod: KubeObject) => boolean): void {
  for (const pod of ctx.pods()) {
    const p = pod as PodObject
    if (!p.spec?.nodeName || pod.metadata.deletionTimestamp || runsOnHost(pod)) continue
    const wait = configWaitOf(pod, ctx.state.objects)
    if (!wait) continue
    const waiting = (c: Container): ContainerStatus => ({name: c.name, ready: false, restartCount: 0, state: {waiting: {reason: wait.reason, message: wait.message}}})
    const status = {...(p.status ?? {}), phase: 'Pending'}
    status.conditions = setCondition(setCondition(status.conditions ?? [], {type: 'PodScheduled', status: 'True'}, ctx.nowIso), {type: 'Ready', status: 'False', reason: 'ContainersNotReady'}, ctx.nowIso)
    if (p.spec.initContainers?.length) status.initContainerStatuses = p.spec.initContainers.map(waiting)
    status.containerStatuses = (p.spec.containers ?? []).map(waiting)
    const next = {...p, status}
    if (JSON.stringify(next.status) !== JSON.stringify(p.status)) ctx.put(next)
    ctx.eventOnce('Warning', wait.event.reason, keyOf(pod), wait.event.message)
  }
}
