// Registry images end to end on this machine (local transport, as root):
// Debian's docker-registry on loopback, images built from busybox-static and
// pushed through the registry API. A Deployment rolls from :1 to :2; a tag
// that moves does not change running pods; `rollout undo` returns to the
// first digest with no layer sent and no registry lookup; a multi-platform
// index gives this host its own platform; hostile registries are refused
// with nothing applied.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {buildApp, webDeployment} from './_registry-app.js'
import {registryMissing, startFaultProxy, startRegistry, stopRegistriesAfter, type RunningRegistry} from '../fixtures/registry.js'
import {localSite, localSkipReason, nodeYaml, type LocalSite} from './_local.js'

const skip = localSkipReason() ?? registryMissing()
stopRegistriesAfter(test)
let site: LocalSite
let reg: RunningRegistry
let cache: string
let layouts: string
const pushed: Record<string, string> = {}

/** An image: busybox plus /etc/app-version holding VERSION; returns its layout dir. */
async function buildAppIn(version: string, platform?: {os: string; architecture: string}): Promise<string> {
  const dir = join(layouts, `app-${version}-${platform?.architecture ?? 'host'}`)
  await buildApp(dir, version, platform ? {platform} : {})
  return dir
}

const deploy = (image: string) => webDeployment(image, {replicas: 2})

const readState = () => JSON.parse(readFileSync(join(site.repo.dir, '.tsctl', 'state.json'), 'utf8'))
const pinsOfPods = (st: {objects?: Record<string, {kind: string; metadata: {name: string; deletionTimestamp?: string; annotations?: Record<string, string>}}>}) =>
  Object.values(st.objects ?? {})
    .filter((o) => o.kind === 'Pod' && !o.metadata.deletionTimestamp)
    .map((o) => JSON.parse(o.metadata.annotations?.['tsctl.io/image-digests'] ?? '{}'))
const sync = () => site.tsctl(['sync', '--timeout', '60s'], {env: {TSCTL_CACHE_DIR: cache}})
/** tsctl without blocking this process (the fault proxy runs in it). */
function tsctlAsync(args: string[], env: Record<string, string>): Promise<{code: number; stdout: string; stderr: string}> {
  const saved = {...site.env}
  Object.assign(site.env, env)
  const child = site.spawnTsctl(args)
  for (const k of Object.keys(env)) delete site.env[k]
  Object.assign(site.env, saved)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (b: Buffer) => (stdout += b))
  child.stderr!.on('data', (b: Buffer) => (stderr += b))
  return new Promise((resolve) => child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr})))
}
const versions = async () => {
  const out: string[] = []
  for (const p of (await site.pods()).filter((p) => p.phase === 'Running')) {
    const r = await site.client.exec(p.uid, 'main', ['cat', '/etc/app-version'])
    out.push(r.stdout.toString().trim())
  }
  return out.sort()
}

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('registry images')
} else {
  test.before(async () => {
    layouts = mkdtempSync(join(tmpdir(), 'tsctl-reg-layouts-'))
    cache = mkdtempSync(join(tmpdir(), 'tsctl-reg-cache-'))
    reg = await startRegistry()
    pushed.v1 = (await reg.push('team/app', '1', await buildAppIn('1'))).digest
    pushed.v2 = (await reg.push('team/app', '2', await buildAppIn('2'))).digest
    site = await localSite({'nodes.yaml': nodeYaml, 'app.yaml': deploy(`${reg.host}/team/app:1`)})
  })

  test.after(async () => {
    const left = site ? await site.cleanup() : []
    rmSync(layouts, {recursive: true, force: true})
    rmSync(cache, {recursive: true, force: true})
    assert.equal(left, [], 'nothing of the runtime ROOT is left')
  })

  test('first sync pulls :1, pins its digest on the ReplicaSet and the pods, and runs it', async () => {
    const r = sync()
    assert.is(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout + r.stderr, /layer [0-9a-f]{12} of /, 'reports the layers sent')
    const st = readState()
    const image = `${reg.host}/team/app:1`
    const rs = Object.values(st.objects).find((o) => (o as {kind: string}).kind === 'ReplicaSet') as {metadata: {annotations: Record<string, string>}}
    assert.equal(JSON.parse(rs.metadata.annotations['tsctl.io/image-digests']), {[image]: pushed.v1})
    assert.equal(pinsOfPods(st), [{[image]: pushed.v1}, {[image]: pushed.v1}])
    assert.equal(await versions(), ['1', '1'])
  })

  test('a moved tag does not touch running pods; a new tag rolls out with only the new layer sent', async () => {
    // :1 now names v2's bytes; the revision keeps its digest, so nothing restarts
    await reg.push('team/app', '1', join(layouts, 'app-2-host'))
    const before = (await site.pods()).map((p) => p.uid).sort()
    const again = sync()
    assert.is(again.code, 0, again.stderr)
    assert.equal((await site.pods()).map((p) => p.uid).sort(), before)
    assert.equal(await versions(), ['1', '1'])

    site.repo.commit('v2', {'app.yaml': deploy(`${reg.host}/team/app:2`)})
    const r = sync()
    assert.is(r.code, 0, r.stdout + r.stderr)
    // the busybox layer is shared by both images: only v2's own layer travels
    const sent = (r.stdout + r.stderr).match(/layer [0-9a-f]{12} of /g) ?? []
    assert.is(sent.length, 1, r.stdout + r.stderr)
    assert.equal(await versions(), ['2', '2'])
    assert.equal(pinsOfPods(readState()), [{[`${reg.host}/team/app:2`]: pushed.v2}, {[`${reg.host}/team/app:2`]: pushed.v2}])
  })

  test('rollout undo runs exactly the first digest again: no layer sent, no registry needed', async () => {
    await reg.stop() // undo must not need the registry: the pin and the cache are enough
    const r = site.tsctl(['rollout', 'undo', 'deploy/web', '--timeout', '60s'], {env: {TSCTL_CACHE_DIR: cache}})
    assert.is(r.code, 0, r.stdout + r.stderr)
    assert.not.match(r.stdout + r.stderr, /layer [0-9a-f]{12} of /, 'no layer was sent')
    assert.equal(await versions(), ['1', '1'])
    assert.equal(pinsOfPods(readState()), [{[`${reg.host}/team/app:1`]: pushed.v1}, {[`${reg.host}/team/app:1`]: pushed.v1}])
  })

  test('a multi-platform index: this host runs its own platform\'s manifest', async () => {
    reg = await startRegistry()
    const other = process.arch === 'arm64' ? 'amd64' : 'arm64'
    const mine = process.arch === 'arm64' ? 'arm64' : 'amd64'
    const idx = await reg.pushIndex('multi', 'v1', [
      {layoutDir: await buildAppIn('other-arch', {os: 'linux', architecture: other}), platform: {os: 'linux', architecture: other}},
      {layoutDir: await buildAppIn('my-arch', {os: 'linux', architecture: mine}), platform: {os: 'linux', architecture: mine}},
    ])
    site.repo.commit('multi', {'app.yaml': deploy(`${reg.host}/multi:v1`)})
    const r = sync()
    assert.is(r.code, 0, r.stdout + r.stderr)
    assert.equal(await versions(), ['my-arch', 'my-arch'])
    // the pin is the index (what the tag names), shared by hosts of every architecture
    assert.equal(pinsOfPods(readState())[0], {[`${reg.host}/multi:v1`]: idx.digest})
  })

  test('a registry serving a blob that does not match its digest: exit 2 naming the image, nothing applied', async () => {
    await reg.push('bad', '1', await buildAppIn('bad'))
    const proxy = await startFaultProxy(reg.host, [{path: /\/v2\/bad\/blobs\//, replaceBody: Buffer.alloc(1000, 7)}])
    const before = (await site.pods()).map((p) => p.uid).sort()
    const badCache = mkdtempSync(join(tmpdir(), 'tsctl-reg-cache-bad-'))
    try {
      site.repo.commit('bad', {'app.yaml': deploy(`${proxy.host}/bad:1`)})
      const r = await tsctlAsync(['sync', '--timeout', '30s'], {TSCTL_CACHE_DIR: badCache})
      assert.is(r.code, 2, r.stdout + r.stderr)
      assert.match(r.stderr, new RegExp(`${proxy.host.replace(/[.]/g, '\\.')}/bad`))
      assert.match(r.stderr, /digest|hashes to/)
      assert.not.match(r.stderr, /\n\s+at /, 'no stack trace')
      assert.equal((await site.pods()).map((p) => p.uid).sort(), before, 'nothing applied')
    } finally {
      await proxy.stop()
      rmSync(badCache, {recursive: true, force: true})
    }
  })

  test('diff --offline contacts no registry: with the registry down it still plans, and says the digest comes at sync', async () => {
    const host = reg.host
    await reg.stop()
    site.repo.commit('offline', {'app.yaml': deploy(`${host}/team/app:3`)})
    const r = site.tsctl(['diff', '--offline'], {env: {TSCTL_CACHE_DIR: cache}})
    assert.is(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stdout, /team\/app:3 \(digest resolved at sync\)/)
    // the online diff resolves like sync does: an unreachable registry is exit 4, naming it
    const online = site.tsctl(['diff'], {env: {TSCTL_CACHE_DIR: cache}})
    assert.is(online.code, 4, online.stdout + online.stderr)
    assert.match(online.stderr, new RegExp(host.replace(/[.]/g, '\\.')))
    assert.not.match(online.stderr, /\n\s+at /)
    reg = await startRegistry()
  })

  test('an unknown tag: exit 2 at the manifest\'s file and line, nothing applied', async () => {
    site.repo.commit('missing', {'app.yaml': deploy(`${reg.host}/team/app:nope`)})
    const r = sync()
    assert.is(r.code, 2, r.stdout + r.stderr)
    assert.match(r.stderr, /app\.yaml:\d+/)
    assert.match(r.stderr, /team\/app:nope/)
  })
}

test.run()
