// The contents rollout undo keeps per revision are masked like the Secrets
// themselves: Secret values in a ReplicaSet's config snapshot never reach output.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {maskObject, SENSITIVE} from '../../../src/render/mask.js'
import type {KubeObject} from '../../../src/manifests/object.js'

test('Secret values inside a revision\'s config snapshot are masked; ConfigMap values stay', () => {
  const snap = {'ConfigMap/cfg': {data: {msg: 'hello'}}, 'Secret/db': {data: {password: 'c2VjcmV0'}, stringData: {token: 'plain'}}}
  const rs = {apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: {name: 'web-1', annotations: {'tsctl.io/config-snapshot': JSON.stringify(snap)}}} as KubeObject
  const m = maskObject(rs)
  const out = JSON.parse(m.metadata.annotations!['tsctl.io/config-snapshot'])
  assert.equal(out['ConfigMap/cfg'], {data: {msg: 'hello'}})
  assert.equal(out['Secret/db'], {data: {password: SENSITIVE}, stringData: {token: SENSITIVE}})
  assert.not.match(JSON.stringify(m), /c2VjcmV0|plain/)
  assert.match(rs.metadata.annotations!['tsctl.io/config-snapshot'], /c2VjcmV0/, 'the input is not modified')
})

test('an unreadable snapshot is masked whole', () => {
  const rs = {apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: {name: 'web-1', annotations: {'tsctl.io/config-snapshot': '{broken'}}} as KubeObject
  assert.is(maskObject(rs).metadata.annotations!['tsctl.io/config-snapshot'], SENSITIVE)
})

test.run()
