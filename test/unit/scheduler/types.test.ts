// The scheduler reads pods through the generated types
// (src/manifests/generated): a Pod written against them schedules as is.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {Pod, PodSpec} from '../../../src/manifests/generated/index.js'
import type {KubeObject} from '../../../src/manifests/object.js'
import type {SchedulingPodSpec} from '../../../src/reconcile/scheduler/types.js'
import {createSnapshot, schedulePod} from '../../../src/reconcile/scheduler/schedule.js'

test('a generated Pod schedules as is', () => {
  const spec: PodSpec = {containers: [{name: 'app', image: 'nginx', resources: {requests: {cpu: '100m', memory: '64Mi'}}}], tolerations: [{key: 'k', operator: 'Exists'}]}
  const asScheduler: SchedulingPodSpec = spec
  const pod: Pod = {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p'}, spec}
  // The generated ObjectMeta allows creationTimestamp: null, KubeObject does not (a manifests-side mismatch), hence the cast.
  const r = schedulePod(createSnapshot([{name: 'a', allocatable: {cpu: '1', memory: '1Gi', pods: 10}}], []), pod as unknown as KubeObject)
  assert.equal(r, {ok: true, node: 'a', feasible: 1})
  assert.ok(asScheduler.containers.length === 1)
})

test.run()
