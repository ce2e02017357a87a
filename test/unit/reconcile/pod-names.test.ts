import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {deployment, desired, node, World} from './fixtures.js'

// Pod names carry five hashed characters of (ReplicaSet UID, slot), so two slots can share a
// name (names are deterministic: this Deployment's ReplicaSet has such a pair below 2,000).
// Before the fix the second pod overwrote the first in the state: fewer pods than replicas,
// and the set never converged.
test('a ReplicaSet of 2,000 pods gets 2,000 distinct pods even when two slots hash to one name', () => {
  const nodes = Array.from({length: 20}, (_, i) => node(`n${i}`).capacity('1000', '1000Gi', '1000'))
  const w = new World(desired([...nodes, deployment('web').replicas(2000)]))
  const r = w.step()
  const creates = r.plan.actions.filter((a) => a.type === 'create').map((a) => a.target)
  assert.is(creates.length, 2000)
  assert.is(new Set(creates).size, 2000, 'every create is a different pod')
  assert.is(w.objects('Pod').length, 2000)
  assert.is(w.pass().plan.actions.length, 0, 'converged after one step')
})

test.run()
