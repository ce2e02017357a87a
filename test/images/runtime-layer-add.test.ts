// The hand-off to the host runtime, for real: the busybox layers go through
// openLayer → layerAddTar → `tsctl-runtime layer-add` (src/host/protocol.md),
// and an overlay mount of the stored layers shows the whiteout and the opaque
// directory applied and a working /bin/sh. Needs root, overlayfs, and the
// runtime (src/host/shipped/tsctl-runtime with a built tsctl-init); skipped
// with the reason otherwise.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, chmodSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {buildBusyboxLayout, BUSYBOX} from '../fixtures/busybox-image.js'
import {resolveImage} from '../../src/images/resolve.js'
import {openLayer, layerAddTar} from '../../src/images/layer.js'

const host = join(process.cwd(), 'src/host/shipped')
const arch = process.arch === 'arm64' ? 'arm64' : 'amd64'
const init = [join(host, `bin/tsctl-init-${arch}`), join(host, `tsctl-init-${arch}`)].find((p) => existsSync(p))
const missing =
  process.getuid?.() !== 0 ? 'not root' :
  !existsSync(BUSYBOX) ? `${BUSYBOX} is missing (apt-get install busybox-static)` :
  !existsSync(join(host, 'tsctl-runtime')) ? 'src/host/shipped/tsctl-runtime is not on this branch yet' :
  !init ? `tsctl-init-${arch} is not built (run src/host/shipped/build.sh)` : ''

const temps: string[] = []
const mounts: string[] = []
test.after(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m])
  for (const d of temps) rmSync(d, {recursive: true, force: true})
})

if (missing) {
  console.log(`SKIP: layer-add hand-off: ${missing}`)
  test.skip('busybox layers stored by layer-add and stacked by overlayfs show whiteouts applied', () => {})
} else {
  test('busybox layers stored by layer-add and stacked by overlayfs show whiteouts applied', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tsctl-layeradd-'))
    temps.push(work)
    const rt = join(work, 'runtime')
    mkdirSync(rt)
    copyFileSync(join(host, 'tsctl-runtime'), join(rt, 'tsctl-runtime'))
    copyFileSync(init!, join(rt, `tsctl-init-${arch}`))
    chmodSync(join(rt, 'tsctl-runtime'), 0o755)
    chmodSync(join(rt, `tsctl-init-${arch}`), 0o755)
    const root = join(work, 'root')
    await buildBusyboxLayout(join(work, 'repo/images/busybox'))
    const img = await resolveImage('oci:images/busybox', {repoRoot: join(work, 'repo')})
    for (const l of img.layers) {
      const r = spawnSync(join(rt, 'tsctl-runtime'), ['--root', root, 'layer-add', l.diffId], {input: layerAddTar(await openLayer(img, l)), encoding: 'utf8'})
      assert.is(r.status, 0, r.stderr)
    }
    const dirs = img.layers.map((l) => join(root, 'layers', l.diffId.slice(7), 'root'))
    const merged = join(work, 'merged')
    mkdirSync(merged)
    const m = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[...dirs].reverse().join(':')}`, merged], {encoding: 'utf8'})
    if (m.status !== 0) {
      throw new Error(`overlay mount failed: ${m.stderr.trim()}`)
    }
    mounts.push(merged)
    assert.ok(!existsSync(join(merged, 'usr/share/tsctl/removed')), 'the whiteout hides the lower file')
    assert.equal(readdirSync(join(merged, 'var/cache/tsctl')), ['b'], 'the opaque dir hides the lower contents')
    assert.is(readFileSync(join(merged, 'etc/os-release'), 'utf8').split('\n')[0], 'NAME="tsctl busybox"')
    const sh = spawnSync(join(merged, 'bin/sh'), ['-c', 'echo ok'], {encoding: 'utf8'})
    assert.is(sh.stdout, 'ok\n')
    // Adding a layer again is a no-op.
    const again = spawnSync(join(rt, 'tsctl-runtime'), ['--root', root, 'layer-add', img.layers[0].diffId], {input: layerAddTar(await openLayer(img, img.layers[0]))})
    assert.is(again.status, 0)
  })
}

test.run()
