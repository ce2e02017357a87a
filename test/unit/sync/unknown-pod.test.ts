// A pod whose supervisor is gone (the host restarted, the supervisor was
// killed) is reported Unknown: the plan starts the same bundle again
// (a replace under the same UID), as a kubelet restarts pods after a reboot.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {desiredFromFiles} from '../../../src/manifests/load.js'
import {reconcile} from '../../../src/reconcile/reconcile.js'
import type {Observed, ObservedPod} from '../../../src/reconcile/observed.js'
import {emptyState} from '../../../src/state/model.js'

const yaml = `apiVersion: v1
kind: Node
metadata: {name: n1}
spec: {address: local}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: oci:images/busybox}]
`
const commit = {sha: 'a'.repeat(40), subject: 's', author: 'a', date: '2026-01-01T00:00:00Z'}

test('an Unknown pod on a reachable node is started again; a Running one is left alone', () => {
  const desired = desiredFromFiles([{path: 'app.yaml', text: yaml}], commit)
  const now = Date.parse('2026-01-01T00:00:00Z')
  const first = reconcile({desired, state: emptyState('l'), observed: {nodes: {}}, now})
  const create = first.plan.actions.find((a) => a.type === 'create')!
  assert.ok(create && create.type === 'create')
  const host = (phase: ObservedPod['phase']): Observed => ({nodes: {n1: {name: 'n1', reachable: true, observedAt: now, pods: [{
    namespace: 'default', name: create.pod.metadata.name, uid: create.pod.metadata.uid!, specHash: create.specHash, phase, ready: false,
    initContainers: [], containers: [{name: 'c', state: 'running', restartCount: 0, ready: false}],
  }]}}})
  const running = reconcile({desired, state: first.state, observed: host('Running'), now: now + 1000})
  assert.equal(running.plan.actions, [])
  const lost = reconcile({desired, state: first.state, observed: host('Unknown'), now: now + 1000})
  assert.is(lost.plan.actions.length, 1)
  const a = lost.plan.actions[0]
  assert.is(a.type, 'replace')
  if (a.type !== 'replace') return
  assert.is(a.oldUid, create.pod.metadata.uid)
  assert.is(a.pod.metadata.uid, create.pod.metadata.uid)
  assert.is(a.specHash, create.specHash)
  assert.match(a.reason, 'no supervisor')
})

test.run()
