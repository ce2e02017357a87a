// Host garbage collection of layers and image records, for real: layers go
// through layer-add, records through image-add, a pod runs on one of the
// layers, and image-gc removes exactly what no kept image and no pod uses.
// The pod's layer staying with an empty keep list is the safety property.
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {bundleTar} from '../../src/host/bundle/bundle-tar.js'
import {buildPodBundle} from '../../src/host/bundle/pod-bundle.js'
import {layerStoreFromInfo} from '../../src/host/status-lines.js'
import {layer, pod, sh, testHost, type TestHost} from './_host.js'

let host: TestHost

test.before(async () => {
  host = await testHost()
})

test.after(async () => {
  if (!host) return // before failed: it said why
  rmSync(join(host.root, 'pods', 'urebooted'), {recursive: true, force: true})
  const left = await host.cleanup()
  assert.equal(left, [], 'nothing of the test root is left')
})

const sha = (s: string | Buffer) => 'sha256:' + createHash('sha256').update(s).digest('hex')

/**
 * A tiny layer tar with a read-only directory holding a read-only file, as
 * extracted images have (rm -rf must still remove it), and its digest.
 */
function tinyLayer(name: string): {digest: string; tar: Buffer} {
  const dir = mkdtempSync('/tmp/tsctl-gclayer-')
  try {
    mkdirSync(join(dir, 'root/ro'), {recursive: true})
    writeFileSync(join(dir, 'root', name), `layer ${name}\n`)
    writeFileSync(join(dir, 'root/ro/file'), name)
    execFileSync('chmod', ['0444', join(dir, 'root/ro/file')])
    execFileSync('chmod', ['0555', join(dir, 'root/ro')])
    const tar = execFileSync('tar', ['-c', '-C', dir, '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--sort=name', 'root'])
    return {digest: sha(tar), tar}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

const X = tinyLayer('x')
const Y = tinyLayer('y')
const B = () => layer().digest // busybox: what every test pod runs on
const IMG_POD = sha('image pod'), IMG_X = sha('image x'), IMG_Y = sha('image y')

const hex = (d: string) => d.slice('sha256:'.length)
const hasLayer = (d: string) => existsSync(join(host.root, 'layers', hex(d)))
const record = (d: string) => join(host.root, 'images', hex(d))
const running = (p: {phase: string; containers: {state: string}[]}) => p.phase === 'Running' && p.containers.every((c) => c.state === 'running')
const sorted = (a: string[]) => [...a].sort()

/** X and Y stored, with image records IMG_X → X, IMG_Y → Y and IMG_POD → busybox. */
async function seed(): Promise<void> {
  await host.client.addLayer(X.digest, X.tar)
  await host.client.addLayer(Y.digest, Y.tar)
  await host.client.addImage(IMG_X, [X.digest])
  await host.client.addImage(IMG_Y, [Y.digest])
  await host.client.addImage(IMG_POD, [B()])
}

test('image-add writes the record (one diff_id a line), atomically and idempotently', async () => {
  await host.client.addImage(IMG_X, [X.digest, B()])
  await host.client.addImage(IMG_X, [X.digest, B()])
  assert.is(readFileSync(record(IMG_X), 'utf8'), `${X.digest}\n${B()}\n`)
  assert.equal(readdirSync(join(host.root, 'images')), [hex(IMG_X)], 'no temp file is left')
  rmSync(record(IMG_X))
})

test('malformed digests are refused with the reason, exit 1, before anything changes', async () => {
  await seed()
  const before = readFileSync(record(IMG_X), 'utf8')
  const bad = await host.client.run(['image-add', IMG_X, X.digest, 'sha256:ABC'])
  assert.is(bad.code, 1)
  assert.is(bad.stderr.trim(), 'tsctl-runtime: invalid digest: sha256:ABC (want sha256: and 64 lowercase hex digits)')
  assert.is(readFileSync(record(IMG_X), 'utf8'), before, 'the record is unchanged')
  assert.is((await host.client.run(['image-add', 'latest', X.digest])).code, 1)
  const upper = 'sha256:' + hex(IMG_X).toUpperCase()
  const gcArg = await host.client.run(['image-gc', IMG_X, upper])
  assert.is(gcArg.code, 1)
  assert.match(gcArg.stderr, `invalid digest: ${upper}`)
  const gcStdin = await host.client.run(['image-gc', '-'], {stdin: Buffer.from(`${IMG_X}\n\nnot-a-digest\n`)})
  assert.is(gcStdin.code, 1)
  assert.match(gcStdin.stderr, 'invalid digest: not-a-digest')
  const err = await host.client.gcImages([IMG_X, 'sha256:1234']).then(() => undefined, (e: Error) => e)
  assert.match(err?.message ?? 'resolved', /image-gc failed \(exit 1\).*invalid digest: sha256:1234/)
  assert.ok(existsSync(record(IMG_Y)) && hasLayer(Y.digest), 'nothing was removed')
  for (const [argv, usage] of [[['image-add'], 'image-add DIGEST DIFFID...'], [['image-add', IMG_X], 'image-add DIGEST DIFFID...'], [['image-gc', '-', IMG_X], 'image-gc [KEEPDIGEST...] | image-gc - < KEEPLIST']] as const) {
    const r = await host.client.run([...argv])
    assert.is(r.code, 2, argv.join(' '))
    assert.is(r.stderr.trim(), `usage: tsctl-runtime [--root DIR] ${usage}`)
  }
})

test('a layer a running pod uses stays with an empty keep list; the unused ones go', async () => {
  await seed()
  const uid = await host.apply(pod('keeper', [{command: ['sleep', '3600']}]))
  await host.waitPod(uid, running, 'the pod running')
  const info = layerStoreFromInfo(await host.client.info())
  assert.ok(info && info.kb > 0, JSON.stringify(info))
  assert.equal({layers: info!.layers, images: info!.images}, {layers: 3, images: 3})
  const r = await host.client.gcImages([])
  assert.equal(sorted(r.removedImages), sorted([IMG_POD, IMG_X, IMG_Y]))
  assert.equal(sorted(r.removedLayers.map((l) => l.digest)), sorted([X.digest, Y.digest]))
  for (const l of r.removedLayers) assert.ok(l.kb > 0, `${l.digest} ${l.kb} KB`)
  assert.ok(hasLayer(B()), "the pod's layer stays though no image is kept")
  assert.ok(!hasLayer(X.digest) && !hasLayer(Y.digest))
  assert.equal({layers: r.store.layers, images: r.store.images}, {layers: 1, images: 0})
  assert.ok(r.store.kb > 0)
  assert.equal(layerStoreFromInfo(await host.client.info()), r.store, 'info reports what image-gc left')
  assert.is((await sh(host, uid, 'c0', 'echo still-here')).trim(), 'still-here')
  assert.equal(readdirSync(join(host.root, 'layers')), [hex(B())], 'no temp dir is left')
  await host.client.remove(uid, 0)
})

test('a kept image keeps its layers; a second run removes nothing', async () => {
  await seed()
  const r = await host.client.gcImages([IMG_X, IMG_POD])
  assert.equal(r.removedImages, [IMG_Y])
  assert.equal(r.removedLayers.map((l) => l.digest), [Y.digest])
  assert.ok(hasLayer(X.digest) && existsSync(record(IMG_X)) && hasLayer(B()))
  const again = await host.client.gcImages([IMG_X, IMG_POD])
  assert.equal([again.removedImages, again.removedLayers], [[], []])
  assert.equal(again.store, r.store)
})

test('the keep list on stdin (thousands of digests) and as arguments; the exact lines', async () => {
  await seed()
  const keep = [...Array.from({length: 5000}, (_, i) => sha(`retained ${i}`)), IMG_X, IMG_POD]
  const t0 = Date.now()
  const r = await host.client.gcImages(keep)
  assert.ok(Date.now() - t0 < 20_000, `5000 keep digests took ${Date.now() - t0} ms`)
  assert.equal(r.removedImages, [IMG_Y])
  assert.ok(hasLayer(X.digest) && !hasLayer(Y.digest))
  await seed()
  const raw = await host.client.run(['image-gc', IMG_X, IMG_POD])
  assert.is(raw.code, 0, raw.stderr)
  const lines = raw.stdout.toString().split('\n').filter(Boolean)
  assert.is(lines[0], `removed-image ${IMG_Y}`)
  assert.match(lines[1], new RegExp(`^removed-layer ${Y.digest} \\d+$`))
  assert.match(lines[2], /^store layers=2 kb=\d+ images=2$/)
  assert.is(lines.length, 3)
})

test('a layer-add in flight keeps its layer; temp dirs of dead processes go', async () => {
  await seed()
  const live = join(host.root, 'layers', `.tmp.${hex(Y.digest)}.${process.pid}`)
  const dead = join(host.root, 'layers', `.tmp.${hex(sha('half'))}.999999999`)
  const deadRecord = join(host.root, 'images', `${hex(sha('half'))}.tmp.999999999`)
  mkdirSync(live)
  mkdirSync(join(dead, 'root'), {recursive: true})
  writeFileSync(deadRecord, '')
  const r = await host.client.gcImages([IMG_X, IMG_POD])
  assert.equal(r.removedImages, [IMG_Y])
  assert.equal(r.removedLayers, [], 'Y stays while a layer-add of it runs')
  assert.ok(hasLayer(Y.digest) && existsSync(live))
  assert.ok(!existsSync(dead) && !existsSync(deadRecord), 'dead temp dirs and records are removed')
  rmSync(live, {recursive: true})
  assert.equal((await host.client.gcImages([IMG_X, IMG_POD])).removedLayers.map((l) => l.digest), [Y.digest])
})

test('a pod dir without its bundle (a reboot emptied the tmpfs): no layer is removed', async () => {
  await seed()
  mkdirSync(join(host.root, 'pods', 'urebooted', 'bundle'), {recursive: true})
  const r = await host.client.run(['image-gc', IMG_X, IMG_POD])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, 'pod urebooted has no bundle')
  assert.ok(hasLayer(Y.digest), 'Y stays: the pod might use it')
  assert.ok(!existsSync(record(IMG_Y)), 'records are still collected')
  rmSync(join(host.root, 'pods', 'urebooted'), {recursive: true})
  assert.equal((await host.client.gcImages([IMG_X, IMG_POD])).removedLayers.map((l) => l.digest), [Y.digest])
})

// Without the store lock, image-gc would see no pod using busybox while the
// bundle is still being unpacked, and remove the layer under it.
test('image-gc waits for an apply in progress and keeps the layer of its pod', async () => {
  const p = pod('slow', [{command: ['sleep', '3600']}])
  const tar = await bundleTar(buildPodBundle({pod: p, specHash: 'slow1', image: () => ({layers: [B()]})}))
  const stdin = new Readable({read() {}})
  stdin.push(tar.subarray(0, 512))
  const applied = host.client.run(['apply', p.metadata.uid!], {stdin}).then((r) => ({...r, at: Date.now()}))
  await new Promise((r) => setTimeout(r, 500)) // apply is unpacking, holding the lock
  const gc = host.client.gcImages([]).then((r) => ({...r, at: Date.now()}))
  await new Promise((r) => setTimeout(r, 1000))
  stdin.push(tar.subarray(512))
  stdin.push(null)
  const [a, g] = await Promise.all([applied, gc])
  assert.is(a.code, 0, a.stderr)
  assert.ok(g.at >= a.at - 1000, 'image-gc finished only once the bundle was in place')
  assert.ok(g.removedLayers.every((l) => l.digest !== B()) && hasLayer(B()), "the applied pod's layer stays")
  await host.waitPod(p.metadata.uid!, running, 'the pod running')
  await host.client.remove(p.metadata.uid!, 0)
})

test('a stopped pod keeps its layers; once removed, they go', async () => {
  const uid = await host.apply(pod('stopped', [{command: ['sleep', '3600']}]))
  await host.waitPod(uid, running, 'the pod running')
  await host.client.stop(uid, 0)
  assert.ok(hasLayer(B()) && (await host.client.gcImages([])).removedLayers.every((l) => l.digest !== B()), 'the stopped pod keeps its layer')
  assert.ok(hasLayer(B()))
  await host.client.remove(uid, 0)
  const r = await host.client.gcImages([])
  assert.ok(r.removedLayers.some((l) => l.digest === B()), 'no pod left: the layer goes')
  assert.equal(r.store, {layers: 0, kb: r.store.kb, images: 0})
  await host.client.addLayer(layer().digest, layer().tar) // for the tests after this one
})

test('nodes check shows the layer store per host', async () => {
  const {default: NodesCheck} = await import('../../src/commands/nodes/check.js')
  let out = ''
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString()
    return true
  }) as typeof process.stdout.write
  try {
    await NodesCheck.run(['local', '--root', host.root], process.cwd())
  } finally {
    process.stdout.write = write
  }
  assert.match(out, /\n {2}store: layers 1 \(\d+ (KiB|MiB)\), images 0\n/, out)
})

test.run()
