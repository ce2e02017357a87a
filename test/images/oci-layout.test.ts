// OCI image layouts end to end: the busybox fixture resolves, every blob is
// verified (a flipped byte or a wrong size is caught and named), layers
// open, sanitize and extract with real GNU tar to the expected tree, and
// skopeo reads our layouts (and we read skopeo's) as a cross-check.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {rmSync, readFileSync, writeFileSync, readlinkSync, lstatSync, mkdirSync, symlinkSync, appendFileSync, existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {tempDirs} from '../fixtures/tmp-dirs.js'
import {buildBusyboxLayout, BUSYBOX} from '../fixtures/busybox-image.js'
import {resolveImage} from '../../src/images/resolve.js'
import {resolveOciLayout, MediaType} from '../../src/images/oci-layout.js'
import {openLayer, layerAddTar} from '../../src/images/layer.js'
import {writeOciLayout} from '../../src/images/layout-writer.js'
import {readTar} from '../../src/images/tar/reader.js'
import {UserError} from '../../src/errors.js'

const tmp = tempDirs('tsctl-oci-', test)

const haveBusybox = existsSync(BUSYBOX)
const haveSkopeo = spawnSync('skopeo', ['--version']).status === 0

async function repoWithBusybox(): Promise<string> {
  const repo = tmp()
  await buildBusyboxLayout(join(repo, 'images/busybox'))
  return repo
}

function blobPath(layout: string, digest: string): string {
  return join(layout, 'blobs/sha256', digest.slice(7))
}

async function rejectsWith(p: Promise<unknown>, re: RegExp): Promise<UserError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, UserError, String(e))
    assert.match((e as Error).message, re)
    return e as UserError
  }
  assert.unreachable(`expected an error matching ${re}`)
  throw new Error('unreachable')
}

function sha(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`
}

if (!haveBusybox) {
  console.log(`SKIP: busybox image tests: ${BUSYBOX} is missing (apt-get install busybox-static)`)
  test.skip('busybox image tests', () => {})
} else {
  test('oci:images/busybox resolves to two verified layers and the config', async () => {
    const repo = await repoWithBusybox()
    const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
    assert.is(img.ref, 'oci:images/busybox')
    assert.match(img.digest, /^sha256:[a-f0-9]{64}$/)
    assert.is(img.layers.length, 2)
    assert.is(img.layers[0].mediaType, MediaType.ociLayerGzip)
    assert.equal(img.config.cmd, ['sh'])
    assert.equal(img.config.entrypoint, [])
    assert.is(img.config.workingDir, '/')
    assert.is(img.config.user, '')
    assert.match(img.config.env[0], /^PATH=/)
    assert.is(img.source.dir, join(repo, 'images/busybox'))
    const byTag = await resolveImage('oci:images/busybox:latest', {repoRoot: repo})
    assert.is(byTag.digest, img.digest)
    const byDigest = await resolveImage(`oci:images/busybox@${img.digest}`, {repoRoot: repo})
    assert.is(byDigest.digest, img.digest)
  })

  test('the same busybox gives the same digests', async () => {
    const a = await buildBusyboxLayout(join(tmp(), 'l'))
    const b = await buildBusyboxLayout(join(tmp(), 'l'))
    assert.is(a.manifest.digest, b.manifest.digest)
    assert.equal(a.layers, b.layers)
  })

  test('tag selection, several images, unknown tag and digest', async () => {
    const repo = await repoWithBusybox()
    const dir = join(repo, 'images/busybox')
    const base = await buildBusyboxLayout(dir, {tag: 'base', layered: false})
    assert.is((await resolveImage('oci:images/busybox:base', {repoRoot: repo})).layers.length, 1)
    assert.is((await resolveImage('oci:images/busybox:base', {repoRoot: repo})).digest, base.manifest.digest)
    await rejectsWith(resolveImage('oci:images/busybox', {repoRoot: repo}), /holds 2 images; say which/)
    const e = await rejectsWith(resolveImage('oci:images/busybox:nope', {repoRoot: repo, ctx: {file: 'manifests/web.yaml', line: 3, col: 5}}), /no image tagged "nope"/)
    assert.match(e.hint ?? '', /:latest/)
    assert.is(e.diagnostics[0].file, 'manifests/web.yaml', 'the position reaches the diagnostic')
    await rejectsWith(resolveImage(`oci:images/busybox@sha256:${'0'.repeat(64)}`, {repoRoot: repo}), /no manifest with digest/)
  })

  test('registry references are refused with a clear error', async () => {
    const e = await rejectsWith(resolveImage('busybox:1.36', {repoRoot: tmp(), ctx: {file: 'm.yaml', line: 1, col: 1, field: 'spec.containers[0].image'}}), /docker\.io\/library\/busybox:1\.36.*registry pulls not supported yet; use oci:PATH/)
    assert.is(e.exitCode, 2)
    assert.is(e.diagnostics[0].field, 'spec.containers[0].image')
  })

  test('not a layout, missing layout, layout outside the repo via symlink', async () => {
    const repo = tmp()
    mkdirSync(join(repo, 'images/empty'), {recursive: true})
    await rejectsWith(resolveImage('oci:images/empty', {repoRoot: repo}), /oci-layout: cannot read/)
    await rejectsWith(resolveImage('oci:images/missing', {repoRoot: repo}), /cannot read/)
    const outside = await repoWithBusybox()
    symlinkSync(join(outside, 'images/busybox'), join(repo, 'images/linked'))
    await rejectsWith(resolveImage('oci:images/linked', {repoRoot: repo}), /outside the repository/)
  })

  test('a blob symlinked out of the repo is refused even when its digest matches', async () => {
    const repo = await repoWithBusybox()
    const dir = join(repo, 'images/busybox')
    const img = await resolveOciLayout(dir, {root: repo})
    const elsewhere = tmp()
    const p = blobPath(dir, img.layers[0].digest)
    writeFileSync(join(elsewhere, 'blob'), readFileSync(p))
    rmSync(p)
    symlinkSync(join(elsewhere, 'blob'), p)
    await rejectsWith(openLayer(img, img.layers[0]), /blob sha256:.* resolves to .*outside the repository/)
  })

  test('a flipped byte in a layer blob is caught and the blob named', async () => {
    const repo = await repoWithBusybox()
    const dir = join(repo, 'images/busybox')
    const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
    const l = img.layers[1]
    const buf = readFileSync(blobPath(dir, l.digest))
    buf[buf.length >> 1] ^= 0x01
    writeFileSync(blobPath(dir, l.digest), buf)
    const e = await rejectsWith(openLayer(img, l), new RegExp(`layer 2 \\(${l.digest}\\): blob ${l.digest} does not match its digest \\(content hashes to sha256:`))
    assert.match(e.hint ?? '', /corrupt or was tampered with/)
    await openLayer(img, img.layers[0]) // the other layer is fine
  })

  test('a blob of the wrong size is caught before hashing', async () => {
    const repo = await repoWithBusybox()
    const dir = join(repo, 'images/busybox')
    const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
    appendFileSync(blobPath(dir, img.layers[0].digest), 'x')
    await rejectsWith(openLayer(img, img.layers[0]), new RegExp(`blob ${img.layers[0].digest} has ${img.layers[0].size + 1} bytes, the descriptor says ${img.layers[0].size}`))
  })

  test('a tampered manifest or config blob is caught at resolve time', async () => {
    const repo = await repoWithBusybox()
    const dir = join(repo, 'images/busybox')
    const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
    const cfg = readFileSync(blobPath(dir, img.configDigest))
    writeFileSync(blobPath(dir, img.configDigest), Buffer.from(cfg.toString().replace('"sh"', '"rm"')))
    await rejectsWith(resolveImage('oci:images/busybox', {repoRoot: repo}), new RegExp(`config ${img.configDigest}: blob ${img.configDigest} does not match its digest`))
    const man = readFileSync(blobPath(dir, img.digest))
    writeFileSync(blobPath(dir, img.digest), Buffer.from(man.toString().replace('"schemaVersion":2', '"schemaVersion":3')))
    await rejectsWith(resolveImage('oci:images/busybox', {repoRoot: repo}), new RegExp(`manifest ${img.digest}: blob ${img.digest} does not match`))
    rmSync(blobPath(dir, img.digest))
    await rejectsWith(resolveImage('oci:images/busybox', {repoRoot: repo}), /is missing from the layout/)
  })

  test('a layer whose uncompressed content does not match its diff_id is refused', async () => {
    const repo = tmp()
    const dir = join(repo, 'img')
    const w = await writeOciLayout(dir, {tag: 't', layers: [{entries: [{name: 'a', type: 'file', data: 'a'}]}]})
    // Re-point the config at another diff_id, re-hash config, manifest and index consistently.
    const cfg = JSON.parse(readFileSync(blobPath(dir, w.config.digest), 'utf8'))
    cfg.rootfs.diff_ids = [sha(Buffer.from('something else'))]
    const cfgBuf = Buffer.from(JSON.stringify(cfg))
    writeFileSync(blobPath(dir, sha(cfgBuf)), cfgBuf)
    const man = JSON.parse(readFileSync(blobPath(dir, w.manifest.digest), 'utf8'))
    man.config = {...man.config, digest: sha(cfgBuf), size: cfgBuf.length}
    const manBuf = Buffer.from(JSON.stringify(man))
    writeFileSync(blobPath(dir, sha(manBuf)), manBuf)
    writeFileSync(join(dir, 'index.json'), JSON.stringify({schemaVersion: 2, manifests: [{mediaType: MediaType.ociManifest, digest: sha(manBuf), size: manBuf.length, annotations: {'org.opencontainers.image.ref.name': 't'}}]}))
    const img = await resolveImage('oci:img:t', {repoRoot: repo})
    await rejectsWith(openLayer(img, img.layers[0]), /layer 1 .*uncompressed content hashes to sha256:.*the config's diff_id says/)
  })

  test('a nested index is followed to the manifest for this platform', async () => {
    const repo = tmp()
    const dir = join(repo, 'multi')
    const amd = await writeOciLayout(dir, {tag: 'amd', platform: {os: 'linux', architecture: 'amd64'}, layers: [{entries: [{name: 'amd', type: 'file'}]}]})
    const arm = await writeOciLayout(dir, {tag: 'arm', platform: {os: 'linux', architecture: 'arm64'}, layers: [{entries: [{name: 'arm', type: 'file'}]}]})
    const nested = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [
      {mediaType: MediaType.ociManifest, digest: amd.manifest.digest, size: amd.manifest.size, platform: {os: 'linux', architecture: 'amd64'}},
      {mediaType: MediaType.ociManifest, digest: arm.manifest.digest, size: arm.manifest.size, platform: {os: 'linux', architecture: 'arm64'}},
    ]}))
    writeFileSync(blobPath(dir, sha(nested)), nested)
    writeFileSync(join(dir, 'index.json'), JSON.stringify({schemaVersion: 2, manifests: [
      {mediaType: MediaType.ociIndex, digest: sha(nested), size: nested.length, annotations: {'org.opencontainers.image.ref.name': 'multi'}},
    ]}))
    const a = await resolveImage('oci:multi:multi', {repoRoot: repo, platform: {os: 'linux', architecture: 'amd64'}})
    assert.is(a.digest, amd.manifest.digest)
    const b = await resolveImage('oci:multi', {repoRoot: repo, platform: {os: 'linux', architecture: 'arm64'}})
    assert.is(b.digest, arm.manifest.digest)
    assert.is(b.platform.architecture, 'arm64')
    const c = await resolveImage(`oci:multi@${arm.manifest.digest}`, {repoRoot: repo})
    assert.is(c.digest, arm.manifest.digest, 'a digest inside a nested index is found')
    await rejectsWith(resolveImage('oci:multi:multi', {repoRoot: repo, platform: {os: 'linux', architecture: 's390x'}}), /no image for platform linux\/s390x/)
  })

  test('busybox layers open, and GNU tar extracts exactly the expected tree', async () => {
    const repo = await repoWithBusybox()
    const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
    const base = await openLayer(img, img.layers[0])
    const top = await openLayer(img, img.layers[1])
    assert.is(base.diffIdVerified, true)
    assert.equal(base.whiteouts, [])
    assert.equal(top.whiteouts, ['usr/share/tsctl/removed'])
    assert.equal(top.opaqueDirs, ['var/cache/tsctl'])
    assert.is(base.tarDigest, sha(base.tar))
    const d = tmp()
    const r = spawnSync('tar', ['-x', '-p', '--numeric-owner', '-f', '-', '-C', d], {input: base.tar})
    assert.is(r.status, 0, String(r.stderr))
    assert.ok(readFileSync(join(d, 'bin/busybox')).equals(readFileSync(BUSYBOX)))
    assert.is(lstatSync(join(d, 'bin/busybox')).mode & 0o7777, 0o755)
    for (const a of ['sh', 'true', 'sleep', 'httpd']) assert.is(readlinkSync(join(d, 'bin', a)), 'busybox')
    assert.is(lstatSync(join(d, 'tmp')).mode & 0o7777, 0o1777)
    assert.is(readFileSync(join(d, 'usr/share/tsctl/removed'), 'utf8'), 'removed by layer 2\n')
    // The extracted busybox really runs through its applet symlink.
    const run = spawnSync(join(d, 'bin/sh'), ['-c', 'echo hello from $0'], {encoding: 'utf8'})
    assert.is(run.stdout, 'hello from ' + join(d, 'bin/sh') + '\n')

    const d2 = tmp()
    assert.is(spawnSync('tar', ['-x', '-p', '-f', '-', '-C', d2], {input: top.tar}).status, 0)
    assert.equal(readdirSync(join(d2, 'var/cache/tsctl')), ['b'])
    assert.ok(!existsSync(join(d2, 'var/cache/tsctl/.wh..wh..opq')), 'markers are not extracted')
    assert.ok(!existsSync(join(d2, 'usr/share/tsctl/.wh.removed')))
    assert.is(readFileSync(join(d2, 'etc/os-release'), 'utf8').split('\n')[0], 'NAME="tsctl busybox"')
  })

  test('the layer-add stream extracts into root/ plus the two lists', async () => {
    const repo = await repoWithBusybox()
    const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
    const top = await openLayer(img, img.layers[1])
    const d = tmp()
    assert.is(spawnSync('tar', ['-x', '-p', '-f', '-', '-C', d], {input: layerAddTar(top)}).status, 0)
    assert.equal(readdirSync(d).sort(), ['opaque', 'root', 'whiteouts'])
    assert.is(readFileSync(join(d, 'whiteouts'), 'utf8'), 'usr/share/tsctl/removed\0')
    assert.is(readFileSync(join(d, 'opaque'), 'utf8'), 'var/cache/tsctl\0')
    assert.is(readFileSync(join(d, 'root/var/cache/tsctl/b'), 'utf8'), 'only this survives\n')
  })
}

test('a well-formed layout with a hostile layer is refused at openLayer, naming image, layer and entry', async () => {
  const repo = tmp()
  await writeOciLayout(join(repo, 'images/evil'), {tag: 'v1', layers: [
    {entries: [{name: 'ok', type: 'file', data: 'fine'}]},
    {entries: [{name: 'etc', type: 'symlink', linkname: '/etc'}, {name: 'etc/cron.d/x', type: 'file', data: '* * * * * root sh'}]},
  ]})
  const img = await resolveImage('oci:images/evil:v1', {repoRoot: repo})
  await openLayer(img, img.layers[0])
  const e = await rejectsWith(openLayer(img, img.layers[1]), /^oci:images\/evil:v1: layer 2 \(sha256:[a-f0-9]{64}\): rejected entry "etc\/cron.d\/x": it would be written through the symlink "etc"/)
  assert.is(e.exitCode, 2)
})

test('a layer made by GNU tar (long names, hardlinks, setuid) round-trips through sanitize and tar -x', async () => {
  const src = tmp()
  const deep = join('opt', 'x'.repeat(90), 'y'.repeat(90), 'z'.repeat(40))
  mkdirSync(join(src, deep), {recursive: true})
  writeFileSync(join(src, deep, 'file.txt'), 'deep\n')
  writeFileSync(join(src, 'opt/su'), 'su\n', {mode: 0o4755})
  spawnSync('chmod', ['4755', join(src, 'opt/su')])
  spawnSync('ln', [join(src, 'opt/su'), join(src, 'opt/su-hard')])
  symlinkSync('/opt/su', join(src, 'opt/abs-link'))
  writeFileSync(join(src, 'opt/.wh.old'), '')
  for (const format of ['gnu', 'pax']) {
    const tar = spawnSync('tar', [`--format=${format}`, '--sort=name', '--numeric-owner', '-c', '-f', '-', '-C', src, '.']).stdout
    const repo = tmp()
    await writeOciLayout(join(repo, 'l'), {tag: format, layers: [{tar}]})
    const img = await resolveImage(`oci:l:${format}`, {repoRoot: repo})
    const opened = await openLayer(img, img.layers[0])
    assert.equal(opened.whiteouts, ['opt/old'])
    const out = tmp()
    const r = spawnSync('tar', ['-x', '-p', '-f', '-', '-C', out], {input: opened.tar})
    assert.is(r.status, 0, String(r.stderr))
    assert.is(readFileSync(join(out, deep, 'file.txt'), 'utf8'), 'deep\n', `${format}: long name`)
    assert.is(lstatSync(join(out, 'opt/su')).mode & 0o7777, 0o4755, `${format}: setuid kept`)
    assert.is(lstatSync(join(out, 'opt/su-hard')).ino, lstatSync(join(out, 'opt/su')).ino, `${format}: hardlink kept`)
    assert.is(readlinkSync(join(out, 'opt/abs-link')), '/opt/su')
    assert.ok(!existsSync(join(out, 'opt/.wh.old')))
    const listed = [...readTar(opened.tar)].map((e) => e.name)
    assert.is(listed[0], './', 'the root entry keeps its metadata')
    assert.ok(listed.slice(1).every((n) => !n.startsWith('./') && !n.startsWith('/')), 'names are normalised')
  }
})

if (!haveSkopeo) {
  console.log('SKIP: skopeo cross-check: skopeo is not installed (apt-get install skopeo)')
  test.skip('skopeo cross-check', () => {})
} else if (haveBusybox) {
  test('skopeo inspects our layout and copies it; we resolve skopeo\'s copy', async () => {
    const repo = await repoWithBusybox()
    const dir = join(repo, 'images/busybox')
    const img = await resolveImage('oci:images/busybox:latest', {repoRoot: repo})
    const r = spawnSync('skopeo', ['inspect', `oci:${dir}:latest`], {encoding: 'utf8'})
    assert.is(r.status, 0, r.stderr)
    const info = JSON.parse(r.stdout)
    assert.is(info.Digest, img.digest)
    assert.equal(info.Layers, img.layers.map((l) => l.digest))
    assert.is(info.Architecture, img.platform.architecture)

    const copy = join(repo, 'images/copy')
    const c = spawnSync('skopeo', ['copy', '--quiet', `oci:${dir}:latest`, `oci:${copy}:copied`], {encoding: 'utf8'})
    assert.is(c.status, 0, c.stderr)
    const viaSkopeo = await resolveImage('oci:images/copy:copied', {repoRoot: repo})
    assert.equal(viaSkopeo.layers.map((l) => l.diffId), img.layers.map((l) => l.diffId))
    for (const l of viaSkopeo.layers) await openLayer(viaSkopeo, l)
  })

  test('a zstd layer (written by skopeo) opens on a Node with zstd, else a clear error', async () => {
    const repo = await repoWithBusybox()
    const z = join(repo, 'images/zstd')
    const c = spawnSync('skopeo', ['copy', '--quiet', '--dest-compress-format', 'zstd', `oci:${join(repo, 'images/busybox')}:latest`, `oci:${z}:z`], {encoding: 'utf8'})
    assert.is(c.status, 0, c.stderr)
    const img = await resolveImage('oci:images/zstd:z', {repoRoot: repo})
    assert.is(img.layers[0].mediaType, MediaType.ociLayerZstd)
    if ('zstdDecompressSync' in (await import('node:zlib'))) {
      const opened = await openLayer(img, img.layers[0])
      assert.is(opened.diffIdVerified, true)
    } else {
      await rejectsWith(openLayer(img, img.layers[0]), /zstd-compressed layers need Node 22\.15 or later/)
    }
  })
}

test.run()
