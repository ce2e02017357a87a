// The rolling-update step as data (src/reconcile/controllers/rolling-update.ts),
// table-tested with the scenarios of Kubernetes'
// pkg/controller/deployment/rolling_test.go: same inputs, same expected
// numbers. maxSurge/maxUnavailable go through resolveFenceposts as they do
// in Kubernetes (both 0 → maxUnavailable 1).
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {resolveFenceposts} from '../../../src/reconcile/controllers/deployment.js'
import {
  cleanupUnhealthy,
  newReplicaSetTarget,
  oldReplicaSetsTarget,
  rollingUpdateStep,
  scaleDownOld,
  type ReplicaSetCounts,
  type RollingUpdateInput,
} from '../../../src/reconcile/controllers/rolling-update.js'

const input = (replicas: number, maxSurge: number, maxUnavailable: number, newRS: ReplicaSetCounts, oldRSs: ReplicaSetCounts[]): RollingUpdateInput => {
  const f = resolveFenceposts({spec: {replicas, strategy: {rollingUpdate: {maxSurge, maxUnavailable}}}})
  return {replicas, maxSurge: f.surge, maxUnavailable: f.unavailable, newRS, oldRSs}
}
const rs = (name: string, replicas: number, available = 0): ReplicaSetCounts => ({name, replicas, available})

test('reconcileNewReplicaSet (TestDeploymentController_reconcileNewReplicaSet)', () => {
  const cases = [
    {deploymentReplicas: 10, maxSurge: 0, oldReplicas: 10, newReplicas: 0, expected: undefined}, // should not scale up
    {deploymentReplicas: 10, maxSurge: 2, oldReplicas: 10, newReplicas: 0, expected: 2},
    {deploymentReplicas: 10, maxSurge: 2, oldReplicas: 5, newReplicas: 0, expected: 7},
    {deploymentReplicas: 10, maxSurge: 2, oldReplicas: 10, newReplicas: 2, expected: undefined},
    {deploymentReplicas: 10, maxSurge: 2, oldReplicas: 2, newReplicas: 11, expected: 10}, // should scale down
  ]
  for (const [i, c] of cases.entries()) {
    const inp = input(c.deploymentReplicas, c.maxSurge, 0, rs('foo-v2', c.newReplicas), [rs('foo-v1', c.oldReplicas)])
    assert.is(newReplicaSetTarget(inp), c.expected, `scenario ${i}`)
    const step = rollingUpdateStep(inp)
    if (c.expected !== undefined) {
      assert.is(step.scaleNew, c.expected, `scenario ${i}: the step scales the new ReplicaSet`)
      assert.equal(step.scaleOld, [], `scenario ${i}: and leaves the old ones for the next step`)
      assert.is(step.reason, c.expected < c.newReplicas ? 'new-above-replicas' : 'new-scaled-up')
    }
  }
})

test('reconcileOldReplicaSets (TestDeploymentController_reconcileOldReplicaSets)', () => {
  const cases = [
    {deploymentReplicas: 10, maxUnavailable: 0, oldReplicas: 10, newReplicas: 0, readyOld: 10, readyNew: 0, expectedOld: 9},
    {deploymentReplicas: 10, maxUnavailable: 2, oldReplicas: 10, newReplicas: 0, readyOld: 10, readyNew: 0, expectedOld: 8},
    // unhealthy replicas of the old ReplicaSet are cleaned up
    {deploymentReplicas: 10, maxUnavailable: 2, oldReplicas: 10, newReplicas: 0, readyOld: 8, readyNew: 0, expectedOld: 8},
    // 1 unhealthy replica cleaned up, and 1 ready pod scaled down
    {deploymentReplicas: 10, maxUnavailable: 2, oldReplicas: 10, newReplicas: 0, readyOld: 9, readyNew: 0, expectedOld: 8},
    // the new ReplicaSet's unavailable pods stop old ones from scaling down further
    {deploymentReplicas: 10, maxUnavailable: 2, oldReplicas: 8, newReplicas: 2, readyOld: 8, readyNew: 0, expectedOld: undefined},
  ]
  for (const [i, c] of cases.entries()) {
    const inp = input(c.deploymentReplicas, 0, c.maxUnavailable, rs('foo-new', c.newReplicas, c.readyNew), [rs('foo-old', c.oldReplicas, c.readyOld)])
    const old = oldReplicaSetsTarget(inp)
    assert.is(old.scaledDown > 0, c.expectedOld !== undefined, `scenario ${i}: scale expected`)
    const step = rollingUpdateStep(inp)
    if (c.expectedOld === undefined) {
      assert.equal(step, {scaleOld: [], reason: 'wait'}, `scenario ${i}`)
    } else {
      assert.equal(step, {scaleOld: [{rs: 'foo-old', to: c.expectedOld}], reason: 'old-scaled-down'}, `scenario ${i}`)
    }
  }
})

test('cleanupUnhealthyReplicas (TestDeploymentController_cleanupUnhealthyReplicas)', () => {
  const cases = [
    {oldReplicas: 10, readyPods: 8, maxCleanupCount: 1, expected: 1},
    {oldReplicas: 10, readyPods: 8, maxCleanupCount: 3, expected: 2},
    {oldReplicas: 10, readyPods: 8, maxCleanupCount: 0, expected: 0},
    {oldReplicas: 10, readyPods: 10, maxCleanupCount: 3, expected: 0},
  ]
  for (const [i, c] of cases.entries()) {
    const r = cleanupUnhealthy([rs('foo-v2', c.oldReplicas, c.readyPods)], c.maxCleanupCount)
    assert.is(r.cleaned, c.expected, `scenario ${i}`)
    assert.is(r.oldRSs[0].replicas, c.oldReplicas - c.expected, `scenario ${i}: the ReplicaSet shrank by as much`)
  }
})

test('scaleDownOldReplicaSetsForRollingUpdate (TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate)', () => {
  const cases = [
    {deploymentReplicas: 10, maxUnavailable: 0, readyPods: 10, oldReplicas: 10, expectedOld: 9},
    {deploymentReplicas: 10, maxUnavailable: 2, readyPods: 10, oldReplicas: 10, expectedOld: 8},
    {deploymentReplicas: 10, maxUnavailable: 2, readyPods: 8, oldReplicas: 10, expectedOld: undefined},
    {deploymentReplicas: 10, maxUnavailable: 2, readyPods: 10, oldReplicas: 0, expectedOld: undefined},
    {deploymentReplicas: 10, maxUnavailable: 2, readyPods: 1, oldReplicas: 10, expectedOld: undefined},
  ]
  for (const [i, c] of cases.entries()) {
    const f = resolveFenceposts({spec: {replicas: c.deploymentReplicas, strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: c.maxUnavailable}}}})
    const old = rs('foo-v2', c.oldReplicas, c.readyPods)
    const r = scaleDownOld([old], [old], c.deploymentReplicas - f.unavailable)
    if (c.expectedOld === undefined) assert.is(r.scaledDown, 0, `scenario ${i}: no scaling`)
    else {
      assert.ok(r.scaledDown > 0, `scenario ${i}: scaling expected`)
      assert.is(r.oldRSs[0].replicas, c.expectedOld, `scenario ${i}`)
    }
  }
})

test('old ReplicaSets scale down oldest first, and only those that change are named', () => {
  // replicas 4, maxUnavailable 1 (maxSurge 0): 3 must stay available
  const step = rollingUpdateStep(input(4, 0, 1, rs('new', 0), [rs('oldest', 1, 1), rs('older', 3, 3)]))
  assert.equal(step, {scaleOld: [{rs: 'oldest', to: 0}], reason: 'old-scaled-down'})
})

test('a whole rollout, the decision applied step by step with pods available at once: within the fenceposts throughout', () => {
  // replicas 4, maxSurge 1, maxUnavailable 1: never more than 5 pods, never fewer than 3 available
  let cur: RollingUpdateInput = input(4, 1, 1, rs('new', 0), [rs('old', 4, 4)])
  const seen: string[] = []
  for (let i = 0; i < 20; i++) {
    const step = rollingUpdateStep(cur)
    seen.push(step.reason)
    if (step.reason === 'wait') break
    const newRS = step.scaleNew === undefined ? cur.newRS : rs('new', step.scaleNew, step.scaleNew)
    const oldRSs = cur.oldRSs.map((o) => {
      const to = step.scaleOld.find((s) => s.rs === o.name)?.to
      return to === undefined ? o : rs(o.name, to, to)
    })
    cur = {...cur, newRS, oldRSs}
    const pods = newRS.replicas + oldRSs.reduce((a, o) => a + o.replicas, 0)
    assert.ok(pods <= 5, `step ${i}: ${pods} pods`)
    assert.ok(newRS.available + oldRSs.reduce((a, o) => a + o.available, 0) >= 3, `step ${i}: availability kept`)
  }
  assert.equal(cur.newRS, rs('new', 4, 4))
  assert.equal(cur.oldRSs, [rs('old', 0, 0)])
  // 4+1 → old to 2 (5 available, 3 must stay) → new 3 → old 0 → new 4
  assert.equal(seen, ['new-scaled-up', 'old-scaled-down', 'new-scaled-up', 'old-scaled-down', 'new-scaled-up', 'wait'])
})

test.run()
