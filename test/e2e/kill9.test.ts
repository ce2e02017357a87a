// kill -9 of tsctl at random moments of a sync, 20+ times on a 3-host
// fleet: the state file parses at every moment (read while the sync runs
// and after the kill), and the next sync converges with no duplicate pod
// and no orphan pod on any host. A small app keeps each trial short. The
// kill moments are seeded (printed), so a failure can be replayed with
// E2E_SEED=N.
import {readFileSync} from 'node:fs'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {Fleet} from '../fleet/fleet.js'
import {fleetUp} from '../fleet/fleet.js'
import {tinyApp} from './_app.js'
import {AppRepo, tearDownFleet, cgroupLeftovers, e2eSkipReason, hostClients, hostPods, live, sleep, tsctl, tsctlEnv, tsctlSpawn} from './_fleet-app.js'
import {testUnless} from '../fixtures/skip.js'

const skip = e2eSkipReason()
const maybe = testUnless(skip, 'kill9')
const TRIALS = Number(process.env.E2E_KILL_TRIALS ?? 20)

let fleet: Fleet
let repo: AppRepo
let env: NodeJS.ProcessEnv

test.before(async () => {
  if (skip) return
  fleet = await fleetUp(3, 'tsoc')
  repo = new AppRepo('kill9')
  await repo.init(fleet, tinyApp(4, 'v0'))
  env = tsctlEnv(fleet)
})

test.after(async () => {
  if (skip || !fleet) return
  await tearDownFleet(fleet)
  repo?.remove()
  assert.equal(cgroupLeftovers(fleet), [])
})

/** A small deterministic PRNG (mulberry32), so kill moments can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function parseState(): boolean | string {
  let text: string
  try {
    text = readFileSync(repo.statePath, 'utf8')
  } catch {
    return true // not written yet
  }
  try {
    JSON.parse(text)
    return true
  } catch (e) {
    return `state does not parse (${(e as Error).message}): ${text.slice(0, 200)}`
  }
}

/** After a converged sync: hosts run exactly the state's pods (no duplicate, no orphan), REPLICAS of them. */
async function assertExact(replicas: number, trial: string): Promise<void> {
  const st = repo.state()
  const want = new Map<string, string>()
  for (const o of Object.values(st.objects)) {
    if (o.kind !== 'Pod' || o.metadata.deletionTimestamp) continue
    want.set(o.metadata.uid!, `${o.spec?.nodeName} ${o.metadata.name}`)
  }
  const clients = hostClients(fleet)
  const onHosts = await hostPods(clients)
  for (const c of clients.values()) await c.transport.close()
  const seen = new Map<string, string>()
  const names = new Set<string>()
  for (const [node, list] of Object.entries(onHosts)) {
    assert.ok(list, `${trial}: ${node} readable`)
    for (const p of live(list)) {
      assert.not.ok(names.has(p.name), `${trial}: duplicate pod ${p.name}`)
      names.add(p.name)
      seen.set(p.uid, `${node} ${p.name}`)
    }
  }
  assert.equal([...seen].sort(), [...want].sort(), `${trial}: hosts run exactly the state's pods (no orphan, none missing)`)
  assert.is(seen.size, replicas, `${trial}: ${replicas} pods`)
}

maybe(`kill -9 of tsctl at random moments of a sync (${TRIALS} trials): the next sync converges, no duplicate or orphan pod, the state always parses`, async () => {
  const first = await tsctl(['sync', '--timeout', '1m'], repo.dir, env)
  assert.is(first.code, 0, first.stderr)
  await assertExact(4, 'first sync')
  // How long a sync of one change takes here bounds the kill moments.
  repo.write(tinyApp(5, 'v1'))
  repo.commit('v1')
  const probe = await tsctl(['sync', '--timeout', '1m'], repo.dir, env)
  assert.is(probe.code, 0, probe.stderr)
  const span = Math.max(500, probe.ms)
  const seed = Number(process.env.E2E_SEED ?? Date.now() % 100000)
  console.log(`kill9: seed ${seed}, a sync takes ~${probe.ms} ms, kills within ${span} ms`)
  const rnd = prng(seed)
  let killedMidway = 0
  for (let i = 0; i < TRIALS; i++) {
    // alternate a rolling change and a scale change
    const replicas = 3 + (i % 3)
    repo.write(tinyApp(replicas, i % 2 ? `v${i + 2}` : 'v1'))
    repo.commit(`trial ${i}`)
    const at = Math.floor(rnd() * span)
    const s = tsctlSpawn(['sync', '--timeout', '1m'], repo.dir, env)
    let exited = false
    void s.done.then(() => (exited = true))
    const t0 = Date.now()
    while (!exited && Date.now() - t0 < at) {
      const ok = parseState()
      assert.ok(ok === true, `trial ${i} during the sync: ${ok}`)
      await sleep(5)
    }
    if (!exited) {
      s.kill('SIGKILL')
      killedMidway++
    }
    await s.done
    const ok = parseState()
    assert.ok(ok === true, `trial ${i} after kill at ${at} ms: ${ok}`)
    const next = await tsctl(['sync', '--timeout', '1m'], repo.dir, env)
    assert.is(next.code, 0, `trial ${i} (kill at ${at} ms): the next sync converges\n${next.stderr}`)
    await assertExact(replicas, `trial ${i} (kill at ${at} ms)`)
  }
  console.log(`kill9: ${TRIALS} trials, ${killedMidway} killed before the sync ended`)
  assert.ok(killedMidway >= TRIALS / 2, `most trials killed a running sync (${killedMidway}/${TRIALS})`)
})

test.run()
