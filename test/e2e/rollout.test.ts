// A 3-host fleet: a commit changing the Deployment's command rolls it with
// maxSurge/maxUnavailable respected at every moment the hosts were sampled
// (sampled from this process, over nsenter, while tsctl syncs in another);
// scale up and down; an object deleted from git is pruned.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {Fleet} from '../fleet/fleet.js'
import {fleetUp} from '../fleet/fleet.js'
import {appFiles, defaultWebCommand} from './_app.js'
import {AppRepo, tearDownFleet, cgroupLeftovers, e2eSkipReason, hostClients, hostPods, live, sleep, tsctl, tsctlEnv, tsctlSpawn} from './_fleet-app.js'
import {testUnless} from '../fixtures/skip.js'

const skip = e2eSkipReason()
const maybe = testUnless(skip, 'rollout')

let fleet: Fleet
let repo: AppRepo
let env: NodeJS.ProcessEnv
const run = (...args: string[]) => tsctl(args, repo.dir, env)
const REPLICAS = 4

test.before(async () => {
  if (skip) return
  fleet = await fleetUp(3, 'tsob')
  repo = new AppRepo('rollout')
  await repo.init(fleet, appFiles({web: REPLICAS, maxSurge: 1, maxUnavailable: 1, agent: false, job: false, extraConfig: true}))
  env = tsctlEnv(fleet)
  const s = await run('sync', '--timeout', '2m')
  if (s.code !== 0) throw new Error(`first sync: ${s.code} ${s.stderr}`)
})

test.after(async () => {
  if (skip || !fleet) return
  await tearDownFleet(fleet)
  repo?.remove()
  assert.equal(cgroupLeftovers(fleet), [])
})

/** Web pods on all hosts now: live (running or starting) and ready, with their ReplicaSets (web-<pod-template-hash>). */
async function webNow(clients = hostClients(fleet)) {
  const all = Object.values(await hostPods(clients)).flatMap((l) => live(l)).filter((p) => p.name.startsWith('web-'))
  return {live: all.length, ready: all.filter((p) => p.ready).length, hashes: new Set(all.map((p) => p.name.split('-').slice(0, 2).join('-')))}
}

maybe('a command change rolls the Deployment within maxSurge=1 / maxUnavailable=1 at every sampled moment', async () => {
  const start = await webNow()
  assert.is(start.live, REPLICAS)
  assert.is(start.ready, REPLICAS)
  const [oldHash] = [...start.hashes]
  repo.write(appFiles({web: REPLICAS, maxSurge: 1, maxUnavailable: 1, agent: false, job: false, extraConfig: true, webCommand: [...defaultWebCommand, '-v']}))
  repo.commit('web: verbose httpd')
  const clients = hostClients(fleet)
  const sync = tsctlSpawn(['sync', '--timeout', '2m'], repo.dir, env)
  let finished = false
  void sync.done.then(() => (finished = true))
  const samples: {live: number; ready: number; mixed: boolean}[] = []
  while (!finished) {
    const s = await webNow(clients)
    samples.push({live: s.live, ready: s.ready, mixed: s.hashes.size > 1})
    await sleep(50)
  }
  const r = await sync.done
  assert.is(r.code, 0, r.stderr)
  const end = await webNow(clients)
  for (const c of clients.values()) await c.transport.close()
  console.log(`rollout: ${samples.length} samples, live ${Math.min(...samples.map((s) => s.live))}..${Math.max(...samples.map((s) => s.live))}, ready ${Math.min(...samples.map((s) => s.ready))}..${Math.max(...samples.map((s) => s.ready))}`)
  assert.ok(samples.length >= 5, `enough samples during the rollout (${samples.length})`)
  assert.ok(samples.some((s) => s.mixed), 'old and new pods were seen side by side')
  for (const s of samples) {
    assert.ok(s.live <= REPLICAS + 1, `at most replicas+maxSurge pods: ${JSON.stringify(s)}`)
    assert.ok(s.ready >= REPLICAS - 1, `at least replicas-maxUnavailable ready: ${JSON.stringify(s)}`)
  }
  assert.is(end.live, REPLICAS)
  assert.is(end.ready, REPLICAS)
  assert.is(end.hashes.size, 1)
  assert.not.ok(end.hashes.has(oldHash), 'every pod belongs to the new ReplicaSet')
  const h = await run('rollout', 'history', 'deploy/web')
  assert.is(h.code, 0, h.stderr)
  assert.match(h.stdout, 'web: verbose httpd')
})

maybe('scale up and down', async () => {
  repo.write(appFiles({web: 6, maxSurge: 1, maxUnavailable: 1, agent: false, job: false, extraConfig: true, webCommand: [...defaultWebCommand, '-v']}))
  repo.commit('web: 6')
  let s = await run('sync', '--timeout', '2m')
  assert.is(s.code, 0, s.stderr)
  let now = await webNow()
  assert.equal([now.live, now.ready], [6, 6])
  const perHost = Object.values(await hostPods(hostClients(fleet))).map((l) => live(l).filter((p) => p.name.startsWith('web-')).length)
  assert.ok(perHost.every((n) => n >= 1), `spread over the hosts: ${perHost}`)
  repo.write(appFiles({web: 2, maxSurge: 1, maxUnavailable: 1, agent: false, job: false, extraConfig: true, webCommand: [...defaultWebCommand, '-v']}))
  repo.commit('web: 2')
  s = await run('sync', '--timeout', '2m')
  assert.is(s.code, 0, s.stderr)
  now = await webNow()
  assert.equal([now.live, now.ready], [2, 2])
  const g = await run('get', 'deploy', 'web')
  assert.match(g.stdout, /web\s+2\/2\s+2\s+2/)
})

maybe('objects deleted from git are pruned: the StatefulSet\'s pod stops, the ConfigMap leaves the state', async () => {
  const before = Object.values(await hostPods(hostClients(fleet))).flatMap((l) => live(l))
  assert.ok(before.some((p) => p.name === 'db-0'))
  repo.write(appFiles({web: 2, maxSurge: 1, maxUnavailable: 1, agent: false, job: false, extraConfig: false, db: false, webCommand: [...defaultWebCommand, '-v']}))
  repo.commit('drop db and extra')
  const s = await run('sync', '--timeout', '2m')
  assert.is(s.code, 0, s.stderr)
  const after = Object.values(await hostPods(hostClients(fleet))).flatMap((l) => l ?? [])
  assert.not.ok(after.some((p) => p.name === 'db-0'), 'db-0 is gone from its host')
  assert.is(after.filter((p) => p.name.startsWith('web-')).length, 2, 'web untouched')
  assert.is((await run('get', 'sts', 'db')).code, 2)
  assert.is((await run('get', 'cm', 'extra')).code, 2)
  assert.is((await run('get', 'cm', 'web-content')).code, 0)
})

test.run()
