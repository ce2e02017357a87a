import {Readable} from 'node:stream'
import type {TarEntryInput} from './entry.js'

/**
 * A deterministic ustar writer with pax extended headers for whatever ustar
 * cannot hold (names or link targets over 100 bytes, ids over 2097151,
 * files over 8 GiB, a NUL inside a name). The same entries always give the
 * same bytes: mtime defaults to a fixed value, uname/gname stay empty, no
 * atime/ctime, no record padding beyond the two end blocks.
 *
 * Streaming-friendly: `entry()` returns the bytes of one member as soon as
 * it is given, so a caller can pipe a pod bundle or a sanitized layer out
 * without holding the whole archive (see `tarStream`).
 *
 * The writer does not judge names: it writes `../x` or `/etc/passwd` if told
 * to (hostile-archive tests rely on that). Validation belongs to the caller.
 */
export class TarWriter {
  readonly #mtime: number
  #ended = false

  /** `mtime`: the modification time (seconds) of entries that give none; default 0. */
  constructor(opts: {mtime?: number} = {}) {
    this.#mtime = opts.mtime ?? 0
  }

  /** The bytes of one member: optional pax header, ustar header, data, padding. */
  entry(e: TarEntryInput): Buffer {
    if (this.#ended) throw new Error('TarWriter: entry() after end()')
    const data = e.type === 'file' ? toBuffer(e.data) : EMPTY
    let name = e.name
    if (e.type === 'dir' && !name.endsWith('/')) name += '/'
    const h: Header = {
      name,
      mode: (e.mode ?? DEFAULT_MODE[e.type]) & 0o7777,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      size: data.length,
      mtime: Math.floor(e.mtime ?? this.#mtime),
      typeflag: TYPEFLAG[e.type],
      linkname: e.type === 'symlink' || e.type === 'hardlink' ? (e.linkname ?? '') : '',
      devmajor: e.devmajor ?? 0,
      devminor: e.devminor ?? 0,
    }
    const pax: [string, string | Buffer][] = []
    const nameBytes = Buffer.from(h.name, 'utf8')
    if (nameBytes.length > 100 || nameBytes.includes(0)) pax.push(['path', nameBytes])
    const linkBytes = Buffer.from(h.linkname, 'utf8')
    if (linkBytes.length > 100 || linkBytes.includes(0)) pax.push(['linkpath', linkBytes])
    if (h.uid > MAX_ID) pax.push(['uid', String(h.uid)])
    if (h.gid > MAX_ID) pax.push(['gid', String(h.gid)])
    if (h.size > MAX_SIZE) pax.push(['size', String(h.size)])
    if (h.mtime < 0 || h.mtime > MAX_SIZE) pax.push(['mtime', String(h.mtime)])

    const parts: Buffer[] = []
    if (pax.length > 0) {
      const body = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)))
      // GNU tar names these `DIR/PaxHeaders.PID/BASE`; a fixed prefix keeps the output deterministic.
      const base = Buffer.from(basename(h.name), 'utf8').subarray(0, 80).toString('utf8').replace(/\0/g, '_')
      parts.push(encodeHeader({...BLANK, name: `PaxHeaders/${base}`, mode: 0o644, mtime: clampTime(h.mtime), size: body.length, typeflag: 'x'}))
      parts.push(body, padding(body.length))
    }
    parts.push(encodeHeader({
      ...h,
      name: truncate(h.name, 100),
      linkname: truncate(h.linkname, 100),
      uid: Math.min(h.uid, MAX_ID),
      gid: Math.min(h.gid, MAX_ID),
      size: h.size > MAX_SIZE ? 0 : h.size,
      mtime: clampTime(h.mtime),
    }))
    if (data.length > 0) parts.push(data, padding(data.length))
    return Buffer.concat(parts)
  }

  /** The end-of-archive marker: two zero blocks. */
  end(): Buffer {
    this.#ended = true
    return Buffer.alloc(1024)
  }
}

/** The whole archive for ENTRIES, in order. Deterministic. */
export function writeTar(entries: Iterable<TarEntryInput>, opts: {mtime?: number} = {}): Buffer {
  const w = new TarWriter(opts)
  const parts: Buffer[] = []
  for (const e of entries) parts.push(w.entry(e))
  parts.push(w.end())
  return Buffer.concat(parts)
}

/** A readable byte stream of the archive, pulling ENTRIES lazily (for stdin of a transport). */
export function tarStream(entries: Iterable<TarEntryInput> | AsyncIterable<TarEntryInput>, opts: {mtime?: number} = {}): Readable {
  const w = new TarWriter(opts)
  async function* gen(): AsyncGenerator<Buffer> {
    for await (const e of entries) yield w.entry(e)
    yield w.end()
  }
  return Readable.from(gen(), {objectMode: false})
}

interface Header {
  name: string
  mode: number
  uid: number
  gid: number
  size: number
  mtime: number
  typeflag: string
  linkname: string
  devmajor: number
  devminor: number
}

const EMPTY = Buffer.alloc(0)
const MAX_ID = 0o7777777
const MAX_SIZE = 0o77777777777
const BLANK: Header = {name: '', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0, typeflag: '0', linkname: '', devmajor: 0, devminor: 0}
const TYPEFLAG: Record<TarEntryInput['type'], string> = {file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6'}
const DEFAULT_MODE: Record<TarEntryInput['type'], number> = {file: 0o644, hardlink: 0o644, symlink: 0o777, char: 0o600, block: 0o600, dir: 0o755, fifo: 0o644}

function toBuffer(d: Buffer | string | undefined): Buffer {
  if (d === undefined) return EMPTY
  return typeof d === 'string' ? Buffer.from(d, 'utf8') : d
}

function clampTime(t: number): number {
  return t < 0 ? 0 : Math.min(t, MAX_SIZE)
}

function basename(p: string): string {
  const trimmed = p.replace(/\/+$/, '')
  const i = trimmed.lastIndexOf('/')
  return (i >= 0 ? trimmed.slice(i + 1) : trimmed) || 'entry'
}

/** At most N bytes of S, cut on a UTF-8 boundary (the pax record holds the full value). */
function truncate(s: string, n: number): string {
  const b = Buffer.from(s, 'utf8')
  if (b.length <= n && !b.includes(0)) return s
  let cut = Math.min(n, b.includes(0) ? b.indexOf(0) : n)
  while (cut > 0 && (b[cut] & 0xc0) === 0x80) cut--
  return b.subarray(0, cut).toString('utf8')
}

function padding(len: number): Buffer {
  const r = len % 512
  return r === 0 ? EMPTY : Buffer.alloc(512 - r)
}

/** `LEN KEY=VALUE\n` where LEN counts the whole record, itself included. */
function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), typeof value === 'string' ? Buffer.from(value, 'utf8') : value, Buffer.from('\n')])
  let len = body.length + 1
  while (String(len).length + body.length !== len) len = String(len).length + body.length
  return Buffer.concat([Buffer.from(String(len), 'ascii'), body])
}

function octal(buf: Buffer, off: number, width: number, value: number): void {
  // width-1 zero-padded octal digits and a NUL, as GNU tar and Go write them
  buf.write(value.toString(8).padStart(width - 1, '0'), off, width - 1, 'ascii')
  buf[off + width - 1] = 0
}

function encodeHeader(h: Header): Buffer {
  const b = Buffer.alloc(512)
  b.write(h.name, 0, 100, 'utf8')
  octal(b, 100, 8, h.mode)
  octal(b, 108, 8, h.uid)
  octal(b, 116, 8, h.gid)
  octal(b, 124, 12, h.size)
  octal(b, 136, 12, h.mtime)
  b.write(h.typeflag, 156, 1, 'ascii')
  b.write(h.linkname, 157, 100, 'utf8')
  b.write('ustar\u000000', 257, 8, 'binary')
  octal(b, 329, 8, h.devmajor)
  octal(b, 337, 8, h.devminor)
  b.fill(0x20, 148, 156)
  let sum = 0
  for (let i = 0; i < 512; i++) sum += b[i]
  b.write(sum.toString(8).padStart(6, '0'), 148, 6, 'ascii')
  b[154] = 0
  b[155] = 0x20
  return b
}
