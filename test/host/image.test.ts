// End to end with the images code: an OCI layout built from busybox-static
// (two layers, a whiteout and an opaque dir) is resolved, its missing layers
// are sent with layer-has/layer-add, and a container sees the merged tree.
import {mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {buildBusyboxLayout} from '../fixtures/busybox-image.js'
import {ensureLayers} from '../../src/images/ensure-layers.js'
import {resolveImage} from '../../src/images/resolve.js'
import {fromResolvedImage} from '../../src/host/bundle/pod-bundle.js'
import {pod, sh, testHost, type TestHost} from './_host.js'

let host: TestHost
let repo: string

test.before(async () => {
  host = await testHost()
  repo = mkdtempSync('/tmp/tsctl-imgrepo-')
})

test.after(async () => {
  const left = await host.cleanup()
  rmSync(repo, {recursive: true, force: true})
  assert.equal(left, [])
})

test('a pod runs an oci: image; whiteouts and opaque dirs apply inside the container', async () => {
  await buildBusyboxLayout(join(repo, 'images/busybox'))
  const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
  const sent = await ensureLayers(host.client, img)
  assert.is(sent.length, img.layers.length)
  assert.equal(await ensureLayers(host.client, img), [], 'a second pass sends nothing')
  const p = pod('oci', [{image: 'oci:images/busybox', command: ['sleep', '3600']}])
  const uid = await host.apply(p, {image: () => fromResolvedImage(img)})
  await host.waitPod(uid, (x) => x.containers[0].state === 'running', 'running')
  assert.is((await sh(host, uid, 'c0', 'ls -A /usr/share/tsctl/')).trim(), '', 'the whiteout hides the lower file')
  assert.is((await sh(host, uid, 'c0', 'ls -A /var/cache/tsctl')).trim(), 'b', 'the opaque dir hides the lower contents')
  assert.is((await sh(host, uid, 'c0', 'head -1 /etc/os-release')).trim(), 'NAME="tsctl busybox"')
  await host.client.remove(uid, 0)
})

test.run()
