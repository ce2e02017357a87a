// Readiness across hosts with `tsctl watch` on a 3-host fleet (real sshd
// hosts, CNI bridge, the `tsctl` nftables table): with watch running and no
// commit (no sync pass at all), a pod on host 2 that fails readiness leaves
// host 1's rotation within a bounded time and comes back when ready again,
// through watch's endpoints-only refresh; a refresh with nothing to change
// writes no state. Every address is inside 198.18.0.0/15: hosts
// 198.19.25x.0/24, pods 198.19.0.0/17, services 198.18.128.0/17.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {Fleet} from '../fleet/fleet.js'
import {fleetUp} from '../fleet/fleet.js'
import {testUnless} from '../fixtures/skip.js'
import {assertOutput} from '../cli/helpers/output-schema.js'
import {AppRepo, cgroupLeftovers, sleep, tearDownFleet, tsctl, tsctlEnv, tsctlSpawn, until} from './_fleet-app.js'
import {inRotation, netConfig, netSkipReason, tsctlTable, webDeploymentYaml} from './_net-app.js'

const skip = netSkipReason()
const maybe = testUnless(skip, 'network-watch')

let fleet: Fleet
let repo: AppRepo
let env: NodeJS.ProcessEnv
const run = (...args: string[]) => tsctl(args, repo.dir, env)

/** the refresh interval the watch runs with; the bound asserted below is a few of them */
const INTERVAL_MS = 1000

const webYaml = `${webDeploymentYaml()}---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http}
`

test.before(async () => {
  if (skip) return
  fleet = await fleetUp(3, 'tsnw')
  repo = new AppRepo('network-watch')
  await repo.init(fleet, {'tsctl.yaml': netConfig(), 'manifests/web.yaml': webYaml})
  env = tsctlEnv(fleet)
})

test.after(async () => {
  if (skip || !fleet) return
  await tearDownFleet(fleet)
  repo?.remove()
  assert.equal(cgroupLeftovers(fleet), [])
})

maybe('watch, no commit: a pod failing readiness on host 2 leaves host 1\'s rotation in bounded time and comes back; a refresh with nothing to change writes no state', async () => {
  const s = await run('sync', '--timeout', '2m')
  assert.is(s.code, 0, s.stderr + s.stdout)
  const pods = (JSON.parse((await run('get', 'pods', '-o', 'json')).stdout) as {items: {metadata: {name: string}; spec: {nodeName: string}; status?: {podIP?: string}}[]}).items
  const [h1, h2, h3] = fleet.hosts
  const pod = pods.find((p) => p.spec.nodeName === h2.name)
  assert.ok(pod?.status?.podIP, `a web pod with an IP on ${h2.name}`)
  const ip = pod!.status!.podIP!
  assert.ok(inRotation(await tsctlTable(fleet, h1), ip), `${h1.name} balances to ${ip} while it is ready`)

  // the state is at the commit: watch resumes after it and runs no pass (asserted at the end)
  const w = tsctlSpawn(['watch', '-o', 'json', '--resync', '0', '--endpoints-interval', `${INTERVAL_MS}ms`], repo.dir, env)
  const records = () => w.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
  const refreshes = () => records().filter((r) => r.event === 'endpoints')
  let exit
  try {
    await until(async () => records().some((r) => r.event === 'watch.start'), 20_000, 'watch to start')
    const serial0 = repo.state().serial

    const rm = await run('exec', pod!.metadata.name, '--', 'rm', '/w/ready')
    assert.is(rm.code, 0, rm.stderr)
    const t0 = Date.now()
    // one probe period, one refresh interval, one refresh (observe + net-apply), with room for a slow CI host
    const bound = 1000 + INTERVAL_MS + 8000
    await until(async () => !inRotation(await tsctlTable(fleet, h1), ip), bound, `${h1.name} to drop the unready pod within ${bound} ms`)
    const leftMs = Date.now() - t0
    await until(async () => !inRotation(await tsctlTable(fleet, h3), ip), 3000, `${h3.name} to drop it too`)
    await until(async () => refreshes().length >= 1, 5000, 'the endpoints record')
    const gone = refreshes()[0]
    assert.is(gone.level, 'info')
    assert.ok((gone.nodes as string[]).includes(h1.name) && (gone.nodes as string[]).includes(h3.name), `rules replaced on ${h1.name} and ${h3.name}: ${JSON.stringify(gone)}`)
    assert.type(gone.ms, 'number')
    const serial1 = repo.state().serial
    assert.ok(serial1 > serial0, `the refresh recorded the new rules (serial ${serial0} → ${serial1})`)
    const ep = JSON.parse((await run('get', 'endpoints', 'web', '-o', 'json')).stdout) as {subsets: {addresses?: {ip: string}[]; notReadyAddresses?: {ip: string}[]}[]}
    assert.ok(ep.subsets.flatMap((x) => x.notReadyAddresses ?? []).some((a) => a.ip === ip), `the state's Endpoints list ${ip} as not ready: ${JSON.stringify(ep)}`)

    // nothing to change: several refreshes, no record, no state write
    await sleep(4 * INTERVAL_MS)
    assert.is(refreshes().length, 1, `no record while nothing changes: ${JSON.stringify(refreshes())}`)
    assert.is(repo.state().serial, serial1, 'a refresh with nothing to change writes no state')

    const back = await run('exec', pod!.metadata.name, '--', 'sh', '-c', 'echo ok > /w/ready')
    assert.is(back.code, 0, back.stderr)
    await until(async () => inRotation(await tsctlTable(fleet, h1), ip), bound, `${h1.name} to take the pod back within ${bound} ms`)
    await until(async () => refreshes().length >= 2, 5000, 'the second endpoints record')
    assert.ok(repo.state().serial > serial1, 'the return is recorded too')

    assert.equal(records().filter((r) => r.event === 'pass.start'), [], 'no sync pass ran: the refresh did it')
    for (const r of records()) assertOutput('watch-record', r)
    console.log(`  ${h1.name} dropped the unready pod of ${h2.name} after ${leftMs} ms (interval ${INTERVAL_MS} ms, probe period 1000 ms)`)
  } finally {
    w.kill('SIGTERM')
    exit = await w.done
  }
  assert.is(exit.code, 0, exit.stderr)
})

test.run()
