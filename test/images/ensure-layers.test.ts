// ensureLayers asks the host once and sends only the layers it lacks, in
// order; a layer is opened once for many hosts; a bad layer sends nothing.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {tempDirs} from '../fixtures/tmp-dirs.js'
import {buildBusyboxLayout, BUSYBOX} from '../fixtures/busybox-image.js'
import {resolveImage} from '../../src/images/resolve.js'
import {ensureLayers, LayerCache, type LayerStore} from '../../src/images/ensure-layers.js'
import {readTar} from '../../src/images/tar/reader.js'
import {UserError} from '../../src/errors.js'

const tmp = tempDirs('tsctl-ensure-', test)

/** A host that records calls and keeps what it was sent. */
function fakeHost(has: string[] = []): LayerStore & {calls: string[]; stored: Map<string, Buffer>} {
  const stored = new Map<string, Buffer>(has.map((d) => [d, Buffer.alloc(0)]))
  const calls: string[] = []
  return {
    calls,
    stored,
    async missingLayers(ds) { calls.push(`layer-has ${ds.length}`); return ds.filter((d) => !stored.has(d)) },
    async addLayer(d, tar) { calls.push(`layer-add ${d}`); stored.set(d, tar) },
  }
}

if (!existsSync(BUSYBOX)) {
  console.log(`SKIP: ensureLayers: ${BUSYBOX} is missing (apt-get install busybox-static)`)
  test.skip('ensureLayers', () => {})
} else {
  test('sends the missing layers bottom first, then nothing', async () => {
    const repo = tmp()
    await buildBusyboxLayout(join(repo, 'images/busybox'))
    const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
    const [l1, l2] = img.layers.map((l) => l.diffId)
    const host = fakeHost()
    assert.equal(await ensureLayers(host, img), [l1, l2])
    assert.equal(host.calls, ['layer-has 2', `layer-add ${l1}`, `layer-add ${l2}`])
    const names = [...readTar(host.stored.get(l2)!)].map((e) => e.name)
    assert.equal(names.slice(-2), ['whiteouts', 'opaque'])
    host.calls.length = 0
    assert.equal(await ensureLayers(host, img), [])
    assert.equal(host.calls, ['layer-has 2'], 'a host with every layer costs one call')
    const partial = fakeHost([l1])
    assert.equal(await ensureLayers(partial, img), [l2])
  })

  test('one cache opens each layer once for many hosts', async () => {
    const repo = tmp()
    await buildBusyboxLayout(join(repo, 'images/busybox'))
    const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
    const cache = new LayerCache()
    const hosts = [fakeHost(), fakeHost(), fakeHost()]
    await Promise.all(hosts.map((h) => ensureLayers(h, img, cache)))
    const first = hosts[0].stored.get(img.layers[0].diffId)!
    for (const h of hosts) assert.is(h.stored.get(img.layers[0].diffId), first, 'the same buffer, not re-opened')
  })

  test('a corrupt layer throws before anything of it reaches the host', async () => {
    const repo = tmp()
    const dir = join(repo, 'images/busybox')
    await buildBusyboxLayout(dir)
    const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
    const p = join(dir, 'blobs/sha256', img.layers[1].digest.slice(7))
    const b = readFileSync(p)
    b[20] ^= 0xff
    writeFileSync(p, b)
    const host = fakeHost()
    try {
      await ensureLayers(host, img)
      assert.unreachable('corrupt layer accepted')
    } catch (e) {
      assert.instance(e, UserError)
      assert.match((e as Error).message, /layer 2 .*does not match its digest/)
    }
    assert.equal([...host.stored.keys()], [img.layers[0].diffId], 'only the good bottom layer was sent')
  })
}

test.run()
