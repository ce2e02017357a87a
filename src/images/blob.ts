import {createHash} from 'node:crypto'
import {open, realpath} from 'node:fs/promises'
import {join, relative, isAbsolute} from 'node:path'
import {UserError} from '../errors.js'

/** An OCI content descriptor: what a manifest or index says about a blob. */
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
  platform?: {architecture?: string; os?: string; variant?: string}
  urls?: string[]
}

const DIGEST = /^sha256:([a-f0-9]{64})$/

/**
 * Reads blob DESC from the OCI layout at DIR and checks its size and sha256
 * before returning it; WHAT names the blob in errors ("layer 2 of
 * oci:images/busybox:1.36"). The size is checked against the file before
 * reading, so a huge or truncated blob fails fast; MAX bounds what a
 * manifest, index or config may claim. The blob's real path must stay inside
 * ROOT (the repo), so a committed symlink cannot pull in files from elsewhere
 * on the CLI machine.
 */
export async function readBlob(dir: string, desc: Descriptor, what: string, opts: {root: string; max?: number}): Promise<Buffer> {
  const m = DIGEST.exec(String(desc.digest))
  if (!m) throw new UserError(`${what}: unsupported or malformed digest ${JSON.stringify(desc.digest)}`, undefined, [], 'tsctl verifies sha256 digests only')
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw new UserError(`${what}: descriptor of blob ${desc.digest} has an invalid size ${JSON.stringify(desc.size)}`)
  if (opts.max !== undefined && desc.size > opts.max) throw new UserError(`${what}: blob ${desc.digest} claims ${desc.size} bytes, more than the ${opts.max} allowed for it`)
  const path = join(dir, 'blobs', 'sha256', m[1])
  await assertInside(opts.root, path, `${what}: blob ${desc.digest}`)
  let fh
  try {
    fh = await open(path, 'r')
  } catch (e) {
    throw new UserError(`${what}: blob ${desc.digest} is missing from the layout (${path}): ${(e as NodeJS.ErrnoException).code ?? e}`)
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new UserError(`${what}: blob ${desc.digest} is not a regular file`)
    if (st.size !== desc.size) throw new UserError(`${what}: blob ${desc.digest} has ${st.size} bytes, the descriptor says ${desc.size}`, undefined, [], 'the layout is corrupt or was modified after it was built; rebuild or re-copy it')
    const buf = Buffer.alloc(desc.size)
    let off = 0
    while (off < buf.length) {
      const {bytesRead} = await fh.read(buf, off, buf.length - off, off)
      if (bytesRead === 0) break
      off += bytesRead
    }
    if (off !== desc.size) throw new UserError(`${what}: blob ${desc.digest} was truncated while reading`)
    const got = `sha256:${createHash('sha256').update(buf).digest('hex')}`
    if (got !== desc.digest) throw new UserError(`${what}: blob ${desc.digest} does not match its digest (content hashes to ${got})`, undefined, [], 'the layout is corrupt or was tampered with; rebuild or re-copy it')
    return buf
  } finally {
    await fh.close()
  }
}

/** Throws unless PATH, with symlinks resolved, lies inside ROOT (resolved too). */
export async function assertInside(root: string, path: string, what: string): Promise<void> {
  let real: string
  let realRoot: string
  try {
    realRoot = await realpath(root)
    real = await realpath(path)
  } catch {
    return // a missing path is reported by whoever opens it, with a better message
  }
  const rel = relative(realRoot, real)
  if (rel === '..' || rel.startsWith('../') || isAbsolute(rel)) {
    throw new UserError(`${what} resolves to ${real}, outside the repository ${realRoot}`, undefined, [], 'an image layout must not reach outside the manifests repository through a symlink')
  }
}
