// Registry images on a 3-host fleet: a Deployment with one pod per host
// (required podAntiAffinity on kubernetes.io/hostname) pulls
// REGISTRY/app:1 through the CLI (hosts never talk to the registry, which
// listens on the CLI machine's loopback), rolls to :2 sending each host only
// the layer it lacks, keeps :1's layers in every host's store, and
// `rollout undo` returns every host to :1's digest with no layer sent and
// the registry gone.
import {mkdtempSync, existsSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {WrittenImage} from '../../src/images/layout-writer.js'
import type {Fleet} from '../fleet/fleet.js'
import {fleetUp} from '../fleet/fleet.js'
import {testUnless} from '../fixtures/skip.js'
import {registryMissing, startRegistry, stopRegistriesAfter, type RunningRegistry} from '../fixtures/registry.js'
import {buildApp, webDeployment} from '../sync/_registry-app.js'
import {AppRepo, cgroupLeftovers, e2eSkipReason, hostClients, hostPods, live, tearDownFleet, tsctl, tsctlEnv, type Run} from './_fleet-app.js'

const skip = e2eSkipReason() ?? registryMissing()
const maybe = testUnless(skip, 'registry rollout on the fleet')
stopRegistriesAfter(test)

let fleet: Fleet
let repo: AppRepo
let reg: RunningRegistry
let tmp: string
let env: NodeJS.ProcessEnv
const built: Record<string, WrittenImage> = {}
const digests: Record<string, string> = {}

const run = (...args: string[]) => tsctl(args, repo.dir, env)
const image = (tag: string) => `${reg.host}/app:${tag}`
const web = (tag: string) => ({'manifests/web.yaml': webDeployment(image(tag), {replicas: 3, spread: true})})
const hex = (digest: string) => digest.slice('sha256:'.length)
const layerSentLines = (r: Run) => (r.stdout + r.stderr).match(/ layer [0-9a-f]{12} of /g) ?? []

type Summary = Record<string, {created: number; replaced: number; layersSent?: number; layerBytes?: number}>
function summaryOf(r: Run): Summary {
  try {
    return (JSON.parse(r.stdout) as {summary: Summary}).summary
  } catch {
    throw new Error(`sync printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`)
  }
}

/** Host name → what its web pod's /etc/app-version says (read inside the pod, over nsenter). */
async function versionsByHost(): Promise<Record<string, string[]>> {
  const clients = hostClients(fleet)
  try {
    const out: Record<string, string[]> = {}
    for (const [host, pods] of Object.entries(await hostPods(clients))) {
      out[host] = []
      for (const p of live(pods).filter((x) => x.name.startsWith('web-'))) {
        out[host].push((await clients.get(host)!.exec(p.uid, 'main', ['cat', '/etc/app-version'])).stdout.toString().trim())
      }
    }
    return out
  } finally {
    for (const c of clients.values()) await c.transport.close()
  }
}
const everyHost = (v: string) => Object.fromEntries(fleet.hosts.map((h) => [h.name, [v]]))

/** The pins of the live pods in the state, one per pod. */
function podPins(): Record<string, string>[] {
  const objects = repo.state().objects as Record<string, {kind: string; metadata: {deletionTimestamp?: string; annotations?: Record<string, string>}}>
  return Object.values(objects)
    .filter((o) => o.kind === 'Pod' && !o.metadata.deletionTimestamp)
    .map((o) => JSON.parse(o.metadata.annotations?.['tsctl.io/image-digests'] ?? '{}'))
}

test.before(async () => {
  if (skip) return
  tmp = mkdtempSync(join(tmpdir(), 'tsctl-e2e-reg-'))
  reg = await startRegistry()
  for (const v of ['1', '2']) {
    built[v] = await buildApp(join(tmp, `app-${v}`), `version ${v}`)
    digests[v] = (await reg.push('app', v, join(tmp, `app-${v}`))).digest
  }
  fleet = await fleetUp(3, 'tsreg')
  repo = new AppRepo('registry')
  await repo.init(fleet, web('1'))
  env = tsctlEnv(fleet, {TSCTL_CACHE_DIR: join(tmp, 'cache')})
})

test.after(async () => {
  if (skip) return
  if (fleet) await tearDownFleet(fleet)
  repo?.remove()
  if (tmp) rmSync(tmp, {recursive: true, force: true})
  if (fleet) assert.equal(cgroupLeftovers(fleet), [])
})

maybe('the first sync pulls :1 once and sends both its layers to each host; each host\'s pod runs it', async () => {
  const r = await run('sync', '--timeout', '2m', '-o', 'json')
  assert.is(r.code, 0, r.stdout + r.stderr)
  const s = summaryOf(r)
  for (const h of fleet.hosts) {
    assert.is(s[h.name].layersSent, 2, `${h.name}: ${JSON.stringify(s[h.name])}`)
    assert.ok((s[h.name].layerBytes ?? 0) > 0)
  }
  assert.equal(await versionsByHost(), everyHost('version 1'), 'one pod per host, each running :1')
  assert.equal(podPins(), fleet.hosts.map(() => ({[image('1')]: digests['1']})))
})

maybe('rolling to :2 sends each host only :2\'s own layer; the hosts keep :1\'s image and layers', async () => {
  repo.write(web('2'))
  repo.commit('app 2')
  const r = await run('sync', '--timeout', '2m', '-o', 'json')
  assert.is(r.code, 0, r.stdout + r.stderr)
  const s = summaryOf(r)
  for (const h of fleet.hosts) assert.is(s[h.name].layersSent, 1, `${h.name}: the busybox layer is shared and stays: ${JSON.stringify(s[h.name])}`)
  assert.equal(await versionsByHost(), everyHost('version 2'))
  assert.equal(podPins(), fleet.hosts.map(() => ({[image('2')]: digests['2']})))
  // the store under each host's ROOT (/var/lib/tsctl, bind-mounted from dataDir): GC after this
  // changing sync kept :1, which the old ReplicaSet (a retained revision) still pins
  for (const h of fleet.hosts) {
    assert.ok(existsSync(join(h.dataDir, 'images', hex(digests['1']))), `${h.name} keeps the record of :1`)
    for (const l of built['1'].layers) assert.ok(existsSync(join(h.dataDir, 'layers', hex(l.diffId))), `${h.name} keeps :1's layer ${l.diffId}`)
    assert.ok(existsSync(join(h.dataDir, 'layers', hex(built['2'].layers[1].diffId))), `${h.name} has :2's own layer`)
  }
})

maybe('rollout undo returns every host to :1\'s digest with no layer sent, the registry gone', async () => {
  await reg.stop() // the pin, the CLI's cache and the hosts' stores are all undo needs
  const r = await run('rollout', 'undo', 'deploy/web', '--timeout', '2m')
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stderr, /converged/, r.stderr)
  assert.equal(layerSentLines(r), [], `no layer was sent:\n${r.stderr}`)
  assert.equal(await versionsByHost(), everyHost('version 1'))
  assert.equal(podPins(), fleet.hosts.map(() => ({[image('1')]: digests['1']})))
})

test.run()
