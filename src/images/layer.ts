import {createHash} from 'node:crypto'
import * as zlib from 'node:zlib'
import {UserError} from '../errors.js'
import {readTar} from './tar/reader.js'
import {TarWriter} from './tar/writer.js'
import {TarFormatError, type TarEntryInput, type TarEntryType} from './tar/entry.js'
import {readBlob} from './blob.js'
import {MediaType, type ResolvedImage, type ResolvedLayer} from './oci-layout.js'

/**
 * A layer that passed every check, ready for a host. `tar` is exactly the
 * accepted entries re-written by our own writer (normalised names, no
 * whiteout markers, no pax/GNU tricks), so the host extracts what was
 * validated and nothing else.
 */
export interface OpenedLayer {
  layer: ResolvedLayer
  /** sanitized, uncompressed tar of the layer's files (names relative, dirs end in `/`) */
  tar: Buffer
  /** paths (relative to the layer root) that `.wh.NAME` entries delete from lower layers */
  whiteouts: string[]
  /** directories whose lower-layer contents `.wh..wh..opq` hides; `.` is the layer root */
  opaqueDirs: string[]
  /** the uncompressed content matched the config's diff_id */
  diffIdVerified: true
  /** sha256 of `tar`, so a receiver can check what it got */
  tarDigest: string
}

/** The result of `sanitizeLayerTar`: the pure part of `openLayer`. */
export interface SanitizedLayer {
  tar: Buffer
  whiteouts: string[]
  opaqueDirs: string[]
  /** number of entries kept in `tar` */
  entries: number
}

/** A layer holds an entry tsctl will not extract. Names the layer and the entry. */
export class LayerRejectedError extends UserError {
  constructor(readonly layerName: string, readonly entry: string, readonly reason: string) {
    super(`${layerName}: rejected entry ${JSON.stringify(entry)}: ${reason}`, undefined, [], 'the image is malformed or hostile; tsctl refuses to extract it (see src/images/README.md, "Layer safety")')
    this.name = 'LayerRejectedError'
  }
}

const WH = '.wh.'
const OPAQUE = '.wh..wh..opq'
const DEFAULT_MAX = 2 * 1024 * 1024 * 1024

/**
 * Reads LAYER of IMAGE from its layout, verifies the blob's digest and size,
 * decompresses it (gzip or plain tar; zstd when this Node has
 * `zlib.zstdDecompressSync`), verifies the uncompressed sha256 against the
 * config's diff_id, and sanitizes it (see `sanitizeLayerTar`). Every failure
 * is a UserError naming the layer (and the entry, for rejected content).
 * Read-only; idempotent. MAXBYTES bounds the uncompressed size (default 2 GiB).
 */
export async function openLayer(image: ResolvedImage, layer: ResolvedLayer, opts: {maxBytes?: number} = {}): Promise<OpenedLayer> {
  const n = image.layers.indexOf(layer)
  const what = `${image.ref}: layer ${n >= 0 ? n + 1 : '?'} (${layer.digest})`
  const max = opts.maxBytes ?? DEFAULT_MAX
  if (image.source.kind === 'registry') await image.source.fetch(layer)
  const blob = await readBlob(image.source.dir, layer, what, {root: image.source.root, max})
  const tar = decompress(blob, layer.mediaType, what, max)
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`
  if (diffId !== layer.diffId) {
    throw new UserError(`${what}: uncompressed content hashes to ${diffId}, the config's diff_id says ${layer.diffId}`, undefined, [], 'the layout is corrupt or was tampered with; rebuild or re-copy it')
  }
  const s = sanitizeLayerTar(tar, what)
  return {
    layer,
    tar: s.tar,
    whiteouts: s.whiteouts,
    opaqueDirs: s.opaqueDirs,
    diffIdVerified: true,
    tarDigest: `sha256:${createHash('sha256').update(s.tar).digest('hex')}`,
  }
}

function decompress(blob: Buffer, mediaType: string, what: string, max: number): Buffer {
  try {
    if (mediaType.endsWith('+gzip') || mediaType === MediaType.dockerLayerGzip) {
      if (blob[0] !== 0x1f || blob[1] !== 0x8b) throw new UserError(`${what}: media type says gzip but the blob is not gzip data`)
      return zlib.gunzipSync(blob, {maxOutputLength: max})
    }
    if (mediaType.endsWith('+zstd')) {
      const z = (zlib as unknown as {zstdDecompressSync?: (b: Buffer, o?: object) => Buffer}).zstdDecompressSync
      if (!z) throw new UserError(`${what}: zstd-compressed layers need Node 22.15 or later (this is ${process.version})`, undefined, [], 'recompress the image with gzip: skopeo copy --dest-compress-format gzip oci:SRC oci:DST')
      return z(blob, {maxOutputLength: max})
    }
    return blob
  } catch (e) {
    if (e instanceof UserError) throw e
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new UserError(`${what}: uncompressed layer is larger than ${max} bytes`)
    }
    throw new UserError(`${what}: cannot decompress: ${(e as Error).message}`)
  }
}

/**
 * Validates an uncompressed layer tar and re-writes the accepted entries.
 * Pure. Rejects (LayerRejectedError naming WHAT and the entry):
 * - a name or link target with a NUL byte or invalid UTF-8, a name component
 *   over 255 bytes or a name over 4095 bytes;
 * - absolute names and any `..` component (in names and hardlink targets);
 * - an entry below a symlink created earlier in the layer (a write through
 *   it would land outside the layer), or below a non-directory;
 * - a second entry for a path already in the layer, unless both are
 *   directories (so an earlier symlink is never replaced and followed);
 * - hardlinks whose target is not a regular file earlier in the layer;
 * - character and block devices, fifos, and typeflags tsctl does not know.
 * Keeps: regular files, directories, symlinks (any target: it is resolved
 * inside the container's root at run time, never during extraction),
 * hardlinks to earlier files; modes including setuid/setgid/sticky; uid,
 * gid, mtime. `.wh.NAME` becomes a whiteout of NAME and `.wh..wh..opq` an
 * opaque directory; both are dropped from the tar, as are AUFS's other
 * `.wh..wh.*` bookkeeping files. A whiteout of a path the same layer
 * creates is dropped (OCI: whiteouts apply to lower layers only), or, for a
 * directory, becomes an opaque directory. Parents of whiteouts and opaque
 * directories the layer does not create are appended as plain directories
 * (0755, root), so the host finds them inside the layer.
 */
export function sanitizeLayerTar(input: Buffer, what: string): SanitizedLayer {
  const seen = new Map<string, TarEntryType>()
  /** paths the output tar creates, explicitly or as a parent of an entry */
  const created = new Set<string>()
  const whiteouts = new Set<string>()
  const opaque = new Set<string>()
  const w = new TarWriter()
  const parts: Buffer[] = []
  let entries = 0
  const reject = (name: string, reason: string): never => {
    throw new LayerRejectedError(what, name, reason)
  }
  try {
    for (const e of readTar(input)) {
      const path = normalize(e.name, (r) => reject(e.name, r))
      const comps = path === '' ? [] : path.split('/')
      // Parents: never a symlink or a file of this layer; implicit ones are directories.
      for (let i = 1; i < comps.length; i++) {
        const parent = comps.slice(0, i).join('/')
        const t = seen.get(parent)
        if (t === 'symlink') reject(e.name, `it would be written through the symlink "${parent}" created earlier in the layer`)
        if (t !== undefined && t !== 'dir') reject(e.name, `its parent "${parent}" is a ${t === 'hardlink' ? 'file' : t} in this layer, not a directory`)
        if (t === undefined) seen.set(parent, 'dir')
      }
      const base = comps[comps.length - 1] ?? ''
      const parentPath = comps.slice(0, -1).join('/')
      if (base.startsWith(WH)) {
        if (base === OPAQUE) opaque.add(parentPath === '' ? '.' : parentPath)
        else if (!base.startsWith(`${WH}${WH}`)) {
          const target = base.slice(WH.length)
          if (target === '' || target === '.' || target === '..') reject(e.name, 'a whiteout must name a file')
          whiteouts.add(parentPath === '' ? target : `${parentPath}/${target}`)
        }
        continue
      }
      switch (e.type) {
        case 'char':
        case 'block':
          reject(e.name, `${e.type === 'char' ? 'character' : 'block'} device nodes are not allowed in images (the runtime provides /dev)`)
          break
        case 'fifo':
          reject(e.name, 'fifos are not allowed in images')
          break
        case 'unknown':
          reject(e.name, `unsupported tar entry type ${JSON.stringify(e.typeflag)}`)
          break
      }
      if (path === '') {
        if (e.type !== 'dir') reject(e.name, 'the layer root must be a directory')
        parts.push(w.entry({name: './', type: 'dir', mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime}))
        entries++
        continue
      }
      const prev = seen.get(path)
      if (prev !== undefined && !(prev === 'dir' && e.type === 'dir')) {
        reject(e.name, `duplicate entry: "${path}" is already a ${prev === 'hardlink' ? 'file' : prev} in this layer`)
      }
      const out: TarEntryInput = {name: path, type: e.type as TarEntryInput['type'], mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime}
      if (e.type === 'hardlink') {
        const target = normalize(e.linkname, (r) => reject(e.name, `hardlink target ${JSON.stringify(e.linkname)}: ${r}`))
        if (target === '' || seen.get(target) !== 'file') {
          reject(e.name, `hardlink target ${JSON.stringify(e.linkname)} is not a regular file earlier in this layer`)
        }
        out.linkname = target
      } else if (e.type === 'symlink') {
        if (e.linkname === '') reject(e.name, 'symlink with an empty target')
        if (e.linkname.includes('\0')) reject(e.name, 'symlink target contains a NUL byte')
        if (e.linkname.includes('\uFFFD')) reject(e.name, 'symlink target is not valid UTF-8')
        if (Buffer.byteLength(e.linkname) > 4095) reject(e.name, 'symlink target longer than 4095 bytes')
        out.linkname = e.linkname
      } else if (e.type === 'file') {
        out.data = e.data
      }
      seen.set(path, e.type === 'hardlink' ? 'file' : e.type)
      for (let i = 1; i <= comps.length; i++) created.add(comps.slice(0, i).join('/'))
      parts.push(w.entry(out))
      entries++
    }
  } catch (err) {
    if (err instanceof TarFormatError) throw new UserError(`${what}: malformed tar: ${err.message}`)
    throw err
  }
  const kept: string[] = []
  for (const p of whiteouts) {
    const t = seen.get(p)
    if (t === 'dir') opaque.add(p)
    else if (t === undefined) kept.push(p)
  }
  kept.sort()
  const opaqueDirs = [...opaque].sort()
  // The host marks whiteouts and opaque dirs inside this layer's directory,
  // opening each parent without following symlinks: every parent (and each
  // opaque dir) must exist there even when the layer only held the marker.
  const needed = new Set<string>()
  for (const p of kept) {
    const c = p.split('/')
    for (let i = 1; i < c.length; i++) needed.add(c.slice(0, i).join('/'))
  }
  for (const p of opaqueDirs) {
    if (p === '.') continue
    const c = p.split('/')
    for (let i = 1; i <= c.length; i++) needed.add(c.slice(0, i).join('/'))
  }
  for (const d of [...needed].sort()) {
    if (created.has(d)) continue
    created.add(d)
    parts.push(w.entry({name: d, type: 'dir', mode: 0o755}))
    entries++
  }
  parts.push(w.end())
  return {tar: Buffer.concat(parts), whiteouts: kept, opaqueDirs, entries}
}

/**
 * NAME as a relative path with no empty, `.` or trailing components; ''
 * for the root. Calls FAIL (which throws) for what must never be extracted.
 */
function normalize(name: string, fail: (reason: string) => never): string {
  if (name.includes('\0')) fail('the name contains a NUL byte')
  if (name.includes('\uFFFD')) fail('the name is not valid UTF-8')
  if (name.startsWith('/')) fail('absolute path')
  if (Buffer.byteLength(name) > 4095) fail('the name is longer than 4095 bytes')
  const out: string[] = []
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue
    if (c === '..') fail('".." path component')
    if (Buffer.byteLength(c) > 255) fail('a path component is longer than 255 bytes')
    out.push(c)
  }
  return out.join('/')
}

/**
 * The stream `tsctl-runtime layer-add DIGEST` reads on stdin
 * (src/host/protocol.md): the layer's files under `root/`, then
 * `whiteouts` and `opaque`, each a list of paths relative to the layer root,
 * every path followed by a NUL byte (both files always present, maybe empty).
 * Deterministic for the same layer.
 */
export function layerAddTar(layer: Pick<OpenedLayer, 'tar' | 'whiteouts' | 'opaqueDirs'>): Buffer {
  const w = new TarWriter()
  const parts: Buffer[] = []
  let sawRoot = false
  for (const e of readTar(layer.tar)) {
    if (e.name === './') {
      sawRoot = true
      parts.push(w.entry({name: 'root/', type: 'dir', mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime}))
      continue
    }
    if (!sawRoot) {
      sawRoot = true
      parts.push(w.entry({name: 'root/', type: 'dir', mode: 0o755}))
    }
    const input: TarEntryInput = {name: `root/${e.name}`, type: e.type as TarEntryInput['type'], mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime}
    if (e.type === 'hardlink') input.linkname = `root/${e.linkname}`
    else if (e.type === 'symlink') input.linkname = e.linkname
    else if (e.type === 'file') input.data = e.data
    parts.push(w.entry(input))
  }
  if (!sawRoot) parts.push(w.entry({name: 'root/', type: 'dir', mode: 0o755}))
  const list = (xs: string[]) => Buffer.concat(xs.map((x) => Buffer.from(`${x}\0`, 'utf8')))
  parts.push(w.entry({name: 'whiteouts', type: 'file', mode: 0o644, data: list(layer.whiteouts)}))
  parts.push(w.entry({name: 'opaque', type: 'file', mode: 0o644, data: list(layer.opaqueDirs)}))
  parts.push(w.end())
  return Buffer.concat(parts)
}
