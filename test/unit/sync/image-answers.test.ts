import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {ImageAnswers} from '../../../src/sync/image-answers.js'
import type {ImageResolver} from '../../../src/sync/executor/images.js'
import {UserError} from '../../../src/errors.js'
import {emptyState} from '../../../src/state/model.js'
import {deployment, desired, node} from '../reconcile/fixtures.js'

const D = (c: string) => `sha256:${c.repeat(64)}`

/** A resolver whose registry says TAGS and counts the lookups. */
function fakeResolver(tags: Record<string, string>) {
  const asked: string[] = []
  const r = {
    useCommitSecrets: () => {},
    tagDigest: async (image: string) => {
      asked.push(image)
      if (!tags[image]) throw new UserError(`manifest unknown for ${image}`)
      return tags[image]
    },
  } as unknown as ImageResolver
  return {r, asked}
}

function stateWith(pins: Record<string, string>) {
  const s = emptyState('l')
  s.objects['ReplicaSet/default/old-abc'] = {apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: {name: 'old-abc', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z', annotations: {'tsctl.io/image-digests': JSON.stringify(pins)}}}
  return s
}

test('IfNotPresent (a versioned tag): the state\'s pin is used without asking the registry', async () => {
  const {r, asked} = fakeResolver({'app:1': D('9')})
  const a = new ImageAnswers(r, desired([node('a'), deployment('web').image('app:1')]))
  const s = stateWith({'app:1': D('1')})
  assert.equal(a.current(s), {'app:1': D('1')})
  await a.answer(['app:1'], s)
  assert.equal(asked, [])
  assert.is(a.current(s)['app:1'], D('1'))
})

test('IfNotPresent without a pin asks the registry once per run', async () => {
  const {r, asked} = fakeResolver({'app:1': D('9')})
  const a = new ImageAnswers(r, desired([node('a'), deployment('web').image('app:1')]))
  const s = emptyState('l')
  await a.answer(['app:1'], s)
  await a.answer(['app:1'], s)
  assert.equal(asked, ['app:1'])
  assert.is(a.current(s)['app:1'], D('9'))
})

test('Always (:latest by default) ignores the state\'s pin and looks the tag up', async () => {
  const {r, asked} = fakeResolver({'app:latest': D('8')})
  // no imagePullPolicy written: :latest means Always, as Kubernetes defaults it
  const d = desired([node('a'), deployment('web').image('app:latest')])
  const a = new ImageAnswers(r, d)
  const s = stateWith({'app:latest': D('1')})
  assert.equal(a.current(s), {})
  await a.answer(['app:latest'], s)
  assert.equal(asked, ['app:latest'])
  assert.is(a.current(s)['app:latest'], D('8'))
})

test('Never without a known digest: the kubelet\'s message at the manifest\'s file and line, and no lookup', async () => {
  const {r, asked} = fakeResolver({'app:1': D('9')})
  const d = desired([node('a'), deployment('web').image('app:1')])
  const c = (d.objects.find((o) => o.object.kind === 'Deployment')!.object.spec as {template: {spec: {containers: {imagePullPolicy?: string}[]}}}).template.spec.containers[0]
  c.imagePullPolicy = 'Never'
  const a = new ImageAnswers(r, d)
  try {
    await a.answer(['app:1'], emptyState('l'))
    assert.unreachable('should have thrown')
  } catch (e) {
    assert.instance(e, UserError)
    assert.match((e as UserError).diagnostics[0].message, /Container image "app:1" is not present with pull policy of Never/)
    assert.match((e as Error).message, /container "[^"]*" \(\S+:\d+\): image "app:1" cannot be used/)
    assert.is((e as UserError).exitCode, 2)
    assert.ok((e as UserError).diagnostics[0].file, 'names the file')
  }
  assert.equal(asked, [])
})

test('a registry failure names the manifest position, the container and the image', async () => {
  const {r} = fakeResolver({})
  const a = new ImageAnswers(r, desired([node('a'), deployment('web').image('gone:1')]))
  try {
    await a.answer(['gone:1'], emptyState('l'))
    assert.unreachable('should have thrown')
  } catch (e) {
    assert.match((e as Error).message, /container "[^"]*" \(\S+:\d+\): image "gone:1" cannot be used; nothing was applied/)
    assert.match((e as UserError).diagnostics[0].message, /manifest unknown/)
    assert.ok((e as UserError).diagnostics[0].file)
  }
})

test.run()
