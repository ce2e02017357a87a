// Hostile and tricky layer tars, built with our writer and by hand, each
// rejected with the entry named; whiteout conversion; what is kept.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {sanitizeLayerTar, layerAddTar, LayerRejectedError} from '../../../src/images/layer.js'
import {writeTar} from '../../../src/images/tar/writer.js'
import {readTar} from '../../../src/images/tar/reader.js'
import type {TarEntryInput} from '../../../src/images/tar/entry.js'
import {UserError} from '../../../src/errors.js'

const WHAT = 'oci:images/evil:1 layer 1 (sha256:feed)'

function rejects(tar: Buffer, entry: string, reason: RegExp): void {
  try {
    sanitizeLayerTar(tar, WHAT)
    assert.unreachable('layer was accepted')
  } catch (e) {
    if (!(e instanceof LayerRejectedError)) throw e
    assert.is(e.entry, entry, 'names the entry')
    assert.match(e.reason, reason)
    assert.ok(e.message.startsWith(`${WHAT}: rejected entry ${JSON.stringify(entry)}: `), e.message)
    assert.is(e.exitCode, 2)
  }
}
const t = (...entries: TarEntryInput[]) => writeTar(entries)
const file = (name: string, data = 'x'): TarEntryInput => ({name, type: 'file', data})

/** A raw ustar header + data, written byte by byte (no help from our writer). */
function rawEntry(name: string, typeflag: string, opts: {linkname?: string; data?: Buffer; size?: number} = {}): Buffer {
  const h = Buffer.alloc(512)
  h.write(name, 0, 100, 'binary')
  h.write('0000644\0', 100, 'ascii')
  h.write('0000000\0', 108, 'ascii')
  h.write('0000000\0', 116, 'ascii')
  const data = opts.data ?? Buffer.alloc(0)
  h.write((opts.size ?? data.length).toString(8).padStart(11, '0') + '\0', 124, 'ascii')
  h.write('00000000000\0', 136, 'ascii')
  h.write(typeflag, 156, 'binary')
  h.write(opts.linkname ?? '', 157, 100, 'binary')
  h.write('ustar\x0000', 257, 'binary')
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii')
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512)
  return Buffer.concat([h, data, pad])
}
function paxRecord(k: string, v: string): Buffer {
  const body = ` ${k}=${v}\n`
  let n = body.length + 1
  while (String(n).length + body.length !== n) n = String(n).length + body.length
  return Buffer.from(`${n}${body}`)
}
const END = Buffer.alloc(1024)

test('absolute path (our writer)', () => rejects(t(file('/etc/passwd')), '/etc/passwd', /absolute path/))
test('absolute path (by hand)', () => rejects(Buffer.concat([rawEntry('/root/.ssh/authorized_keys', '0', {data: Buffer.from('k')}), END]), '/root/.ssh/authorized_keys', /absolute/))
test('../ escape', () => rejects(t(file('a/../../etc/shadow')), 'a/../../etc/shadow', /"\.\." path component/))
test('.. even when it would stay inside', () => rejects(t(file('a/b/../c')), 'a/b/../c', /\.\./))
test('symlink then a file through it', () =>
  rejects(t({name: 'etc', type: 'symlink', linkname: '/host-etc'}, file('etc/cron.d/evil')), 'etc/cron.d/evil', /through the symlink "etc"/))
test('symlinked dir then a write into it (by hand, with ./ prefixes)', () =>
  rejects(Buffer.concat([rawEntry('./d', '5'), rawEntry('./d/link', '2', {linkname: '../../..'}), rawEntry('./d/link/x', '0', {data: Buffer.from('x')}), END]), './d/link/x', /symlink "d\/link"/))
test('symlink replaced by a file at the same path (duplicate)', () =>
  rejects(t({name: 'x', type: 'symlink', linkname: '/etc/passwd'}, file('x')), 'x', /duplicate entry: "x" is already a symlink/))
test('directory replaced by a symlink', () =>
  rejects(t({name: 'd', type: 'dir'}, {name: 'd', type: 'symlink', linkname: '/'}), 'd', /already a dir/))
test('implicit parent directory then a symlink at its path', () =>
  rejects(t(file('d/f'), {name: 'd', type: 'symlink', linkname: '/'}), 'd', /already a dir/))
test('hardlink to /etc/passwd', () =>
  rejects(t({name: 'passwd', type: 'hardlink', linkname: '/etc/passwd'}), 'passwd', /hardlink target "\/etc\/passwd": absolute path/))
test('hardlink with .. escape (by hand)', () =>
  rejects(Buffer.concat([rawEntry('h', '1', {linkname: '../../etc/shadow'}), END]), 'h', /hardlink target .*"\.\." path component/))
test('hardlink to a file not (yet) in the layer', () =>
  rejects(t({name: 'h', type: 'hardlink', linkname: 'later'}, file('later')), 'h', /not a regular file earlier in this layer/))
test('hardlink to a directory', () =>
  rejects(t({name: 'd', type: 'dir'}, {name: 'h', type: 'hardlink', linkname: 'd'}), 'h', /not a regular file/))
test('hardlink to a symlink', () =>
  rejects(t({name: 's', type: 'symlink', linkname: '/etc/shadow'}, {name: 'h', type: 'hardlink', linkname: 's'}), 'h', /not a regular file/))
test('character device', () => rejects(t({name: 'dev/mem', type: 'char', devmajor: 1, devminor: 1}), 'dev/mem', /character device/))
test('block device (by hand)', () => rejects(Buffer.concat([rawEntry('dev/sda', '4'), END]), 'dev/sda', /block device/))
test('fifo', () => rejects(t({name: 'p', type: 'fifo'}), 'p', /fifo/))
test('unknown typeflag (GNU sparse)', () => rejects(Buffer.concat([rawEntry('sparse', 'S'), END]), 'sparse', /unsupported tar entry type "S"/))
test('long pax name escapes while the ustar name looks harmless', () => {
  const evil = 'usr/' + 'a'.repeat(120) + '/../../../../etc/ld.so.preload'
  const pax = paxRecord('path', evil)
  rejects(Buffer.concat([rawEntry('PaxHeaders/x', 'x', {data: pax}), rawEntry('harmless', '0', {data: Buffer.from('x')}), END]), evil, /"\.\." path component/)
})
test('long pax name escape through our writer', () => {
  const evil = '../' + 'b'.repeat(200)
  rejects(t(file(evil)), evil, /\.\./)
})
test('GNU long name (L) that is absolute', () => {
  const name = Buffer.from('/' + 'c'.repeat(150) + '\0')
  rejects(Buffer.concat([rawEntry('././@LongLink', 'L', {data: name}), rawEntry('short', '0'), END]), '/' + 'c'.repeat(150), /absolute/)
})
test('GNU long link (K) hardlink escape', () => {
  const target = Buffer.from('../' + 'd'.repeat(150) + '\0')
  rejects(Buffer.concat([rawEntry('././@LongLink', 'K', {data: target}), rawEntry('h', '1', {linkname: 'x'}), END]), 'h', /\.\./)
})
test('NUL inside a name (pax)', () => rejects(t(file('ok\0/../../etc')), 'ok\0/../../etc', /NUL/))
test('NUL in a symlink target', () => rejects(t({name: 's', type: 'symlink', linkname: 'a\0b'}), 's', /NUL/))
test('file under a file', () => rejects(t(file('f'), file('f/g')), 'f/g', /parent "f" is a file/))
test('whiteout through a symlink', () =>
  rejects(t({name: 'l', type: 'symlink', linkname: '/etc'}, file('l/.wh.passwd')), 'l/.wh.passwd', /through the symlink "l"/))
test('opaque marker inside a symlinked dir', () =>
  rejects(t({name: 'l', type: 'symlink', linkname: '/'}, file('l/.wh..wh..opq')), 'l/.wh..wh..opq', /symlink "l"/))
test('empty whiteout name', () => rejects(t(file('d/.wh.')), 'd/.wh.', /whiteout must name a file/))
test('whiteout of ..', () => rejects(t(file('d/.wh...')), 'd/.wh...', /whiteout/))
test('root that is not a directory', () => rejects(t(file('./')), './', /root must be a directory/))
test('invalid UTF-8 name (by hand)', () => rejects(Buffer.concat([rawEntry('bad\xff', '0'), END]), 'bad\uFFFD', /UTF-8/))
test('path component over 255 bytes', () => rejects(t(file('x'.repeat(256))), 'x'.repeat(256), /255/))

test('a malformed tar is a UserError naming the layer', () => {
  const bad = t(file('a'))
  bad[10] ^= 0xff
  assert.throws(() => sanitizeLayerTar(bad, WHAT), (e: unknown) => e instanceof UserError && /^oci:images\/evil:1 layer 1 .*malformed tar: header checksum/.test((e as Error).message))
})

test('whiteouts and opaque dirs become lists and leave the tar', () => {
  const s = sanitizeLayerTar(t(
    {name: 'usr/share', type: 'dir'},
    file('usr/share/.wh.doc'),
    file('.wh.top'),
    {name: 'var/cache', type: 'dir'},
    file('var/cache/.wh..wh..opq'),
    file('var/cache/new'),
    file('.wh..wh..opq'),
    file('etc/.wh..wh.plnk'),
    file('etc/.wh.hosts'),
    file('etc/hosts', 'recreated in this layer'),
    file('opt/.wh.app'),
    file('opt/app/bin'),
  ), WHAT)
  assert.equal(s.whiteouts, ['top', 'usr/share/doc'], 'same-layer paths are not whited out')
  assert.equal(s.opaqueDirs, ['.', 'opt/app', 'var/cache'], 'a whited-out dir the layer recreates becomes opaque')
  const names = [...readTar(s.tar)].map((e) => e.name)
  assert.equal(names, ['usr/share/', 'var/cache/', 'var/cache/new', 'etc/hosts', 'opt/app/bin'])
  assert.ok(!names.some((n) => n.includes('.wh.')))
  assert.is(s.entries, 5)
})

test('parents of whiteouts and opaque dirs the layer lacks are added as directories', () => {
  const s = sanitizeLayerTar(t(file('a/b/.wh.c'), file('x/y/.wh..wh..opq'), file('a/keep')), WHAT)
  assert.equal(s.whiteouts, ['a/b/c'])
  assert.equal(s.opaqueDirs, ['x/y'])
  const out = [...readTar(s.tar)]
  assert.equal(out.map((e) => e.name), ['a/keep', 'a/b/', 'x/', 'x/y/'], '"a" exists as the parent of a/keep')
  assert.is(out[1].mode, 0o755)
})

test('what is kept: modes with setuid, ids, mtimes, symlinks anywhere, hardlinks to earlier files, normalised names', () => {
  const s = sanitizeLayerTar(t(
    {name: './', type: 'dir', mode: 0o755},
    {name: './bin/', type: 'dir'},
    {name: './bin/su', type: 'file', mode: 0o4755, uid: 0, gid: 0, data: 'su', mtime: 1234},
    {name: 'bin//ping', type: 'file', mode: 0o2755, uid: 5, gid: 7, data: 'p'},
    {name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox'},
    {name: 'bin/up', type: 'symlink', linkname: '../../../../etc'},
    {name: 'bin/su2', type: 'hardlink', linkname: './bin/su'},
    {name: 'tmp', type: 'dir', mode: 0o1777},
    {name: 'tmp', type: 'dir', mode: 0o1777},
  ), WHAT)
  const out = [...readTar(s.tar)]
  assert.equal(out.map((e) => e.name), ['./', 'bin/', 'bin/su', 'bin/ping', 'bin/sh', 'bin/up', 'bin/su2', 'tmp/', 'tmp/'])
  assert.is(out[2].mode, 0o4755)
  assert.is(out[2].mtime, 1234)
  assert.is(out[3].mode, 0o2755)
  assert.is(out[3].uid, 5)
  assert.is(out[3].gid, 7)
  assert.is(out[5].linkname, '../../../../etc', 'symlink targets are resolved inside the container, so any target is fine')
  assert.is(out[6].linkname, 'bin/su')
  assert.is(out[7].mode, 0o1777)
})

test('sanitizing is deterministic and idempotent', () => {
  const input = t(file('a'), {name: 'b', type: 'symlink', linkname: 'a'}, file('.wh.c'))
  const a = sanitizeLayerTar(input, WHAT)
  const b = sanitizeLayerTar(input, WHAT)
  assert.ok(a.tar.equals(b.tar))
  assert.ok(sanitizeLayerTar(a.tar, WHAT).tar.equals(a.tar))
})

test('layerAddTar: files under root/, then the whiteouts and opaque lists (NUL-terminated)', () => {
  const s = sanitizeLayerTar(t(file('a/f'), {name: 'a/h', type: 'hardlink', linkname: 'a/f'}, file('.wh.gone'), file('d/.wh..wh..opq')), WHAT)
  const out = [...readTar(layerAddTar(s))]
  assert.equal(out.map((e) => e.name), ['root/', 'root/a/f', 'root/a/h', 'root/d/', 'whiteouts', 'opaque'])
  assert.is(out[2].linkname, 'root/a/f')
  assert.is(out[4].data.toString(), 'gone\0')
  assert.is(out[5].data.toString(), 'd\0')
  const empty = [...readTar(layerAddTar(sanitizeLayerTar(t(), WHAT)))]
  assert.equal(empty.map((e) => [e.name, e.size]), [['root/', 0], ['whiteouts', 0], ['opaque', 0]])
})

test('layerAddTar keeps the layer root metadata', () => {
  const s = sanitizeLayerTar(t({name: '.', type: 'dir', mode: 0o700}, file('x')), WHAT)
  const out = [...readTar(layerAddTar(s))]
  assert.equal(out.map((e) => e.name), ['root/', 'root/x', 'whiteouts', 'opaque'])
  assert.is(out[0].mode, 0o700)
})

test.run()
