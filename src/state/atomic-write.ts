import {randomUUID} from 'node:crypto'
import {promises as fs, type BigIntStats} from 'node:fs'
import {basename, dirname, join} from 'node:path'

/**
 * Replaces `path` with `data` so that a reader (or a crash at any instant,
 * kill -9 included) sees either the old file or the new one, never half:
 * write a temp file in the same directory (same filesystem, so rename is
 * atomic), fsync it, rename it over the target, fsync the directory so the
 * rename itself survives a power cut. The file is never truncated in place
 * (Terraform's local state writer does that; a crash there loses the state).
 * The temp file is created with O_EXCL and `mode`, then fchmod'ed, so a
 * permissive umask cannot widen it.
 *
 * Returns the stats of the file written, taken through its descriptor after
 * the rename (rename changes its ctime): what FileStateBackend compares the
 * path with later, even when another writer replaced it meanwhile.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<BigIntStats> {
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`)
  const fh = await openExclusive(tmp, data, mode)
  let st: BigIntStats
  try {
    try {
      await fs.rename(tmp, path)
    } catch (err) {
      await fs.rm(tmp, {force: true})
      throw err
    }
    st = await fh.stat({bigint: true})
  } finally {
    await fh.close()
  }
  await fsyncDir(dir)
  return st
}

/**
 * Creates `path` with O_CREAT|O_EXCL (throws EEXIST when it exists), sets
 * `mode` with fchmod (the umask cannot widen or narrow it), writes `data`
 * and fsyncs before closing. The one way tsctl creates a state or lock file.
 */
export async function createFileExclusive(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  await (await openExclusive(path, data, mode)).close()
}

/** createFileExclusive, leaving the file open. */
async function openExclusive(path: string, data: string | Uint8Array, mode: number): Promise<fs.FileHandle> {
  const fh = await fs.open(path, 'wx', mode)
  try {
    await fh.chmod(mode)
    // one write(2) for the whole file where writeFile would issue one per 512 KiB (a state is ~25 MB at 1,000 hosts)
    const buf = typeof data === 'string' ? Buffer.from(data) : data
    for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off, buf.length - off)).bytesWritten
    await fh.sync()
  } catch (err) {
    await fh.close()
    throw err
  }
  return fh
}

/** fsync a directory so a rename or unlink in it is durable. Some filesystems refuse; that is not fatal. */
export async function fsyncDir(dir: string): Promise<void> {
  let dh: fs.FileHandle | undefined
  try {
    dh = await fs.open(dir, 'r')
    await dh.sync()
  } catch {
    // EISDIR/EINVAL/EPERM on filesystems that cannot fsync a directory: the rename already happened.
  } finally {
    await dh?.close()
  }
}
