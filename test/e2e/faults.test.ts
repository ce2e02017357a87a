// A 3-host fleet under faults: a host crashed (its sshd killed, with every
// process of its PID namespace) in the middle of a sync → the other hosts
// converge, exit 4 naming the host, and after it returns the next sync
// converges; two syncs at once → one fails with exit 3 naming the holder
// (or waits with --lock-timeout) and nothing is lost.
import {existsSync} from 'node:fs'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {Fleet} from '../fleet/fleet.js'
import {fleetUp} from '../fleet/fleet.js'
import {tinyApp} from './_app.js'
import {AppRepo, tearDownFleet, cgroupLeftovers, e2eSkipReason, hostClients, hostPods, live, sleep, tsctl, tsctlEnv, tsctlSpawn, until} from './_fleet-app.js'
import {testUnless} from '../fixtures/skip.js'

const skip = e2eSkipReason()
const maybe = testUnless(skip, 'faults')

let fleet: Fleet
let repo: AppRepo
let env: NodeJS.ProcessEnv
const run = (...args: string[]) => tsctl(args, repo.dir, env)

test.before(async () => {
  if (skip) return
  fleet = await fleetUp(3, 'tsod')
  repo = new AppRepo('faults')
  await repo.init(fleet, tinyApp(6, 'v0'))
  env = tsctlEnv(fleet)
  const s = await run('sync', '--timeout', '1m')
  if (s.code !== 0) throw new Error(`first sync: ${s.code} ${s.stderr}`)
})

test.after(async () => {
  if (skip || !fleet) return
  await tearDownFleet(fleet)
  repo?.remove()
  assert.equal(cgroupLeftovers(fleet), [])
})

/** Live pods per host that the state binds there, and the ones it does not (orphans). */
async function compare(nodes: string[]) {
  const st = repo.state()
  const onHosts = await hostPods(hostClients(fleet))
  const missing: string[] = []
  const orphans: string[] = []
  for (const n of nodes) {
    const want = Object.values(st.objects).filter((o) => o.kind === 'Pod' && !o.metadata.deletionTimestamp && o.spec?.nodeName === n).map((o) => o.metadata.uid!)
    const have = live(onHosts[n]).map((p) => p.uid)
    missing.push(...want.filter((u) => !have.includes(u)).map((u) => `${n}:${u}`))
    orphans.push(...have.filter((u) => !want.includes(u)).map((u) => `${n}:${u}`))
  }
  return {missing, orphans, onHosts}
}

maybe('a host crashed mid-sync: the others converge, exit 4 names it; after it returns the next sync converges', async () => {
  const victim = fleet.hosts[2]
  repo.write(tinyApp(6, 'v1'))
  repo.commit('v1')
  const s = tsctlSpawn(['sync', '--timeout', '1m'], repo.dir, env)
  // crash the host once the rollout has acted on the fleet (a progress line per action)
  await until(async () => /pass \d+: \d+ action/.test(s.stderr()), 30_000, 'the first actions')
  await sleep(300)
  await fleet.crash(victim.index)
  const r = await s.done
  assert.is(r.code, 4, r.stdout + r.stderr)
  assert.match(r.stdout + r.stderr, victim.name)
  const others = fleet.hosts.filter((h) => h !== victim).map((h) => h.name)
  const c = await compare(others)
  assert.equal(c.missing, [], 'the reachable hosts run what the state says')
  assert.equal(c.orphans, [], 'and nothing else')
  for (const n of others) assert.ok(live(c.onHosts[n]).every((p) => p.phase === 'Running'), `${n} all Running`)
  assert.is(c.onHosts[victim.name], null, 'the crashed host cannot be read')

  await fleet.restart()
  const again = await run('sync', '--timeout', '1m', '-o', 'json')
  if (again.code !== 0) {
    // what the hosts run, to tell a stuck pod from a slow one
    const seen = Object.entries(await hostPods(hostClients(fleet))).map(([k, v]) => [k, (v ?? []).map((p) => `${p.name} ${p.phase} ready=${p.ready}`)])
    assert.unreachable(`the sync after the host returned exited ${again.code}: ${JSON.parse(again.stdout).message ?? ''}\n${JSON.stringify(seen)}`)
  }
  const all = await compare(fleet.hosts.map((h) => h.name))
  assert.equal([all.missing, all.orphans], [[], []], JSON.stringify(all.onHosts[victim.name]?.map((p) => [p.name, p.uid, p.phase])) + again.stdout)
  const tiny = Object.values(all.onHosts).flatMap((l) => live(l)).filter((p) => p.name.startsWith('tiny-'))
  assert.is(tiny.length, 6)
  assert.is(new Set(tiny.map((p) => p.name.split('-')[1])).size, 1, 'one ReplicaSet: the rollout finished')
})

maybe('two syncs at once: the second fails with exit 3 naming the holder; with --lock-timeout it waits; nothing is lost', async () => {
  repo.write(tinyApp(4, 'v2'))
  repo.commit('v2')
  const serial0 = repo.state().serial
  const a = tsctlSpawn(['sync', '--timeout', '1m'], repo.dir, env)
  await until(async () => existsSync(repo.statePath + '.lock'), 10_000, 'the first sync to hold the lock')
  const b = await run('sync', '--timeout', '1m')
  assert.is(b.code, 3, b.stderr)
  assert.match(b.stderr, /locked by "tsctl sync"/)
  assert.match(b.stderr, `pid ${a.pid}`)
  const waiting = tsctlSpawn(['sync', '--timeout', '1m', '--lock-timeout', '1m'], repo.dir, env)
  const ra = await a.done
  assert.is(ra.code, 0, ra.stderr)
  const rw = await waiting.done
  assert.is(rw.code, 0, rw.stderr)
  const st = repo.state()
  assert.ok(st.serial > serial0, 'the state moved on')
  assert.is(st.appliedCommit?.sha, repo.git('rev-parse', 'HEAD'))
  const noop = await run('sync', '-o', 'json')
  assert.is(noop.code, 0, noop.stderr)
  const all = await compare(fleet.hosts.map((h) => h.name))
  assert.equal([all.missing, all.orphans], [[], []])
  assert.is(Object.values(all.onHosts).flatMap((l) => live(l)).filter((p) => p.name.startsWith('tiny-')).length, 4)
})

test.run()
