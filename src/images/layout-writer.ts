import {createHash} from 'node:crypto'
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {writeTar} from './tar/writer.js'
import type {TarEntryInput} from './tar/entry.js'
import {MediaType, hostPlatform} from './oci-layout.js'
import type {Descriptor} from './blob.js'

/** One image to add to a layout. Everything has a deterministic default. */
export interface LayoutImageSpec {
  /** bottom first: entries to tar, or a ready tar; gzip-compressed unless `compression: 'none'` */
  layers: Array<{entries: TarEntryInput[]; compression?: 'gzip' | 'none'} | {tar: Buffer; compression?: 'gzip' | 'none'}>
  config?: {Env?: string[]; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; User?: string}
  platform?: {os: string; architecture: string}
  /** `org.opencontainers.image.ref.name`; an existing entry with the same tag is replaced */
  tag?: string
  /** config `created`; default the epoch, so digests do not change between builds */
  created?: string
}

/** What was written: the manifest's descriptor and the layer digests. */
export interface WrittenImage {
  manifest: Descriptor
  config: Descriptor
  layers: {digest: string; diffId: string; size: number}[]
}

/**
 * Writes IMAGE into the OCI image layout at DIR (created if missing; an
 * existing index.json is kept and the tag replaced). Blobs are named by
 * their sha256; the same spec always gives the same digests (fixed tar
 * mtime, fixed `created`, gzip without a timestamp). Used by the test
 * fixtures and `scripts/build-example-image.mjs`; `skopeo inspect oci:DIR:TAG`
 * reads the result. Idempotent.
 */
export async function writeOciLayout(dir: string, image: LayoutImageSpec): Promise<WrittenImage> {
  await mkdir(join(dir, 'blobs', 'sha256'), {recursive: true})
  await atomicWrite(join(dir, 'oci-layout'), Buffer.from(JSON.stringify({imageLayoutVersion: '1.0.0'})))

  const layers: WrittenImage['layers'] = []
  const layerDescs: Descriptor[] = []
  for (const l of image.layers) {
    const tar = 'tar' in l ? l.tar : writeTar(l.entries)
    const gzip = (l.compression ?? 'gzip') === 'gzip'
    const blob = gzip ? gzipSync(tar, {level: 9}) : tar
    const d = await putBlob(dir, blob, gzip ? MediaType.ociLayerGzip : MediaType.ociLayer)
    layerDescs.push(d)
    layers.push({digest: d.digest, diffId: sha256(tar), size: d.size})
  }
  const platform = image.platform ?? hostPlatform()
  const config = {
    created: image.created ?? '1970-01-01T00:00:00Z',
    architecture: platform.architecture,
    os: platform.os,
    config: image.config ?? {},
    rootfs: {type: 'layers', diff_ids: layers.map((l) => l.diffId)},
    history: layers.map(() => ({created: image.created ?? '1970-01-01T00:00:00Z', created_by: 'tsctl writeOciLayout'})),
  }
  const configDesc = await putBlob(dir, Buffer.from(JSON.stringify(config)), MediaType.ociConfig)
  const manifest = {schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDesc, layers: layerDescs}
  const manifestDesc = await putBlob(dir, Buffer.from(JSON.stringify(manifest)), MediaType.ociManifest)
  const entry: Descriptor = {
    ...manifestDesc,
    ...(image.tag !== undefined ? {annotations: {'org.opencontainers.image.ref.name': image.tag}} : {}),
  }

  let existing: Descriptor[] = []
  try {
    existing = (JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {manifests?: Descriptor[]}).manifests ?? []
  } catch {
    existing = []
  }
  const kept = existing.filter((d) =>
    image.tag !== undefined ? d.annotations?.['org.opencontainers.image.ref.name'] !== image.tag : d.digest !== manifestDesc.digest)
  const index = {schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...kept, entry]}
  await atomicWrite(join(dir, 'index.json'), Buffer.from(JSON.stringify(index)))
  return {manifest: entry, config: configDesc, layers}
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`
}

async function putBlob(dir: string, blob: Buffer, mediaType: string): Promise<Descriptor> {
  const digest = sha256(blob)
  await atomicWrite(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), blob)
  return {mediaType, digest, size: blob.length}
}

async function atomicWrite(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  await writeFile(tmp, data)
  await rename(tmp, path)
}
