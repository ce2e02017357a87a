/**
 * Image pins: a tag names different bytes over time, so tsctl fixes, per
 * revision, the digest each registry image of its template resolved to, and
 * every pod made from that revision runs exactly those bytes (on every host,
 * in every later pass, and again after `rollout undo`, with no registry
 * lookup). The pins live in one annotation (`A.imageDigests`, JSON
 * `{image as written: digest}`) on the holder — a ReplicaSet, a
 * ControllerRevision, a Job or a bare Pod — and are copied onto each pod.
 *
 * Resolving a tag is I/O, so it is not done here: the pass gets the answers
 * it may use (`ReconcileInput.images`, image → digest) and reports the images
 * a holder or pod needed but had no answer for (`ReconcileResult.imageNeeds`).
 * The caller resolves those (src/sync/image-answers.ts, which applies
 * imagePullPolicy) and runs the pass again: reconcile stays pure, and a pass
 * that makes no new revision asks for nothing. `oci:` images are read from
 * the repo on disk at apply time and are not pinned (pin one by writing
 * `oci:PATH@sha256:…`); images already written with `@sha256:` pin themselves.
 */
import type {PodSpec, PodTemplateSpec} from '../manifests/generated/index.js'
import type {KubeObject} from '../manifests/object.js'
import {A} from '../manifests/annotations.js'
import type {Ctx} from './context.js'
import {ann, clone, setAnn} from './util.js'

/** image string as written → `sha256:…` */
export type ImagePins = Record<string, string>

const DIGEST = /@(sha256:[a-f0-9]{64})$/

/** True for images that come from a registry and so need a pin. */
export function pinnable(image: string): boolean {
  return image !== '' && !image.startsWith('oci:')
}

/** The registry images of a pod spec's init and app containers, in order, once each. */
export function registryImages(spec: Partial<PodSpec> | undefined): string[] {
  const out: string[] = []
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    const img = c.image ?? ''
    if (pinnable(img) && !out.includes(img)) out.push(img)
  }
  return out
}

/** The pins recorded on O (empty when none or unreadable). */
export function pinsOf(o: KubeObject | undefined): ImagePins {
  const raw = o ? ann(o, A.imageDigests) : undefined
  if (!raw) return {}
  try {
    const v = JSON.parse(raw) as unknown
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {}
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'))
  } catch {
    return {}
  }
}

function writePins(o: KubeObject, pins: ImagePins): void {
  const sorted: ImagePins = {}
  for (const k of Object.keys(pins).sort()) sorted[k] = pins[k]
  setAnn(o, A.imageDigests, Object.keys(sorted).length ? JSON.stringify(sorted) : undefined)
}

/**
 * The pins for IMAGES given what HAVE already records: kept as recorded
 * (never re-resolved), else the digest written in the image itself, else this
 * pass's answer; an image with none of these is added to the pass's needs.
 */
function complete(ctx: Ctx, images: string[], have: ImagePins): {pins: ImagePins; changed: boolean} {
  const pins: ImagePins = {}
  let changed = false
  for (const img of images) {
    const d = have[img] ?? DIGEST.exec(img)?.[1] ?? ctx.imageAnswers[img]
    if (d) {
      pins[img] = d
      if (have[img] !== d) changed = true
    } else ctx.imageNeeds.add(img)
  }
  return {pins, changed}
}

/** Pins on HOLDER (edited in place, before it is put) the images of TEMPLATE it lacks. */
export function pinHolder(ctx: Ctx, holder: KubeObject, template: Partial<PodTemplateSpec> | undefined): void {
  const images = registryImages(template?.spec)
  if (images.length === 0) return
  const have = pinsOf(holder)
  const {pins, changed} = complete(ctx, images, have)
  if (changed) writePins(holder, {...have, ...pins})
}

/** Pins POD (edited in place, at creation) from its revision's pins, then from this pass's answers. */
export function pinPod(ctx: Ctx, pod: KubeObject & {spec?: Partial<PodSpec>}, holder: KubeObject | undefined): void {
  const images = registryImages(pod.spec)
  if (images.length === 0) return
  const {pins} = complete(ctx, images, {...pinsOf(holder), ...pinsOf(pod)})
  writePins(pod, pins)
}

function templateOf(o: KubeObject): Partial<PodTemplateSpec> | undefined {
  const x = o as KubeObject & {spec?: {template?: PodTemplateSpec}; data?: {spec?: {template?: PodTemplateSpec}}}
  if (o.kind === 'ControllerRevision') return x.data?.spec?.template
  if (o.kind === 'Pod') return {spec: (o as KubeObject & {spec?: PodSpec}).spec}
  return x.spec?.template
}

/**
 * The pass's first step after git is applied: revisions made before pins
 * existed (or while an answer was missing, e.g. by `diff --offline`) get the
 * pins they lack. Bare Pods from git are their own revision; so are Jobs.
 * Pods already made are left alone: a pod never changes after it is made.
 */
export function pinExistingHolders(ctx: Ctx): void {
  for (const kind of ['ReplicaSet', 'ControllerRevision', 'Job', 'Pod']) {
    for (const o of ctx.list(kind)) {
      if (o.metadata.deletionTimestamp) continue
      if (kind === 'Pod' && ann(o, A.managedBy) !== 'git') continue
      const template = templateOf(o)
      const images = registryImages(template?.spec)
      if (images.length === 0) continue
      const have = pinsOf(o)
      if (images.every((i) => have[i] || DIGEST.test(i))) continue
      const c = clone(o)
      if (kind === 'Pod') pinPod(ctx, c, undefined)
      else pinHolder(ctx, c, template)
      if (ann(c, A.imageDigests) !== ann(o, A.imageDigests)) ctx.put(c)
    }
  }
}
