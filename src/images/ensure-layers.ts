import {openLayer, layerAddTar} from './layer.js'
import type {ResolvedImage, ResolvedLayer} from './oci-layout.js'

/**
 * What `ensureLayers` needs from a host. `RuntimeClient` (src/host/runtime-client.ts)
 * satisfies it: `missingLayers` runs `layer-has`, `addLayer` runs `layer-add`.
 */
export interface LayerStore {
  missingLayers(digests: string[]): Promise<string[]>
  addLayer(digest: string, tar: Buffer): Promise<void>
  /** records on the host which layers the image uses (`image-add`), so its GC keeps them while the image is kept */
  addImage?(digest: string, diffIds: string[]): Promise<void>
}

/** One layer sent to a host: its diff_id, the bytes streamed and how long it took. */
export interface LayerSent {
  diffId: string
  bytes: number
  ms: number
}

/**
 * Opened, sanitized `layer-add` streams, keyed by diff_id and shared by all
 * hosts of one run, so a layer is read, verified and sanitized once however
 * many hosts need it. Concurrent requests share one promise.
 */
export class LayerCache {
  readonly #streams = new Map<string, Promise<Buffer>>()

  /** The `layer-add` stdin for LAYER of IMAGE (verified and sanitized on first use). */
  stream(image: ResolvedImage, layer: ResolvedLayer): Promise<Buffer> {
    let p = this.#streams.get(layer.diffId)
    if (!p) {
      p = openLayer(image, layer).then(layerAddTar)
      // A failure is not cached: the user may fix the layout and retry in the same process (watch).
      p.catch(() => this.#streams.delete(layer.diffId))
      this.#streams.set(layer.diffId, p)
    }
    return p
  }
}

/**
 * Sends the host every layer of IMAGE it lacks (the store key is the
 * diff_id), bottom first, and returns the diff_ids it sent. Asks the host
 * once (`layer-has`), so a host that has them all costs one call.
 * Idempotent: re-running after a partial failure sends only what is missing.
 * Throws the UserError of a layer that fails verification or sanitizing
 * before anything of that layer reaches the host.
 */
export async function ensureLayers(store: LayerStore, image: ResolvedImage, cache: LayerCache = new LayerCache(), onSent?: (s: LayerSent) => void): Promise<string[]> {
  const ids = [...new Set(image.layers.map((l) => l.diffId))]
  // The record first: a GC between layer-add and apply then keeps what this image needs.
  await store.addImage?.(image.repoDigest ?? image.digest, ids)
  const missing = new Set(await store.missingLayers(ids))
  const sent: string[] = []
  for (const layer of image.layers) {
    if (!missing.has(layer.diffId) || sent.includes(layer.diffId)) continue
    const tar = await cache.stream(image, layer)
    const t0 = Date.now()
    await store.addLayer(layer.diffId, tar)
    sent.push(layer.diffId)
    onSent?.({diffId: layer.diffId, bytes: tar.length, ms: Date.now() - t0})
  }
  return sent
}
