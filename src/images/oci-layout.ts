import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {UserError} from '../errors.js'
import {assertInside, readBlob, type Descriptor} from './blob.js'

/** The parts of an image's config a container needs (Docker's `config` object). */
export interface ImageConfig {
  /** `KEY=VALUE` strings, in order */
  env: string[]
  /** [] when the image has none */
  entrypoint: string[]
  cmd: string[]
  /** '' when unset (the runtime uses `/`) */
  workingDir: string
  /** '' when unset (root); `uid`, `uid:gid`, or names as in Docker */
  user: string
}

/** One layer, bottom first, as the manifest and config describe it. */
export interface ResolvedLayer {
  /** digest of the blob as stored (compressed) */
  digest: string
  /** digest of the uncompressed tar (config `rootfs.diff_ids`) — the host's layer key */
  diffId: string
  /** size of the stored blob in bytes */
  size: number
  mediaType: string
}

/**
 * An image reference resolved to exact content. Everything here was read
 * from blobs whose digests were verified. Returned by `resolveOciLayout` and
 * `resolveImage`; consumed by `openLayer` and the pod-bundle code.
 */
export interface ResolvedImage {
  /** the canonical reference it came from, e.g. `oci:images/busybox:1.35` */
  ref: string
  /** digest of the image manifest: the identity of the image */
  digest: string
  platform: {os: string; architecture: string; variant?: string}
  config: ImageConfig
  /** digest of the config blob */
  configDigest: string
  layers: ResolvedLayer[]
  /**
   * The digest the reference names (for a registry image: what the tag
   * resolved to, an index for a multi-platform image; the pin recorded on
   * the revision). The host's image record is kept under it. Absent for
   * `oci:` layouts (their identity is `digest`).
   */
  repoDigest?: string
  /**
   * Where the blobs are: an OCI layout directory (absolute path) and the
   * directory its blobs must stay inside; or the CLI's image cache
   * (src/images/cache.ts, laid out the same way), where `fetch` downloads a
   * layer blob from the registry the first time a host needs it.
   */
  source: {kind: 'oci'; dir: string; root: string} | {kind: 'registry'; dir: string; root: string; fetch: (layer: ResolvedLayer) => Promise<void>}
}

/** Which manifest to pick from a layout. */
export interface LayoutSelector {
  /** matched against `org.opencontainers.image.ref.name` */
  tag?: string
  /** a manifest (or index) digest listed in the layout */
  digest?: string
  /** the platform to choose from a multi-platform index; default linux/<this machine's arch> */
  platform?: {os: string; architecture: string; variant?: string}
  /** the directory a blob's real path must stay within (the repo); default DIR */
  root?: string
  /** the canonical ref to put in the result and in error messages */
  ref?: string
}

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const

const REF_NAME = 'org.opencontainers.image.ref.name'
const MAX_JSON = 4 << 20
const INDEX_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerList])
const MANIFEST_TYPES = new Set<string>([MediaType.ociManifest, MediaType.dockerManifest])
const LAYER_TYPES = new Set<string>([
  MediaType.ociLayer, MediaType.ociLayerGzip, MediaType.ociLayerZstd, MediaType.dockerLayerGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
])

/** GOARCH names, as image platforms use them. */
export function hostPlatform(): {os: string; architecture: string} {
  const arch: Record<string, string> = {x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64'}
  return {os: 'linux', architecture: arch[process.arch] ?? process.arch}
}

/**
 * Resolves the OCI image layout at DIR (absolute) to one image: reads
 * `oci-layout` and `index.json`, picks the manifest by tag, digest, or as the
 * only one, descends through nested indexes choosing the platform, and reads
 * the manifest and config, verifying each blob's size and sha256. Layers are
 * not read here (see `openLayer`). Throws UserError naming the layout and the
 * blob for anything missing, malformed or mismatching. Read-only; idempotent.
 */
export async function resolveOciLayout(dir: string, sel: LayoutSelector = {}): Promise<ResolvedImage> {
  const ref = sel.ref ?? `oci:${dir}${sel.tag ? `:${sel.tag}` : ''}${sel.digest ? `@${sel.digest}` : ''}`
  const root = sel.root ?? dir
  const platform = sel.platform ?? hostPlatform()
  await assertInside(root, dir, `${ref}: the layout directory`)
  const layoutFile = await readJson(join(dir, 'oci-layout'), `${ref}: oci-layout`, 'is this an OCI image layout? build one with `node scripts/build-example-image.mjs` or `skopeo copy docker://IMAGE oci:DIR:TAG`')
  if (typeof layoutFile !== 'object' || layoutFile === null || typeof (layoutFile as {imageLayoutVersion?: unknown}).imageLayoutVersion !== 'string') {
    throw new UserError(`${ref}: oci-layout has no imageLayoutVersion`)
  }
  const index = await readJson(join(dir, 'index.json'), `${ref}: index.json`)
  const top = descriptors(index, `${ref}: index.json`)

  let chosen: Descriptor
  if (sel.digest) {
    const found = await findByDigest(dir, root, top, sel.digest, ref)
    if (!found) throw new UserError(`${ref}: no manifest with digest ${sel.digest} in the layout`, undefined, [], `available: ${describe(top)}`)
    chosen = found
    if (sel.tag && chosen.annotations?.[REF_NAME] !== undefined && chosen.annotations[REF_NAME] !== sel.tag) {
      throw new UserError(`${ref}: digest ${sel.digest} is tagged ${JSON.stringify(chosen.annotations[REF_NAME])}, not ${JSON.stringify(sel.tag)}`)
    }
  } else if (sel.tag !== undefined) {
    const hits = top.filter((d) => d.annotations?.[REF_NAME] === sel.tag)
    if (hits.length === 0) throw new UserError(`${ref}: no image tagged ${JSON.stringify(sel.tag)} in the layout`, undefined, [], `available: ${describe(top)}`)
    if (hits.length > 1 && new Set(hits.map((h) => h.digest)).size > 1) {
      chosen = pickPlatform(hits, platform, ref) // several platforms under one tag
    } else chosen = hits[0]
  } else {
    if (top.length !== 1) {
      throw new UserError(`${ref}: the layout holds ${top.length} images; say which`, undefined, [], `add :TAG or @sha256:… — available: ${describe(top)}`)
    }
    chosen = top[0]
  }

  // Nested indexes (a multi-platform image stored under one tag) are followed down to a manifest.
  for (let depth = 0; INDEX_TYPES.has(chosen.mediaType); depth++) {
    if (depth > 4) throw new UserError(`${ref}: indexes nested more than 4 deep`)
    const nested = await readJsonBlob(dir, chosen, `${ref}: index ${chosen.digest}`, root)
    chosen = pickPlatform(descriptors(nested, `${ref}: index ${chosen.digest}`), platform, ref)
  }
  return imageFromManifest(dir, chosen, {root, ref, source: {kind: 'oci', dir, root}})
}

/** True for OCI index and Docker manifest list media types. */
export function isIndex(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType)
}

/** The manifests an index lists (each descriptor checked), for `pickPlatform`. */
export function indexEntries(index: unknown, what: string): Descriptor[] {
  return descriptors(index, what)
}

/**
 * Reads the image manifest CHOSEN and its config from the blob store at DIR
 * (a layout, or the image cache), verifying each, and checks that the
 * config's diff_ids match the layers one for one.
 */
export async function imageFromManifest(dir: string, chosen: Descriptor, opts: {root: string; ref: string; source: ResolvedImage['source']; repoDigest?: string}): Promise<ResolvedImage> {
  const {root, ref} = opts
  if (!MANIFEST_TYPES.has(chosen.mediaType)) throw new UserError(`${ref}: ${chosen.digest} has media type ${JSON.stringify(chosen.mediaType)}, not an image manifest`)

  const manifest = await readJsonBlob(dir, chosen, `${ref}: manifest ${chosen.digest}`, root) as {mediaType?: string; config?: Descriptor; layers?: Descriptor[]}
  if (manifest.mediaType !== undefined && manifest.mediaType !== chosen.mediaType) {
    throw new UserError(`${ref}: manifest ${chosen.digest} says mediaType ${manifest.mediaType}, its descriptor says ${chosen.mediaType}`)
  }
  if (!manifest.config || !Array.isArray(manifest.layers)) throw new UserError(`${ref}: manifest ${chosen.digest} lacks config or layers`)
  checkDescriptor(manifest.config, `${ref}: config descriptor`)
  const cfg = await readJsonBlob(dir, manifest.config, `${ref}: config ${manifest.config.digest}`, root) as RawConfig
  const diffIds = cfg.rootfs?.diff_ids
  if (cfg.rootfs?.type !== 'layers' || !Array.isArray(diffIds)) throw new UserError(`${ref}: config ${manifest.config.digest} has no rootfs.diff_ids`)
  if (diffIds.length !== manifest.layers.length) {
    throw new UserError(`${ref}: manifest lists ${manifest.layers.length} layers but the config has ${diffIds.length} diff_ids`)
  }
  const layers: ResolvedLayer[] = manifest.layers.map((l, i) => {
    const what = `${ref}: layer ${i + 1} (${l?.digest})`
    checkDescriptor(l, what)
    if (!LAYER_TYPES.has(l.mediaType)) throw new UserError(`${what}: unsupported layer media type ${JSON.stringify(l.mediaType)}`)
    if (l.urls && l.urls.length > 0) throw new UserError(`${what}: foreign layers (urls) are not supported`)
    if (typeof diffIds[i] !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(diffIds[i])) throw new UserError(`${what}: malformed diff_id ${JSON.stringify(diffIds[i])}`)
    return {digest: l.digest, diffId: diffIds[i], size: l.size, mediaType: l.mediaType}
  })
  const c = cfg.config ?? {}
  return {
    ref,
    digest: chosen.digest,
    platform: {os: cfg.os ?? '', architecture: cfg.architecture ?? '', ...(cfg.variant ? {variant: cfg.variant} : {})},
    config: {
      env: strings(c.Env),
      entrypoint: strings(c.Entrypoint),
      cmd: strings(c.Cmd),
      workingDir: typeof c.WorkingDir === 'string' ? c.WorkingDir : '',
      user: typeof c.User === 'string' ? c.User : '',
    },
    configDigest: manifest.config.digest,
    layers,
    ...(opts.repoDigest ? {repoDigest: opts.repoDigest} : {}),
    source: opts.source,
  }
}

interface RawConfig {
  architecture?: string
  os?: string
  variant?: string
  config?: {Env?: unknown; Entrypoint?: unknown; Cmd?: unknown; WorkingDir?: unknown; User?: unknown}
  rootfs?: {type?: string; diff_ids?: string[]}
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

async function readJson(path: string, what: string, hint?: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new UserError(`${what}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`, undefined, [], hint)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new UserError(`${what}: not valid JSON: ${(e as Error).message}`)
  }
}

async function readJsonBlob(dir: string, d: Descriptor, what: string, root: string): Promise<unknown> {
  const buf = await readBlob(dir, d, what, {root, max: MAX_JSON})
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch (e) {
    throw new UserError(`${what}: not valid JSON: ${(e as Error).message}`)
  }
}

function checkDescriptor(d: unknown, what: string): asserts d is Descriptor {
  const x = d as Descriptor
  if (typeof x !== 'object' || x === null || typeof x.mediaType !== 'string' || typeof x.digest !== 'string' || typeof x.size !== 'number') {
    throw new UserError(`${what}: malformed descriptor (needs mediaType, digest, size)`)
  }
}

function descriptors(index: unknown, what: string): Descriptor[] {
  const m = (index as {manifests?: unknown})?.manifests
  if (!Array.isArray(m)) throw new UserError(`${what}: no "manifests" list`)
  m.forEach((d, i) => checkDescriptor(d, `${what}: manifests[${i}]`))
  return m as Descriptor[]
}

function describe(ds: Descriptor[]): string {
  if (ds.length === 0) return '(none)'
  return ds.map((d) => (d.annotations?.[REF_NAME] ? `:${d.annotations[REF_NAME]}` : `@${d.digest}`)).join(', ')
}

/** The manifest of an index for platform WANT (the only one when there is one); a UserError naming what the index offers otherwise. */
export function pickPlatform(ds: Descriptor[], want: {os: string; architecture: string; variant?: string}, ref: string): Descriptor {
  if (ds.length === 1) return ds[0]
  const hits = ds.filter((d) => d.platform?.os === want.os && d.platform?.architecture === want.architecture && (!want.variant || d.platform?.variant === want.variant))
  if (hits.length === 0) {
    const have = ds.map((d) => `${d.platform?.os ?? '?'}/${d.platform?.architecture ?? '?'}`).join(', ')
    throw new UserError(`${ref}: no image for platform ${want.os}/${want.architecture}`, undefined, [], `the index offers ${have}`)
  }
  return hits[0]
}

async function findByDigest(dir: string, root: string, ds: Descriptor[], digest: string, ref: string, depth = 0): Promise<Descriptor | undefined> {
  for (const d of ds) if (d.digest === digest) return d
  if (depth > 4) return undefined
  for (const d of ds) {
    if (!INDEX_TYPES.has(d.mediaType)) continue
    const nested = await readJsonBlob(dir, d, `${ref}: index ${d.digest}`, root)
    const hit = await findByDigest(dir, root, descriptors(nested, `${ref}: index ${d.digest}`), digest, ref, depth + 1)
    if (hit) return hit
  }
  return undefined
}
