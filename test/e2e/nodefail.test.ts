// Node failure on a 3-host fleet: a host partitioned away (its link down:
// its pods keep running, tsctl cannot reach it) beyond --node-grace → its
// Deployment pods are started elsewhere, its StatefulSet pod is not (at
// most one of each identity); when the host comes back, the pods it still
// runs that were replaced are stopped. A short grace (3 s) keeps it quick.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {Fleet} from '../fleet/fleet.js'
import {fleetUp} from '../fleet/fleet.js'
import {appFiles} from './_app.js'
import {AppRepo, tearDownFleet, cgroupLeftovers, e2eSkipReason, hostClients, hostPods, live, sleep, tsctl, tsctlEnv} from './_fleet-app.js'
import {testUnless} from '../fixtures/skip.js'

const skip = e2eSkipReason()
const maybe = testUnless(skip, 'nodefail')

let fleet: Fleet
let repo: AppRepo
let env: NodeJS.ProcessEnv
const GRACE = ['--node-grace', '3s', '--host-timeout', '8s']
const run = (...args: string[]) => tsctl(args, repo.dir, env)

test.before(async () => {
  if (skip) return
  fleet = await fleetUp(3, 'tsoe')
  repo = new AppRepo('nodefail')
  await repo.init(fleet, appFiles({web: 6, maxSurge: 1, maxUnavailable: 1, agent: false, job: false}))
  env = tsctlEnv(fleet)
})

test.after(async () => {
  if (skip || !fleet) return
  for (const h of fleet.hosts) await fleet.heal(h.index).catch(() => {})
  await tearDownFleet(fleet)
  repo?.remove()
  assert.equal(cgroupLeftovers(fleet), [])
})

maybe('a host unreachable past --node-grace: Deployment pods move, the StatefulSet pod stays; back again, the replaced pods stop', async () => {
  const first = await run('sync', '--timeout', '2m', ...GRACE)
  assert.is(first.code, 0, first.stderr)
  const before = await hostPods(hostClients(fleet))
  const lostName = Object.entries(before).find(([, l]) => live(l).some((p) => p.name === 'db-0'))![0]
  const lost = fleet.hosts.find((h) => h.name === lostName)!
  const webOnLost = live(before[lostName]).filter((p) => p.name.startsWith('web-')).map((p) => p.name)
  assert.ok(webOnLost.length >= 1, `the db host runs web pods too: ${webOnLost}`)

  await fleet.partition(lost.index)
  // First sync: the host is unreachable, within the grace period: nothing moves yet.
  const s1 = await run('sync', '--timeout', '2m', ...GRACE)
  assert.is(s1.code, 4, s1.stderr)
  assert.match(s1.stdout + s1.stderr, `${lostName}`)
  await sleep(3500)
  // Past the grace period: NotReady, its web pods are replaced on the others.
  const s2 = await run('sync', '--timeout', '2m', ...GRACE)
  assert.is(s2.code, 4, s2.stderr)
  const node = await run('get', 'nodes')
  assert.match(node.stdout, new RegExp(`${lostName}\\s+NotReady`))
  const others = fleet.hosts.filter((h) => h !== lost).map((h) => h.name)
  const during = await hostPods(hostClients(fleet))
  const webElsewhere = others.flatMap((n) => live(during[n]).filter((p) => p.name.startsWith('web-') && p.ready))
  assert.is(webElsewhere.length, 6, 'six ready web pods on the reachable hosts')
  assert.not.ok(others.some((n) => live(during[n]).some((p) => p.name === 'db-0')), 'db-0 is not started elsewhere')
  // meanwhile the partitioned host still runs its old pods (seen over nsenter)
  assert.ok(live(during[lostName]).some((p) => p.name === 'db-0'))
  assert.ok(webOnLost.every((n) => live(during[lostName]).some((p) => p.name === n)), 'the lost host still runs its web pods')
  const d = await run('describe', 'pod', webOnLost[0])
  if (d.code === 0) assert.match(d.stdout, /NodeLost|Terminating/)

  await fleet.heal(lost.index)
  const s3 = await run('sync', '--timeout', '2m', ...GRACE)
  assert.is(s3.code, 0, s3.stderr)
  const after = await hostPods(hostClients(fleet))
  const back = live(after[lostName])
  for (const n of webOnLost) assert.not.ok(back.some((p) => p.name === n), `${n} was replaced and is stopped on ${lostName}`)
  assert.ok(back.some((p) => p.name === 'db-0' && p.phase === 'Running'), 'db-0 still runs on its host')
  const allWeb = Object.values(after).flatMap((l) => live(l)).filter((p) => p.name.startsWith('web-'))
  assert.is(allWeb.length, 6, 'six web pods in all')
  assert.is(new Set(allWeb.map((p) => p.name)).size, 6, 'no duplicate')
  const dbs = Object.values(after).flatMap((l) => live(l)).filter((p) => p.name === 'db-0')
  assert.is(dbs.length, 1, 'one db-0 in the fleet')
  const g = await run('get', 'nodes')
  assert.match(g.stdout, new RegExp(`${lostName}\\s+Ready`))
})

test.run()
