import {TarFormatError, type TarEntry, type TarEntryType} from './entry.js'

/**
 * Reads a tar archive held in memory: POSIX ustar, pax extended (`x`) and
 * global (`g`) headers, GNU long names (`L`) and long link targets (`K`),
 * octal and GNU base-256 numbers, the ustar `prefix` field. Yields each
 * member once with its overrides applied; `data` is a view into ARCHIVE.
 *
 * Header-only types (hardlink, symlink, char, block, dir, fifo) carry no
 * data whatever their size field says, as Go's archive/tar reads them —
 * the reader containerd and Docker use, so a layer means here what it
 * means to them. The checksum of every header is verified; a truncated
 * archive or a malformed pax record throws TarFormatError. An archive may
 * end without the two zero blocks (Go and GNU tar accept that too).
 */
export function* readTar(archive: Buffer): Generator<TarEntry> {
  let off = 0
  let global: PaxRecords = {}
  let local: PaxRecords = {}
  let longName: Buffer | undefined
  let longLink: Buffer | undefined
  while (off + 512 <= archive.length) {
    const h = archive.subarray(off, off + 512)
    if (isZero(h)) return
    verifyChecksum(h, off)
    const typeflag = String.fromCharCode(h[156] || 0x30)
    const size = num(h, 124, 12, off)
    const dataStart = off + 512
    const meta = typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K'
    if (meta) {
      if (dataStart + size > archive.length) throw new TarFormatError(`truncated ${typeflag} header data`, off)
      const body = archive.subarray(dataStart, dataStart + size)
      if (typeflag === 'x') local = {...local, ...parsePax(body, off)}
      else if (typeflag === 'g') global = {...global, ...parsePax(body, off)}
      else if (typeflag === 'L') longName = stripTrailingNuls(body)
      else longLink = stripTrailingNuls(body)
      off = dataStart + roundUp(size)
      continue
    }
    // An empty pax value removes the key (POSIX), falling back to the header field.
    const pax = Object.fromEntries(Object.entries({...global, ...local}).filter(([, v]) => v !== '')) as PaxRecords
    const ustar = h.toString('binary', 257, 263) === 'ustar\u0000'
    let name = str(h, 0, 100)
    // Only POSIX ustar has a prefix field; old GNU headers keep atime/ctime there.
    if (ustar) {
      const prefix = str(h, 345, 155)
      if (prefix !== '') name = `${prefix}/${name}`
    }
    if (longName !== undefined) name = longName.toString('utf8')
    if (pax.path !== undefined) name = pax.path
    let linkname = str(h, 157, 100)
    if (longLink !== undefined) linkname = longLink.toString('utf8')
    if (pax.linkpath !== undefined) linkname = pax.linkpath
    const len = HEADER_ONLY.has(typeflag) ? 0 : pax.size !== undefined ? paxInt(pax.size, 'size', off) : size
    if (dataStart + len > archive.length) throw new TarFormatError(`truncated data of "${name}"`, off)
    const type: TarEntryType = TYPES[typeflag] ?? 'unknown'
    yield {
      name,
      type,
      mode: num(h, 100, 8, off) & 0o7777,
      uid: pax.uid !== undefined ? paxInt(pax.uid, 'uid', off) : num(h, 108, 8, off),
      gid: pax.gid !== undefined ? paxInt(pax.gid, 'gid', off) : num(h, 116, 8, off),
      mtime: pax.mtime !== undefined ? Math.floor(Number(pax.mtime)) || 0 : num(h, 136, 12, off),
      linkname,
      size: len,
      data: archive.subarray(dataStart, dataStart + len),
      devmajor: type === 'char' || type === 'block' ? num(h, 329, 8, off) : 0,
      devminor: type === 'char' || type === 'block' ? num(h, 337, 8, off) : 0,
      typeflag,
    }
    local = {}
    longName = undefined
    longLink = undefined
    off = dataStart + roundUp(len)
  }
  if (off < archive.length) throw new TarFormatError('truncated header', off)
}

type PaxRecords = Record<string, string>

const TYPES: Record<string, TarEntryType> = {'0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo'}
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6'])

function roundUp(n: number): number {
  return Math.ceil(n / 512) * 512
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false
  return true
}

function stripTrailingNuls(b: Buffer): Buffer {
  let end = b.length
  while (end > 0 && b[end - 1] === 0) end--
  return b.subarray(0, end)
}

/** A NUL-terminated header string field. */
function str(h: Buffer, off: number, len: number): string {
  const f = h.subarray(off, off + len)
  const nul = f.indexOf(0)
  return f.subarray(0, nul >= 0 ? nul : len).toString('utf8')
}

/** An octal field, or GNU base-256 when the high bit of the first byte is set. */
function num(h: Buffer, off: number, len: number, at: number): number {
  const f = h.subarray(off, off + len)
  if (f[0] & 0x80) {
    if (f[0] === 0xff) throw new TarFormatError('negative base-256 number in header', at)
    let v = f[0] & 0x7f
    for (let i = 1; i < len; i++) {
      v = v * 256 + f[i]
      if (v > Number.MAX_SAFE_INTEGER) throw new TarFormatError('base-256 number too large', at)
    }
    return v
  }
  const s = f.toString('ascii').replace(/[\0 ]+$/, '').replace(/^[ ]+/, '').replace(/\0.*$/, '')
  if (s === '') return 0
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`invalid octal field ${JSON.stringify(s)}`, at)
  return parseInt(s, 8)
}

function verifyChecksum(h: Buffer, at: number): void {
  const stored = num(h, 148, 8, at)
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < 512; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i]
    unsigned += c
    signed += c > 127 ? c - 256 : c
  }
  // Some old writers summed signed chars; accept either, as GNU tar does.
  if (stored !== unsigned && stored !== signed) throw new TarFormatError('header checksum mismatch', at)
}

function paxInt(v: string, key: string, at: number): number {
  if (!/^\d+$/.test(v)) throw new TarFormatError(`invalid pax ${key} ${JSON.stringify(v)}`, at)
  const n = Number(v)
  if (!Number.isSafeInteger(n)) throw new TarFormatError(`pax ${key} too large`, at)
  return n
}

/** `LEN KEY=VALUE\n` records; values are bytes and may hold anything, NUL included. */
function parsePax(body: Buffer, at: number): PaxRecords {
  const out: PaxRecords = {}
  let i = 0
  while (i < body.length) {
    if (body[i] === 0) break // trailing NUL padding some writers leave
    const sp = body.indexOf(0x20, i)
    if (sp < 0) throw new TarFormatError('malformed pax record', at)
    const lenText = body.toString('ascii', i, sp)
    if (!/^\d+$/.test(lenText)) throw new TarFormatError('malformed pax record length', at)
    const len = Number(lenText)
    const end = i + len
    if (len <= sp - i + 1 || end > body.length || body[end - 1] !== 0x0a) throw new TarFormatError('malformed pax record', at)
    const rec = body.subarray(sp + 1, end - 1)
    const eq = rec.indexOf(0x3d)
    if (eq < 0) throw new TarFormatError('pax record without "="', at)
    out[rec.toString('utf8', 0, eq)] = rec.toString('utf8', eq + 1)
    i = end
  }
  return out
}
