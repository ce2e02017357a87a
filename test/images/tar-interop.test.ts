// The tar writer and reader against real GNU tar and busybox tar: what we
// write must extract to exactly the intended tree, and what GNU tar writes
// (gnu and pax formats, long names) must read back as GNU tar meant it.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {spawnSync} from 'node:child_process'
import {readFileSync, lstatSync, readlinkSync, writeFileSync, mkdirSync, symlinkSync, linkSync, chmodSync} from 'node:fs'
import {join} from 'node:path'
import {tempDirs} from '../fixtures/tmp-dirs.js'
import {writeTar} from '../../src/images/tar/writer.js'
import {readTar} from '../../src/images/tar/reader.js'

const tmp = tempDirs('tsctl-tar-', test)

function run(argv: string[], input?: Buffer): Buffer {
  const r = spawnSync(argv[0], argv.slice(1), {input, maxBuffer: 64 << 20})
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

const long = 'a/' + 'b'.repeat(120) + '/' + 'c'.repeat(120) + '.txt'
const longTarget = 'target-' + 't'.repeat(150)
const tree = writeTar([
  {name: 'a', type: 'dir', mode: 0o750},
  {name: 'a/file', type: 'file', mode: 0o640, data: 'hello\n', mtime: 1600000000},
  {name: long, type: 'file', data: 'long\n'},
  {name: 'a/link', type: 'symlink', linkname: 'file'},
  {name: 'a/longlink', type: 'symlink', linkname: longTarget},
  {name: 'a/hard', type: 'hardlink', linkname: 'a/file'},
  {name: 'a/suid', type: 'file', mode: 0o4755, data: '#!/bin/sh\n'},
])

for (const [label, argv] of [['GNU tar', ['tar']], ['busybox tar', ['busybox', 'tar']]] as const) {
  const name = `${label} extracts the writer's output to the intended tree`
  if (spawnSync(argv[0], ['--help']).error) {
    console.log(`SKIP: ${name}: ${argv[0]} is not installed`)
    test.skip(name, () => {})
    continue
  }
  test(name, () => {
    const d = tmp()
    run([...argv, '-x', '-p', '-f', '-', '-C', d], tree)
    assert.is(lstatSync(join(d, 'a')).mode & 0o7777, 0o750)
    assert.is(readFileSync(join(d, 'a/file'), 'utf8'), 'hello\n')
    assert.is(lstatSync(join(d, 'a/file')).mode & 0o7777, 0o640)
    assert.is(lstatSync(join(d, 'a/file')).mtimeMs, 1600000000 * 1000)
    assert.is(readFileSync(join(d, long), 'utf8'), 'long\n')
    assert.is(readlinkSync(join(d, 'a/link')), 'file')
    assert.is(readlinkSync(join(d, 'a/longlink')), longTarget)
    assert.is(lstatSync(join(d, 'a/hard')).ino, lstatSync(join(d, 'a/file')).ino)
    assert.is(lstatSync(join(d, 'a/suid')).mode & 0o7777, 0o4755)
  })
}

test('GNU tar lists the writer output with the same names', () => {
  const names = run(['tar', '-t', '-f', '-'], tree).toString().trim().split('\n')
  assert.equal(names, ['a/', 'a/file', long, 'a/link', 'a/longlink', 'a/hard', 'a/suid'])
})

for (const format of ['gnu', 'pax', 'ustar', 'v7'] as const) {
  test(`reader reads GNU tar --format=${format}`, () => {
    const d = tmp()
    mkdirSync(join(d, 'src/sub'), {recursive: true})
    writeFileSync(join(d, 'src/sub/f'), 'data')
    chmodSync(join(d, 'src/sub/f'), 0o600)
    symlinkSync('sub/f', join(d, 'src/sym'))
    linkSync(join(d, 'src/sub/f'), join(d, 'src/hl'))
    const deep = format === 'v7' || format === 'ustar' ? 'src/deep' : 'src/' + 'd'.repeat(110) + '/' + 'e'.repeat(40)
    mkdirSync(join(d, deep), {recursive: true})
    writeFileSync(join(d, deep, 'x'), 'deep')
    const archive = run(['tar', `--format=${format}`, '--sort=name', '-c', '-f', '-', '-C', d, 'src'])
    const got = new Map([...readTar(archive)].map((e) => [e.name.replace(/\/$/, ''), e]))
    // --sort=name stores src/hl first with the data; src/sub/f becomes its hardlink
    assert.is(got.get('src/hl')?.type, 'file')
    assert.is(got.get('src/hl')?.data.toString(), 'data')
    assert.is(got.get('src/hl')?.mode, 0o600)
    assert.is(got.get('src/sub/f')?.type, 'hardlink')
    assert.is(got.get('src/sub/f')?.linkname, 'src/hl')
    assert.is(got.get('src/sym')?.type, 'symlink')
    assert.is(got.get('src/sym')?.linkname, 'sub/f')
    assert.is(got.get(`${deep}/x`)?.data.toString(), 'deep')
    assert.is(got.get(deep)?.type ?? (format === 'v7' ? 'dir' : undefined), 'dir')
  })
}

test.run()
