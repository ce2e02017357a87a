/**
 * A pod made from a controller's template: labels and annotations from the
 * template, an owner reference, a creation time of `now`, and its spec hash
 * fixed at creation (a pod never changes after it is made, as in Kubernetes;
 * a new template means new pods).
 */
import type {PodSpec, PodTemplateSpec} from '../../manifests/generated/index.js'
import type {KubeObject} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {podSpecHash} from '../spec-hash.js'
import {pinPod} from '../image-pins.js'
import type {PodObject} from '../status.js'
import {clone, ownerRefTo} from '../util.js'

export function podFromTemplate(
  ctx: Ctx,
  owner: KubeObject,
  template: PodTemplateSpec | undefined,
  name: string,
  uid: string,
  extra: {labels?: Record<string, string>; annotations?: Record<string, string>; spec?: Partial<PodSpec>; holder?: KubeObject} = {},
): PodObject {
  const t: Partial<PodTemplateSpec> = clone(template ?? {})
  const annotations: Record<string, string> = {...(t.metadata?.annotations ?? {}), ...(extra.annotations ?? {})}
  const pod: PodObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace ?? 'default',
      uid,
      creationTimestamp: ctx.nowIso,
      labels: {...(t.metadata?.labels ?? {}), ...(extra.labels ?? {})},
      annotations,
      ownerReferences: [ownerRefTo(owner)],
    },
    // the template's containers (a validated manifest has at least one)
    spec: {...(t.spec ?? {}), ...(extra.spec ?? {})} as PodSpec,
    status: {phase: 'Pending'},
  }
  annotations[A.specHash] = podSpecHash(pod, ctx.state.objects)
  // the revision's pins (a ControllerRevision for StatefulSets and DaemonSets, else the owner)
  pinPod(ctx, pod, extra.holder ?? owner)
  return pod
}
