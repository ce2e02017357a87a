// The example app's web Deployment (manifests/web.yaml + config.yaml) runs on
// the runtime as its pod template says: busybox httpd serving the ConfigMap,
// the Secret in its env, ready through the httpGet probe on the named port.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import * as yaml from 'js-yaml'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {buildBusyboxLayout} from '../fixtures/busybox-image.js'
import type {KubeObject} from '../../src/manifests/object.js'
import {ensureLayers} from '../../src/images/ensure-layers.js'
import {resolveImage} from '../../src/images/resolve.js'
import {fromResolvedImage} from '../../src/host/bundle/pod-bundle.js'
import {sh, testHost, type TestHost} from './_host.js'

let host: TestHost
let repo: string

test.before(async () => {
  host = await testHost()
  repo = mkdtempSync('/tmp/tsctl-example-')
})

test.after(async () => {
  const left = await host.cleanup()
  rmSync(repo, {recursive: true, force: true})
  assert.equal(left, [])
})

const load = (f: string) => yaml.loadAll(readFileSync(join(process.cwd(), 'manifests', f), 'utf8')).filter(Boolean) as KubeObject[]

test('the example web pod serves its ConfigMap and becomes ready', async () => {
  const deploy = load('web.yaml').find((o) => o.kind === 'Deployment')!
  const config = load('config.yaml')
  const cm = config.find((o) => o.kind === 'ConfigMap')! as KubeObject & {data: Record<string, string>}
  const secret = config.find((o) => o.kind === 'Secret')! as KubeObject & {data?: Record<string, string>; stringData?: Record<string, string>}
  const template = (deploy.spec as {template: {metadata: KubeObject['metadata']; spec: unknown}}).template
  const pod: KubeObject = {apiVersion: 'v1', kind: 'Pod', metadata: {...template.metadata, name: 'web-abc12', namespace: 'default', uid: `example-${process.pid}`}, spec: template.spec}
  await buildBusyboxLayout(join(repo, 'images/busybox'))
  const img = await resolveImage('oci:images/busybox', {repoRoot: repo})
  await ensureLayers(host.client, img)
  const uid = await host.apply(pod, {image: () => fromResolvedImage(img), configMaps: {'web-content': {data: cm.data}}, secrets: {'web-credentials': {data: secret.data, stringData: secret.stringData}}})
  const st = await host.waitPod(uid, (p) => p.ready, 'the web pod ready', 30000)
  assert.is(st.containers[0].restartCount, 0)
  assert.match(await sh(host, uid, 'httpd', 'wget -q -O - http://127.0.0.1:8080/index.html'), 'Served by busybox httpd')
  assert.is((await sh(host, uid, 'httpd', 'echo "$API_TOKEN"')).trim(), 's3cr3t-token')
  await host.client.remove(uid, 1)
})

test.run()
