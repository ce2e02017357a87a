/**
 * Registry images, CLI side: a tag to its digest, and a pinned digest to a
 * ResolvedImage whose manifest and config are in the image cache (verified)
 * and whose layers are downloaded into it the first time a host lacks one.
 * Hosts never talk to a registry; credentials never leave this machine.
 */
import {createHash} from 'node:crypto'
import {UserError} from '../errors.js'
import type {ImageCache} from './cache.js'
import {imageFromManifest, indexEntries, isIndex, MediaType, pickPlatform, type ResolvedImage, type ResolvedLayer} from './oci-layout.js'
import type {RegistryRef} from './reference.js'
import type {Progress, RegistryClient} from './registry/client.js'

const MAX_DEPTH = 4

export interface PullOptions {
  cache: ImageCache
  client: RegistryClient
  platform: {os: string; architecture: string; variant?: string}
  /** bytes of a layer as it downloads into the cache */
  onLayerProgress?: (layer: ResolvedLayer, done: number, total: number) => void
}

/** What REF's tag names now (one HEAD request); a digest reference names itself. */
export async function resolveTag(ref: RegistryRef, client: RegistryClient): Promise<string> {
  if (ref.digest) return ref.digest
  const d = await client.resolve(ref.repository, ref.tag ?? 'latest')
  return d.digest
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** The manifest or index DIGEST: from the cache when there and intact, else from the registry (then cached). */
async function manifestBytes(ref: RegistryRef, digest: string, o: PullOptions): Promise<Buffer> {
  const cached = await o.cache.read(digest)
  if (cached && sha256(cached) === digest) return cached
  const {bytes} = await o.client.manifest(ref.repository, digest)
  await o.cache.put(digest, bytes)
  return bytes
}

function parse(bytes: Buffer, what: string): {mediaType?: string; manifests?: unknown; config?: {digest?: unknown; size?: unknown}} {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (e) {
    throw new UserError(`${what}: not valid JSON: ${(e as Error).message}`)
  }
}

/**
 * DIGEST (the pin of REF) for PLATFORM: an index is followed to the
 * platform's manifest, then the manifest and config are read from the cache
 * (fetched once). Layers are not downloaded here: `source.fetch` does that
 * when `openLayer` needs one, so a host that has every layer costs no layer
 * download, and `rollout undo` on such hosts needs none at all.
 */
export async function pullImage(ref: RegistryRef, digest: string, o: PullOptions): Promise<ResolvedImage> {
  const name = `${ref.registry}/${ref.repository}`
  let desc = {digest, mediaType: '', size: 0}
  for (let depth = 0; ; depth++) {
    const bytes = await manifestBytes(ref, desc.digest, o)
    const doc = parse(bytes, `${name}@${desc.digest}`)
    const mediaType = doc.mediaType ?? (Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest)
    if (desc.mediaType && doc.mediaType && doc.mediaType !== desc.mediaType) {
      throw new UserError(`${name}@${desc.digest}: the index lists it as ${desc.mediaType}, it says ${doc.mediaType}`)
    }
    desc = {digest: desc.digest, mediaType, size: bytes.length}
    if (!isIndex(mediaType)) break
    if (depth >= MAX_DEPTH) throw new UserError(`${name}@${digest}: indexes nested more than ${MAX_DEPTH} deep`)
    const next = pickPlatform(indexEntries(doc, `${name}: index ${desc.digest}`), o.platform, `${name}@${digest}`)
    desc = {digest: next.digest, mediaType: next.mediaType, size: next.size}
  }
  const manifest = parse((await o.cache.read(desc.digest))!, `${name}@${desc.digest}`)
  const cfg = manifest.config
  if (cfg && typeof cfg.digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(cfg.digest) && typeof cfg.size === 'number') {
    const c = {digest: cfg.digest, size: cfg.size}
    if (c.size > 4 << 20) throw new UserError(`${name}@${desc.digest}: config ${c.digest} claims ${c.size} bytes, more than the 4 MiB allowed`)
    await o.cache.fetch(c.digest, c.size, (dest) => o.client.blob(ref.repository, c, dest))
  }
  const dir = o.cache.dir
  const fetchLayer = async (layer: ResolvedLayer) => {
    const progress: Progress | undefined = o.onLayerProgress ? (done, total) => o.onLayerProgress!(layer, done, total) : undefined
    await o.cache.fetch(layer.digest, layer.size, (dest) => o.client.blob(ref.repository, layer, dest, progress))
  }
  return imageFromManifest(dir, desc, {root: dir, ref: `${name}@${digest}`, repoDigest: digest, source: {kind: 'registry', dir, root: dir, fetch: fetchLayer}})
}
