/**
 * A pod made from a controller's template: labels and annotations from the
 * template, an owner reference, a creation time of `now`, and its spec hash
 * fixed at creation (a pod never changes after it is made, as in Kubernetes;
 * a new template means new pods).
 */
import type {KubeObject} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {podSpecHash} from '../spec-hash.js'
import {type Any, clone, ownerRefTo} from '../util.js'

export function podFromTemplate(
  ctx: Ctx,
  owner: KubeObject,
  template: Any,
  name: string,
  uid: string,
  extra: {labels?: Record<string, string>; annotations?: Record<string, string>; spec?: Any} = {},
): KubeObject {
  const t = clone(template ?? {})
  const pod: Any = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace ?? 'default',
      uid,
      creationTimestamp: ctx.nowIso,
      labels: {...(t.metadata?.labels ?? {}), ...(extra.labels ?? {})},
      annotations: {...(t.metadata?.annotations ?? {}), ...(extra.annotations ?? {})},
      ownerReferences: [ownerRefTo(owner)],
    },
    spec: {...(t.spec ?? {}), ...(extra.spec ?? {})},
    status: {phase: 'Pending'},
  }
  pod.metadata.annotations[A.specHash] = podSpecHash(pod, ctx.state.objects)
  return pod as KubeObject
}
