/**
 * The CLI machine's image cache: every manifest, index, config and layer
 * blob pulled from a registry, content-addressed, laid out as an OCI image
 * layout's blob store (`DIR/blobs/sha256/<hex>`) so the layout code reads it
 * unchanged (`readBlob` verifies size and digest on every read).
 *
 * Shared safely by concurrent tsctl processes:
 * - a blob appears only complete and verified: written elsewhere, then
 *   renamed into place (rename is atomic; two processes renaming the same
 *   content leave the same file);
 * - a download in progress lives at `partial/<hex>`, owned by the process
 *   that holds `partial/<hex>.lock` (its pid inside, made with O_EXCL). A
 *   later run finds a dead owner's partial file and resumes it with HTTP
 *   Range; a process that finds a live owner downloads to a private file
 *   instead of waiting on it.
 *
 * Where: `$TSCTL_CACHE_DIR`, else `$XDG_CACHE_HOME/tsctl/images`, else
 * `~/.cache/tsctl/images` (the XDG base directory spec). Mode 0700: image
 * content can be private (a registry behind credentials).
 */
import {mkdir, open, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {randomBytes} from 'node:crypto'
import {pidAlive} from '../pid-alive.js'

const DIGEST = /^sha256:([a-f0-9]{64})$/

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TSCTL_CACHE_DIR) return env.TSCTL_CACHE_DIR
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache')
  return join(base, 'tsctl', 'images')
}

function hexOf(digest: string): string {
  const m = DIGEST.exec(digest)
  if (!m) throw new Error(`not a sha256 digest: ${digest}`)
  return m[1]
}


export class ImageCache {
  #ready?: Promise<void>

  constructor(readonly dir: string = defaultCacheDir()) {}

  private ready(): Promise<void> {
    return (this.#ready ??= (async () => {
      await mkdir(this.dir, {recursive: true, mode: 0o700})
      await mkdir(join(this.dir, 'blobs', 'sha256'), {recursive: true, mode: 0o700})
      await mkdir(join(this.dir, 'partial'), {recursive: true, mode: 0o700})
    })())
  }

  /** Where DIGEST's blob is (or will be). */
  path(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', hexOf(digest))
  }

  /** True when the blob is in the cache with SIZE bytes (its digest is checked when it is read). */
  async has(digest: string, size?: number): Promise<boolean> {
    try {
      const st = await stat(this.path(digest))
      return st.isFile() && (size === undefined || st.size === size)
    } catch {
      return false
    }
  }

  /** The cached bytes of a small blob (manifest, index, config), or undefined. Callers verify the digest. */
  async read(digest: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(digest))
    } catch {
      return undefined
    }
  }

  /** Stores BYTES (already verified to hash to DIGEST) atomically. */
  async put(digest: string, bytes: Buffer): Promise<void> {
    await this.ready()
    const tmp = join(this.dir, 'partial', `${hexOf(digest)}.${process.pid}.${randomBytes(4).toString('hex')}`)
    await writeFile(tmp, bytes, {mode: 0o600})
    await rename(tmp, this.path(digest))
  }

  /**
   * Makes blob DIGEST present: DOWNLOAD(dest) fills DEST (resuming what it
   * holds) and verifies it; the file is then renamed into the store. Returns
   * false when the blob was there already.
   */
  async fetch(digest: string, size: number, download: (dest: string) => Promise<void>): Promise<boolean> {
    if (await this.has(digest, size)) return false
    await this.ready()
    const hex = hexOf(digest)
    const shared = join(this.dir, 'partial', hex)
    const lock = `${shared}.lock`
    const owned = await this.lock(lock)
    const dest = owned ? shared : `${shared}.${process.pid}.${randomBytes(4).toString('hex')}`
    try {
      await download(dest)
      await rename(dest, this.path(digest))
    } catch (e) {
      // A private file cannot be resumed by anyone: drop it. The shared one is kept for the next run.
      if (!owned) await rm(dest, {force: true})
      throw e
    } finally {
      if (owned) await rm(lock, {force: true})
    }
    return true
  }

  /** Takes LOCK (O_EXCL, our pid inside); steals it from a dead owner; false when a live process holds it. */
  private async lock(lock: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await open(lock, 'wx', 0o600)
        await fh.writeFile(String(process.pid))
        await fh.close()
        return true
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim())
      if (Number.isSafeInteger(pid) && pid > 0 && pidAlive(pid)) return false
      await rm(lock, {force: true})
    }
    return false
  }
}
