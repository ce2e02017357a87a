import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {readTar} from '../../../src/images/tar/reader.js'
import {writeTar, tarStream, TarWriter} from '../../../src/images/tar/writer.js'
import {TarFormatError, type TarEntryInput} from '../../../src/images/tar/entry.js'

const long = 'd/' + 'x'.repeat(150) + '/file-with-a-long-name.txt'
const entries: TarEntryInput[] = [
  {name: 'bin', type: 'dir'},
  {name: 'bin/busybox', type: 'file', mode: 0o755, data: 'ELF'},
  {name: 'bin/sh', type: 'symlink', linkname: 'busybox'},
  {name: 'bin/ash', type: 'hardlink', linkname: 'bin/busybox'},
  {name: 'etc/passwd', type: 'file', uid: 1000, gid: 3000000, mtime: 1700000000, data: Buffer.from('root:x:0:0\n')},
  {name: long, type: 'file', data: 'long'},
  {name: 'l', type: 'symlink', linkname: '/' + 'y'.repeat(200)},
  {name: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3},
  {name: 'sbin/su', type: 'file', mode: 0o4755, data: ''},
  {name: 'ünïcode/名前', type: 'file', data: 'u'},
]

test('writer output reads back entry for entry', () => {
  const out = [...readTar(writeTar(entries))]
  assert.is(out.length, entries.length)
  assert.equal(out.map((e) => e.name), ['bin/', 'bin/busybox', 'bin/sh', 'bin/ash', 'etc/passwd', long, 'l', 'dev/null', 'sbin/su', 'ünïcode/名前'])
  assert.equal(out.map((e) => e.type), ['dir', 'file', 'symlink', 'hardlink', 'file', 'file', 'symlink', 'char', 'file', 'file'])
  assert.is(out[1].mode, 0o755)
  assert.is(out[1].data.toString(), 'ELF')
  assert.is(out[2].linkname, 'busybox')
  assert.is(out[3].linkname, 'bin/busybox')
  assert.is(out[4].uid, 1000)
  assert.is(out[4].gid, 3000000, 'gid beyond ustar range travels in pax')
  assert.is(out[4].mtime, 1700000000)
  assert.is(out[5].data.toString(), 'long')
  assert.is(out[6].linkname, '/' + 'y'.repeat(200))
  assert.is(out[7].devmajor, 1)
  assert.is(out[7].devminor, 3)
  assert.is(out[8].mode, 0o4755)
  assert.is(out[0].mode, 0o755, 'directory default mode')
  assert.is(out[2].mode, 0o777, 'symlink default mode')
})

test('output is deterministic and the default mtime is fixed', () => {
  const a = writeTar(entries)
  const b = writeTar(entries)
  assert.ok(a.equals(b))
  assert.is([...readTar(a)][1].mtime, 0)
  assert.is([...readTar(writeTar(entries, {mtime: 42}))][1].mtime, 42)
  assert.is(a.length % 512, 0)
  assert.ok(a.subarray(a.length - 1024).equals(Buffer.alloc(1024)), 'ends with two zero blocks')
})

test('tarStream yields the same bytes as writeTar', async () => {
  async function* gen() { for (const e of entries) yield e }
  const chunks: Buffer[] = []
  for await (const c of tarStream(gen())) chunks.push(c as Buffer)
  assert.ok(Buffer.concat(chunks).equals(writeTar(entries)))
})

test('entry after end is refused', () => {
  const w = new TarWriter()
  w.end()
  assert.throws(() => w.entry({name: 'a', type: 'file'}))
})

test('a NUL inside a name survives (through pax) so validators can see it', () => {
  const [e] = [...readTar(writeTar([{name: 'a\0b', type: 'file'}]))]
  assert.is(e.name, 'a\0b')
})

test('corrupt checksum and truncation are format errors', () => {
  const t = writeTar([{name: 'a', type: 'file', data: 'hello'}])
  const bad = Buffer.from(t)
  bad[0] = 'b'.charCodeAt(0)
  assert.throws(() => [...readTar(bad)], (e: unknown) => e instanceof TarFormatError && /checksum/.test((e as Error).message))
  assert.throws(() => [...readTar(t.subarray(0, 514))], (e: unknown) => e instanceof TarFormatError && /truncated/.test((e as Error).message))
})

test('an archive without end blocks still reads', () => {
  const t = writeTar([{name: 'a', type: 'file', data: 'x'}])
  assert.is([...readTar(t.subarray(0, 1024))].length, 1)
})

test('header-only types consume no data even if size is set (as Go reads them)', () => {
  // hand-made: a symlink header claiming size 512, followed directly by a file header
  const w = new TarWriter()
  const sym = w.entry({name: 's', type: 'symlink', linkname: 't'})
  setSize(sym, 0, 512)
  const file = w.entry({name: 'f', type: 'file', data: 'x'})
  const out = [...readTar(Buffer.concat([sym, file, w.end()]))]
  assert.equal(out.map((e) => e.name), ['s', 'f'])
})

test('ustar prefix field is joined to the name', () => {
  const w = new TarWriter()
  const h = w.entry({name: 'base', type: 'file'})
  h.write('some/prefix', 345, 'ascii')
  fixChecksum(h, 0)
  assert.is([...readTar(Buffer.concat([h, w.end()]))][0].name, 'some/prefix/base')
})

test('GNU base-256 numbers are read', () => {
  const w = new TarWriter()
  const h = w.entry({name: 'big', type: 'file'})
  h.fill(0, 108, 116)
  h[108] = 0x80
  h.writeUInt32BE(5_000_000, 112)
  fixChecksum(h, 0)
  assert.is([...readTar(Buffer.concat([h, w.end()]))][0].uid, 5_000_000)
})

function setSize(buf: Buffer, off: number, size: number): void {
  buf.write(size.toString(8).padStart(11, '0') + '\0', off + 124, 12, 'ascii')
  fixChecksum(buf, off)
}

function fixChecksum(buf: Buffer, off: number): void {
  buf.fill(0x20, off + 148, off + 156)
  let sum = 0
  for (let i = 0; i < 512; i++) sum += buf[off + i]
  buf.write(sum.toString(8).padStart(6, '0') + '\0 ', off + 148, 8, 'ascii')
}

test.run()
