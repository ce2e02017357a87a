// A 3-host fleet (real sshd hosts, test/fleet): the example-style app
// converges and `get pods` matches what the scheduler planned; a second
// sync changes nothing; get -o wide, describe events, logs and exec over
// SSH; a container killed on a host is restarted by its supervisor; a pod
// removed behind tsctl's back is recreated by the next sync (drift).
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {Fleet} from '../fleet/fleet.js'
import {appFiles} from './_app.js'
import {AppRepo, tearDownFleet, tsctlSpawn, cgroupLeftovers, e2eSkipReason, hostClients, hostPods, live, sharedMasters, tsctl, tsctlEnv, until} from './_fleet-app.js'
import {fleetUp} from '../fleet/fleet.js'
import {testUnless} from '../fixtures/skip.js'

const skip = e2eSkipReason()
const maybe = testUnless(skip, 'converge')

let fleet: Fleet
let repo: AppRepo
let env: NodeJS.ProcessEnv
let killed = ''
const run = (...args: string[]) => tsctl(args, repo.dir, env)

test.before(async () => {
  if (skip) return
  fleet = await fleetUp(3, 'tsoa')
  repo = new AppRepo('converge')
  await repo.init(fleet, appFiles())
  env = tsctlEnv(fleet)
})

test.after(async () => {
  if (skip || !fleet) return
  await tearDownFleet(fleet)
  repo?.remove()
  assert.equal(cgroupLeftovers(fleet), [])
})

interface PodJson {metadata: {name: string; uid: string; deletionTimestamp?: string}; spec: {nodeName?: string}; status?: {phase?: string}}

async function statePods(): Promise<PodJson[]> {
  const r = await run('get', 'pods', '-o', 'json')
  assert.is(r.code, 0, r.stderr)
  return (JSON.parse(r.stdout) as {items: PodJson[]}).items
}

maybe('the app converges on 3 hosts and get pods matches the plan and the hosts', async () => {
  const diff = await run('diff', '-o', 'json')
  assert.is(diff.code, 1, diff.stderr)
  const planned = new Set<string>()
  for (const p of (JSON.parse(diff.stdout) as {placements: {node: string; pods: {name: string; status: string}[]}[]}).placements) {
    for (const pod of p.pods) if (pod.status !== 'deleted') planned.add(`${p.node} ${pod.name}`)
  }
  const s = await run('sync', '--timeout', '2m')
  assert.is(s.code, 0, s.stderr + s.stdout)
  const pods = await statePods()
  const bound = new Set(pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => `${p.spec.nodeName} ${p.metadata.name}`))
  assert.equal([...bound].sort(), [...planned].sort(), 'get pods = the plan diff showed')
  // and the hosts run exactly those (the Job's pod may have finished since the last observation)
  const onHosts = await hostPods(hostClients(fleet))
  const onHost = new Set<string>()
  for (const [node, list] of Object.entries(onHosts)) for (const p of list ?? []) onHost.add(`${node} ${p.name}`)
  assert.equal([...onHost].sort(), [...bound].sort())
  for (const [node, list] of Object.entries(onHosts)) {
    for (const p of list ?? []) assert.ok(p.name.startsWith('migrate-') ? ['Running', 'Succeeded'].includes(p.phase) : p.phase === 'Running', `${node} ${p.name} ${p.phase}`)
  }
  assert.is(pods.filter((p) => p.metadata.name.startsWith('web-')).length, 3)
  assert.is(pods.filter((p) => p.metadata.name.startsWith('node-agent-')).length, 3)
  for (const list of Object.values(onHosts)) for (const p of live(list)) assert.ok(p.phase === 'Running', `${p.name} Running`)
  const webReady = Object.values(onHosts).flatMap((l) => l ?? []).filter((p) => p.name.startsWith('web-') && p.ready)
  assert.is(webReady.length, 3, 'all web pods Ready when sync returns')
})

maybe('a second sync of the same commit changes nothing and exits 0', async () => {
  const before = await hostPods(hostClients(fleet))
  const s = await run('sync', '-o', 'json')
  assert.is(s.code, 0, s.stderr)
  const r = JSON.parse(s.stdout) as {converged: boolean; summary: Record<string, {created: number; replaced: number; deleted: number; failed: number}>}
  assert.ok(r.converged)
  for (const [node, n] of Object.entries(r.summary)) assert.equal([n.created, n.replaced, n.deleted, n.failed], [0, 0, 0, 0], node)
  const after = await hostPods(hostClients(fleet))
  const ids = (x: typeof before) => Object.entries(x).flatMap(([n, l]) => (l ?? []).map((p) => `${n} ${p.uid} ${p.startedAt}`)).sort()
  assert.equal(ids(after), ids(before), 'same pods, not restarted')
})

maybe('with SSH masters shared (the default outside the suite), the next run logs in to no host', async () => {
  const shared = sharedMasters()
  try {
    const senv = tsctlEnv(fleet, shared.env)
    const a = await tsctl(['sync', '-o', 'json'], repo.dir, senv)
    assert.is(a.code, 0, a.stderr)
    assert.is(shared.masters().length, fleet.hosts.length, 'one shared master per host after the run')
    const pids = shared.pids()
    assert.is(pids.length, fleet.hosts.length)
    const b = await tsctl(['sync', '-o', 'json'], repo.dir, senv)
    assert.is(b.code, 0, b.stderr)
    assert.equal(shared.pids(), pids, 'the second run used the same masters')
    for (const h of fleet.hosts) assert.is(await fleet.connections(h.index), 1, `${h.name} sees one SSH connection`)
  } finally {
    shared.close()
  }
  await until(async () => shared.pids().length === 0, 5_000, 'the shared masters to end')
})

maybe('get pods -o wide: node, phase, ready, restarts, age', async () => {
  const r = await run('get', 'pods', '-o', 'wide')
  assert.is(r.code, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  assert.match(lines[0], /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE.*NODE/)
  const web = lines.filter((l) => l.startsWith('web-'))
  assert.is(web.length, 3)
  for (const l of web) {
    assert.match(l, /\s1\/1\s+Running\s+0\s/)
    assert.match(l, new RegExp(`${fleet.prefix}-h[123]`))
  }
  assert.ok(lines.some((l) => /^migrate-\S+\s+0\/1\s+Completed/.test(l)), r.stdout)
})

maybe('describe pod shows the pod\'s events: scheduled, pulled, started', async () => {
  const pod = (await statePods()).find((p) => p.metadata.name.startsWith('web-'))!
  const r = await run('describe', 'pod', pod.metadata.name)
  assert.is(r.code, 0, r.stderr)
  const events = r.stdout.slice(r.stdout.indexOf('Events:'))
  for (const reason of ['Scheduled', 'Started']) assert.match(events, new RegExp(`Normal\\s+${reason}\\s`), `${reason} in\n${events}`)
  assert.match(events, `Started container httpd on ${pod.spec.nodeName}`)
  // Pulled: the first pod on each host brought the image's layers there
  const st = repo.state() as unknown as {events: {reason: string; message: string}[]}
  for (const h of fleet.hosts) assert.ok(st.events.some((e) => e.reason === 'Pulled' && e.message.includes(h.name)), `Pulled on ${h.name}`)
})

maybe('logs and exec over SSH to the pod\'s host', async () => {
  const pod = (await statePods()).find((p) => p.metadata.name.startsWith('db-'))!
  const hn = await run('exec', pod.metadata.name, '--', 'sh', '-c', 'hostname; echo "$DB_PASSWORD"; exit 3')
  assert.is(hn.code, 3, hn.stderr)
  assert.is(hn.stdout, `${pod.metadata.name}\ne2e-only\n`)
  const job = (await statePods()).find((p) => p.metadata.name.startsWith('migrate-'))!
  const logs = await run('logs', job.metadata.name)
  assert.is(logs.code, 0, logs.stderr)
  assert.is(logs.stdout, 'migrating\ndone\n')
  // -f over SSH: streams, and Ctrl-C ends it cleanly (exit 0)
  const agent = (await statePods()).find((p) => p.metadata.name.startsWith('node-agent-'))!
  const f = tsctlSpawn(['logs', '-f', agent.metadata.name], repo.dir, env)
  await until(async () => /\d+\.\d+ \d+\.\d+/.test(f.stdout()), 20_000, 'the agent\'s load line through logs -f')
  f.kill('SIGINT')
  const fr = await f.done
  assert.is(fr.code, 0, fr.stderr)
})

maybe('a container killed on a host is restarted by its supervisor', async () => {
  const clients = hostClients(fleet)
  const pod = (await statePods()).find((p) => p.metadata.name.startsWith('web-'))!
  const c = clients.get(pod.spec.nodeName!)!
  const before = (await c.status()).find((p) => p.uid === pod.metadata.uid)!
  assert.is(before.containers[0].restartCount, 0)
  // kill -9 of httpd from the host (inside the container it is PID 1, which ignores signals sent from within)
  await fleet.inHost(pod.spec.nodeName!, ['sh', '-c', 'kill -9 "$(cut -d" " -f1 "$1")"', 'sh', `/var/lib/tsctl/pods/${pod.metadata.uid}/ctr/c00/pid`])
  const after = await until(async () => {
    const p = (await c.status()).find((x) => x.uid === pod.metadata.uid)
    return p && p.containers[0].restartCount >= 1 && p.containers[0].state === 'running' ? p : undefined
  }, 40_000, 'the supervisor to restart httpd')
  assert.is(after.containers[0].restartCount, 1)
  assert.is(after.containers[0].lastExitCode, 137)
  killed = pod.metadata.name
  for (const t of clients.values()) await t.transport.close()
})

maybe('a pod removed behind tsctl\'s back is recreated by the next sync (drift)', async () => {
  const clients = hostClients(fleet)
  const pod = (await statePods()).find((p) => p.metadata.name.startsWith('web-') && p.metadata.name !== killed)!
  const c = clients.get(pod.spec.nodeName!)!
  await c.remove(pod.metadata.uid, 0)
  assert.not.ok((await c.status()).some((p) => p.uid === pod.metadata.uid))
  const s = await run('sync', '-o', 'json')
  assert.is(s.code, 0, s.stderr)
  const r = JSON.parse(s.stdout) as {summary: Record<string, {created: number}>}
  assert.is(r.summary[pod.spec.nodeName!].created, 1)
  const back = (await c.status()).find((p) => p.name === pod.metadata.name)
  assert.ok(back && back.phase === 'Running', 'the same pod runs on the same host again')
  assert.is(back!.uid, pod.metadata.uid)
  // that sync also observed the restart of the container killed above
  const d = await run('describe', 'pod', killed)
  assert.match(d.stdout, /Warning\s+Restarted\s.*Container httpd exited \(Error, exit code 137\) and was restarted \(restart 1\)/)
  const wide = await run('get', 'pods', '-o', 'wide')
  assert.match(wide.stdout, new RegExp(`^${killed}\\s+1/1\\s+Running\\s+1\\s`, 'm'), 'RESTARTS shows the restart')
  for (const t of clients.values()) await t.transport.close()
})

test.run()
