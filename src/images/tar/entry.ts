/**
 * One member of a tar archive, as the reader yields it and the writer takes it.
 *
 * `name` is the raw path as stored (after pax / GNU long-name overrides),
 * without normalisation: a directory may end in `/`, a hostile archive may
 * hold `/etc/passwd` or `../x`. Callers that write to disk must validate it
 * (src/images/layer.ts does, for image layers).
 */
export interface TarEntry {
  name: string
  type: TarEntryType
  /** permission bits including setuid/setgid/sticky (mode & 0o7777) */
  mode: number
  uid: number
  gid: number
  /** seconds since the epoch */
  mtime: number
  /** target of a symlink or hardlink; '' otherwise */
  linkname: string
  /** bytes of data: the file's length for `file`, 0 for every other type */
  size: number
  /** the file's contents (a view into the archive buffer when read) */
  data: Buffer
  /** device numbers, for `char` and `block` */
  devmajor: number
  devminor: number
  /** the raw typeflag character, so an `unknown` entry can be named in errors */
  typeflag: string
}

/**
 * The kinds of member. `unknown` covers typeflags this code does not
 * interpret (GNU sparse `S`, multi-volume `M`, vendor extensions): readers
 * yield them so a validator can reject them by name instead of silently
 * dropping data.
 */
export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'unknown'

/** What the writer needs; everything but name and type has a deterministic default. */
export interface TarEntryInput {
  name: string
  type: Exclude<TarEntryType, 'unknown'>
  /** default 0o644 for files, 0o755 for directories, 0o777 for symlinks */
  mode?: number
  uid?: number
  gid?: number
  /** default: the writer's fixed mtime (0 unless configured) */
  mtime?: number
  linkname?: string
  /** file contents (files only) */
  data?: Buffer | string
  devmajor?: number
  devminor?: number
}

/** A malformed archive: bad checksum, truncated data, unparseable header. */
export class TarFormatError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at byte ${offset})`)
    this.name = 'TarFormatError'
  }
}
