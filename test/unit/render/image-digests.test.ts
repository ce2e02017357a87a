// The digest each registry image is pinned to (tsctl.io/image-digests, src/reconcile/image-pins.ts),
// shown where a Kubernetes user looks: describe pod, get pods -o wide, diff.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {palette} from '../../../src/render/color.js'
import {buildDiff} from '../../../src/render/diff-model.js'
import {renderDiffMarkdown} from '../../../src/render/diff-markdown.js'
import {renderDiffText} from '../../../src/render/diff-text.js'
import {renderDescribe} from '../../../src/render/describe.js'
import {renderResourceTable} from '../../../src/render/resource-table.js'
import type {KubeObject} from '../../../src/manifests/object.js'
import type {State} from '../../../src/state/model.js'
import {assertOutput} from '../../cli/helpers/output-schema.js'
import {NOW, after, before, desired, plan, pod, replicaSet, commit} from './fixtures.js'

const D1 = 'sha256:0123456789ab' + 'c'.repeat(52)
const D2 = 'sha256:fedcba987654' + '0'.repeat(52)
const D3 = 'sha256:aaaabbbbcccc' + '1'.repeat(52)
const rs = {kind: 'ReplicaSet', name: 'web-5f4e3d2c', uid: 'uid-rs-5f4e3d2c'}

function withPods(s: State, ...pods: KubeObject[]): State {
  for (const p of pods) s.objects[`Pod/${p.metadata.namespace}/${p.metadata.name}`] = p
  return s
}

/** A pod of nginx with a pinned sidecar-less app container and an unpinned init container. */
function nginxPod(pins: Record<string, string>): KubeObject {
  const p = pod('web-5f4e3d2c-klmno', {node: 'node-a', owner: rs, image: 'nginx:1.27', pins})
  ;(p.spec as Record<string, unknown>).initContainers = [{name: 'init', image: 'registry.example.com:5000/tools/migrate:v3'}]
  ;(p.status as Record<string, unknown>).initContainerStatuses = [{name: 'init', ready: true, restartCount: 0, state: {terminated: {exitCode: 0, reason: 'Completed'}}}]
  return p
}

test('describe pod: Image ID is the canonical repository @ the pinned digest, per container', () => {
  const p = nginxPod({'nginx:1.27': D1, 'registry.example.com:5000/tools/migrate:v3': D2})
  const out = renderDescribe(p, withPods(before(), p), NOW)
  assert.match(out, `    Image:          nginx:1.27\n    Image ID:       docker.io/library/nginx@${D1}\n`)
  assert.match(out, `    Image:          registry.example.com:5000/tools/migrate:v3\n    Image ID:       registry.example.com:5000/tools/migrate@${D2}\n`)
})

test('describe pod: Image ID is empty while an image is not pinned (as kubectl for a container not started)', () => {
  const p = nginxPod({'nginx:1.27': D1})
  const out = renderDescribe(p, withPods(before(), p), NOW)
  assert.match(out, `    Image:          registry.example.com:5000/tools/migrate:v3\n    Image ID:\n`)
  assert.match(out, `Image ID:       docker.io/library/nginx@${D1}`)
  // a malformed pin is no pin; an oci: image is never pinned; an image written with its digest pins itself
  const odd = pod('odd', {node: 'node-a', image: 'busybox', pins: {busybox: 'sha256:nothex'}})
  assert.match(renderDescribe(odd, withPods(before(), odd), NOW), '    Image:          busybox\n    Image ID:\n')
  const oci = pod('oci', {node: 'node-a', image: 'oci:images/app:v1', pins: {'oci:images/app:v1': D1}})
  assert.match(renderDescribe(oci, withPods(before(), oci), NOW), '    Image:          oci:images/app:v1\n    Image ID:\n')
  const written = pod('written', {node: 'node-a', image: `busybox:1.36@${D3}`})
  assert.match(renderDescribe(written, withPods(before(), written), NOW), `    Image ID:       docker.io/library/busybox@${D3}\n`)
  // a workload's pod template has none (kubectl shows none there)
  const st = before()
  const tpl = renderDescribe(st.objects['Deployment/default/web']!, st, NOW)
  assert.match(tpl, 'Image:        busybox:1.36')
  assert.not.match(tpl, 'Image ID')
})

test('get pods -o wide: IMAGES last, each pinned image with @sha256: and 12 hex digits; get rs -o wide leaves images as written', () => {
  const a = pod('a', {node: 'node-a', image: 'nginx:1.27', pins: {'nginx:1.27': D1}})
  ;(a.spec as {containers: unknown[]}).containers.push({name: 'side', image: 'busybox:1.36'})
  const b = pod('b', {node: 'node-b', image: `busybox@${D3}`})
  const c = pod('c', {node: 'node-b', image: 'oci:images/app:v1'})
  const out = renderResourceTable('Pod', [a, b, c], {wide: true, withNamespace: false, now: NOW})
  const lines = out.trimEnd().split('\n')
  assert.match(lines[0]!, /\s+NODE\s+IMAGES$/)
  assert.match(lines[1]!, /\s+node-a\s+nginx:1\.27@sha256:0123456789ab,busybox:1\.36$/)
  assert.ok(lines[2]!.endsWith(`   busybox@${D3}`), lines[2])
  assert.match(lines[3]!, /\s+node-b\s+oci:images\/app:v1$/)
  assert.not.match(renderResourceTable('Pod', [a], {wide: false, withNamespace: false, now: NOW}), 'IMAGES')
  // a ReplicaSet's IMAGES stay as written, as kubectl's, even when it is pinned
  const r = replicaSet('5f4e3d2c', 'nginx:1.27', 1, 2, commit)
  r.metadata.annotations = {...r.metadata.annotations, 'tsctl.io/image-digests': JSON.stringify({'nginx:1.27': D1})}
  const rsOut = renderResourceTable('ReplicaSet', [r], {wide: true, withNamespace: false, now: NOW})
  assert.match(rsOut, /\s+nginx:1\.27\s+app=web,pod-template-hash=5f4e3d2c\n$/)
  assert.not.match(rsOut, 'sha256')
})

/** The fixture's rollout, with the new pods pinned as sync pins them. */
function pinnedAfter(): State {
  const s = after()
  const pin = (key: string, pins: Record<string, string>) => {
    const o = s.objects[key]!
    o.metadata.annotations = {...o.metadata.annotations, 'tsctl.io/image-digests': JSON.stringify(pins)}
  }
  for (const n of ['klmno', 'pqrst', 'uvwxy']) pin(`Pod/default/web-5f4e3d2c-${n}`, {'busybox:1.37': D1})
  pin('Pod/default/db-0', {'postgres:16.2': D2})
  return s
}

const diffOf = (end: State) => buildDiff({desired: desired(), before: before(), plan: plan(), after: end, stuck: [], steps: 4, offline: false, observedFrom: 'hosts'})

test('diff: new and replaced pods show the digest each image is pinned to, in text, markdown and json', () => {
  const d = diffOf(pinnedAfter())
  const text = renderDiffText(d, palette(false))
  assert.match(text, `    ~ default/db-0                 StatefulSet/default/db   postgres:16.2 (sha256:fedcba987654…)\n`)
  assert.match(text, `    + default/web-5f4e3d2c-klmno   Deployment/default/web   busybox:1.37 (sha256:0123456789ab…)\n`)
  assert.match(text, `    - default/web-6b7c8d9f-abcde   Deployment/default/web\n`, 'a deleted pod shows no images')
  const md = renderDiffMarkdown(d)
  assert.match(md, '| Deployment/default/web | rollout (spec.template.spec.containers[0].image), 2→3 replicas; busybox:1.37 (sha256:0123456789ab…) |')
  assert.match(md, '| StatefulSet/default/db | rollout (spec.template.spec.containers[0].image); postgres:16.2 (sha256:fedcba987654…) |')
  const doc = JSON.parse(JSON.stringify(d))
  assertOutput('diff', doc)
  const placed = doc.placements.flatMap((n: {pods: Array<{name: string; images?: unknown}>}) => n.pods)
  assert.equal(placed.find((p: {name: string}) => p.name === 'web-5f4e3d2c-klmno').images, [{image: 'busybox:1.37', digest: D1}])
  assert.is(placed.find((p: {name: string}) => p.name === 'web-6b7c8d9f-abcde').images, undefined)
  assert.equal(doc.rollouts.map((r: {workload: string; images?: unknown}) => [r.workload, r.images]), [
    ['Deployment/default/web', [{image: 'busybox:1.37', digest: D1}]],
    ['StatefulSet/default/db', [{image: 'postgres:16.2', digest: D2}]],
  ])
})

test('diff: an image not pinned yet (offline) says its digest is resolved at sync; a pending pod\'s pin still counts for its revision', () => {
  const s = after()
  const p = s.objects['Pod/default/web-5f4e3d2c-uvwxy']!
  p.metadata.annotations = {'tsctl.io/image-digests': JSON.stringify({'busybox:1.37': D1})}
  const d = diffOf(s)
  assert.match(renderDiffText(d, palette(false)), `    + default/web-5f4e3d2c-pqrst   Deployment/default/web   busybox:1.37 (digest resolved at sync)\n`)
  assert.equal(d.rollouts.find((r) => r.workload === 'Deployment/default/web')!.images, [{image: 'busybox:1.37', digest: D1}])
  assert.equal(d.rollouts.find((r) => r.workload === 'StatefulSet/default/db')!.images, [{image: 'postgres:16.2'}])
  assert.match(renderDiffMarkdown(d), '; postgres:16.2 (digest resolved at sync) |')
  assertOutput('diff', JSON.parse(JSON.stringify(d)))
})

test('diff: pods that stay show no images, and a malformed digest is never printed', () => {
  const s = pinnedAfter()
  const same = buildDiff({desired: desired(), before: s, plan: {actions: []}, after: s, stuck: [], steps: 1, offline: false, observedFrom: 'state'})
  assert.ok(same.placements.every((n) => n.pods.every((p) => p.images === undefined)))
  assert.equal(same.rollouts, [])
  const bad = after()
  bad.objects['Pod/default/db-0']!.metadata.annotations = {'tsctl.io/image-digests': JSON.stringify({'postgres:16.2': 'sha256:\u001b[31mred'})}
  const d = diffOf(bad)
  assert.equal(d.rollouts.find((r) => r.workload === 'StatefulSet/default/db')!.images, [{image: 'postgres:16.2'}])
  assertOutput('diff', JSON.parse(JSON.stringify(d)))
})

test.run()
