// The WriteHint sync passes must name every object its writes changed: a
// backend that trusts it (as etcd does: objects outside `changed` are not
// even serialised) must end up holding exactly the state sync wrote, write
// after write. recordOutcome changes a started pod in place, so a hint that
// left action targets out would fail here. Simulated hosts (bench/sim-transport.ts).
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {LockInfo, StateBackend, WriteHint} from '../../../src/state/backend.js'
import type {State} from '../../../src/state/model.js'
import {sync} from '../../../src/sync/sync.js'
import {SimFleet} from '../../../bench/sim-transport.js'
import {buildBusyboxLayout} from '../../fixtures/busybox-image.js'
import {TempRepo} from '../../manifests/git-repo.js'

/** Keeps each object's JSON, replacing only what the hint names (all without a hint), and checks it against the whole state on every write. */
class TrustingBackend implements StateBackend {
  objects = new Map<string, string>()
  stored: State | null = null
  writes = 0
  hinted = 0
  wrong: string[] = []
  describe() { return 'trusting' }
  async read() { return this.stored && JSON.parse(JSON.stringify(this.stored)) }
  write(state: State, hint?: WriteHint): Promise<void> {
    // serialised at once, as the hint describes the state at the call
    this.writes++
    if (hint) this.hinted++
    const changed = hint?.changed && new Set(hint.changed)
    const next = new Map<string, string>()
    for (const [k, o] of Object.entries(state.objects)) {
      const had = this.objects.get(k)
      next.set(k, had !== undefined && changed && !changed.has(k) ? had : JSON.stringify(o))
      if (next.get(k) !== JSON.stringify(o)) this.wrong.push(`serial ${state.serial}: ${k}`)
    }
    this.objects = next
    this.stored = JSON.parse(JSON.stringify(state))
    return new Promise((r) => setTimeout(r, 2))
  }
  async lock(operation: string): Promise<LockInfo> { return {operation, holder: 't', pid: process.pid, host: 'h', created: '', id: 'lock'} }
  async unlock() { return null }
  async lockInfo() { return null }
}

const nodes = ['sim-1', 'sim-2'].map((n) => `apiVersion: v1
kind: Node
metadata: {name: ${n}}
spec:
  address: 127.0.0.1
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
`).join('---\n')
// bound in git: the scheduler gives it no status, so recordOutcome sets its phase and PodScheduled in place
const bare = (version: string) => `apiVersion: v1
kind: Pod
metadata: {name: bare}
spec:
  nodeName: sim-2
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: oci:images/busybox
      command: [sleep, "1000"]
      env: [{name: VERSION, value: "${version}"}]
`
const web = (version: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: main
          image: oci:images/busybox
          command: [sleep, "1000"]
          env: [{name: VERSION, value: "${version}"}]
`

test('every write of a sync and a rollout names the objects it changed', async () => {
  const repo = new TempRepo()
  try {
    repo.write({'tsctl.yaml': 'manifests:\n  - manifests/\n', '.gitignore': '.tsctl/\nimages/\n'})
    await buildBusyboxLayout(join(repo.dir, 'images', 'busybox'))
    const fleet = new SimFleet(['sim-1', 'sim-2'], {rttMs: 1, connectMs: 0})
    const backend = new TrustingBackend()
    for (const [i, version] of ['v1', 'v2'].entries()) {
      const ref = repo.commit(version, {'manifests/nodes.yaml': nodes, 'manifests/web.yaml': web(version), 'manifests/bare.yaml': bare(version)})
      const r = await sync({repo: repo.dir, ref, backend, hosts: fleet.hosts(), timeoutMs: 60_000})
      assert.is(r.exitCode, 0, `sync ${i + 1}: ${r.message}`)
      assert.equal(backend.stored, JSON.parse(JSON.stringify(r.state)))
    }
    assert.equal(backend.wrong, [])
    assert.ok(backend.hinted > 0 && backend.hinted < backend.writes, `${backend.hinted} of ${backend.writes} writes hinted`)
  } finally {
    repo.remove()
  }
})

test.run()
