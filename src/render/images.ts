import {parseImageRef} from '../images/reference.js'
import type {PodSpec} from '../manifests/generated/index.js'
import type {KubeObject} from '../manifests/object.js'
import {type ImagePins, pinsOf, registryImages} from '../reconcile/image-pins.js'
import {field} from './kube.js'

/**
 * The digest each registry image runs as, for describe, `get -o wide` and
 * diff. A pod's pins are the annotation its revision gave it
 * (src/reconcile/image-pins.ts); an image written as `…@sha256:…` pins
 * itself. `oci:` images are never pinned.
 */

/** A registry image of a pod, with the digest it is pinned to; no digest: not pinned yet (sync resolves it). */
export interface PinnedImage {
  image: string
  digest?: string
}

const DIGEST = /^sha256:[a-f0-9]{64}$/
const WRITTEN = /@(sha256:[a-f0-9]{64})$/

/** IMAGE with the digest PINS (`pinsOf`) give it or it is written with; a malformed pin counts as none. */
export function pinnedImage(image: string, pins: ImagePins): PinnedImage {
  if (image.startsWith('oci:')) return {image}
  const pinned = pins[image]
  const digest = pinned !== undefined && DIGEST.test(pinned) ? pinned : WRITTEN.exec(image)?.[1]
  return digest ? {image, digest} : {image}
}

/** The digest IMAGE of POD is pinned to, if any. */
export function podImageDigest(pod: KubeObject, image: string): string | undefined {
  return pinnedImage(image, pinsOf(pod)).digest
}

/** The registry images of a pod spec's init and app containers, in order, once each, with PINS. */
export function specImages(spec: Partial<PodSpec> | undefined, pins: ImagePins): PinnedImage[] {
  return registryImages(spec).map((image) => pinnedImage(image, pins))
}

/** The registry images of POD, with its pins. */
export function podImages(pod: KubeObject): PinnedImage[] {
  return specImages(field<Partial<PodSpec>>(pod, 'spec'), pinsOf(pod))
}

/** kubectl's `Image ID`: canonical registry/repository `@` digest (`docker.io/library/nginx@sha256:…`). */
export function imageId(image: string, digest: string): string {
  try {
    const ref = parseImageRef(image)
    if (ref.kind === 'registry') return `${ref.registry}/${ref.repository}@${digest}`
  } catch {
    // validated manifests never get here; show what was written rather than fail a read-only command
  }
  return `${image.replace(WRITTEN, '')}@${digest}`
}

/** `sha256:0123456789ab`: the first 12 hex digits, as `docker images` shortens an id. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12)
}

/** True when IMAGE is written with the digest itself (nothing to add when showing it). */
export function carriesDigest(image: string, digest: string): boolean {
  return image.endsWith(`@${digest}`)
}
