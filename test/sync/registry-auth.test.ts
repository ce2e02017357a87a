// Registry credentials and hostile or failing registries, end to end on
// this machine (local transport, as root) against Debian's docker-registry
// on loopback: a pull Secret named by the Deployment's imagePullSecrets
// (htpasswd auth), Docker's config.json through DOCKER_CONFIG (token auth),
// and a fault proxy in front of a registry: a cut blob download resumes, a
// flaky registry is retried, an oversized manifest and a layer escaping
// with `../` are refused with nothing applied.
//
// tsctl always runs asynchronously here: the token endpoint and the fault
// proxy answer from this process.
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {TarWriter} from '../../src/images/tar/writer.js'
import {bin} from '../cli/helpers/run.js'
import {testUnless} from '../fixtures/skip.js'
import {registryMissing, startFaultProxy, startRegistry, stopRegistriesAfter, type RunningRegistry} from '../fixtures/registry.js'
import {localSite, localSkipReason, nodeYaml, type LocalSite} from './_local.js'
import {buildApp, literal, pullSecretYaml, runAsync, webDeployment, type AsyncRun} from './_registry-app.js'
import {ageKeygen, keyEnv} from '../secrets/_secrets.js'

const skip = localSkipReason() ?? registryMissing()
const maybe = testUnless(skip, 'registry credentials and faults')
stopRegistriesAfter(test)

let site: LocalSite
let tmp: string
/** a DOCKER_CONFIG with no config.json: no credentials from the CLI user */
let noDockerConfig: string
let caches = 0

/** tsctl in the repo with this site's ROOT, a fresh image cache (so blobs come from the registry), no Docker credentials unless ENV says. */
function ts(args: string[], env: Record<string, string> = {}): Promise<AsyncRun> {
  const cache = join(tmp, `cache-${++caches}`)
  const base = {...process.env}
  for (const k of ['FORCE_COLOR', 'NO_COLOR', 'TSCTL_DEBUG', 'TSCTL_NOW']) delete base[k]
  return runAsync(bin, args, site.repo.dir, {...base, ...site.env, TSCTL_CACHE_DIR: cache, DOCKER_CONFIG: noDockerConfig, ...env})
}
const sync = (env: Record<string, string> = {}) => ts(['sync', '--timeout', '60s'], env)

/** The app image NAME (its /etc/app-version says NAME), written to a layout of its own; resolves to its directory. */
async function app(name: string, o: Parameters<typeof buildApp>[2] = {}): Promise<string> {
  const dir = join(tmp, 'layouts', name)
  built[name] = await buildApp(dir, name, o)
  return dir
}
const built: Record<string, Awaited<ReturnType<typeof buildApp>>> = {}
const webPods = async () => (await site.pods()).filter((p) => p.name.startsWith('web-') && (p.phase === 'Running' || p.phase === 'Pending'))
const uids = async () => (await webPods()).map((p) => p.uid).sort()
const versions = async () => {
  const out: string[] = []
  for (const p of await webPods()) out.push((await site.client.exec(p.uid, 'main', ['cat', '/etc/app-version'])).stdout.toString().trim())
  return out.sort()
}
const applied = () => (JSON.parse(readFileSync(join(site.repo.dir, '.tsctl', 'state.json'), 'utf8')) as {appliedCommit: {sha: string} | null}).appliedCommit?.sha
const out = (r: AsyncRun) => r.stdout + r.stderr

/** What must hold after a refused sync: the pods, their bytes and the applied commit are as before. */
async function nothingApplied(before: {uids: string[]; versions: string[]; commit?: string}): Promise<void> {
  assert.equal(await uids(), before.uids, 'no pod was created or removed')
  assert.equal(await versions(), before.versions)
  assert.is(applied(), before.commit, 'the state still has the earlier commit applied')
}
const snapshot = async () => ({uids: await uids(), versions: await versions(), commit: applied()})

test.before(async () => {
  if (skip) return
  tmp = mkdtempSync(join(tmpdir(), 'tsctl-reg-auth-'))
  noDockerConfig = join(tmp, 'no-docker-config')
  mkdirSync(noDockerConfig)
  site = await localSite({'nodes.yaml': nodeYaml})
})

test.after(async () => {
  if (skip) return
  const left = site ? await site.cleanup() : []
  if (tmp) rmSync(tmp, {recursive: true, force: true})
  assert.equal(left, [], 'nothing of the runtime ROOT is left')
})

maybe('basic auth: the Deployment\'s imagePullSecrets Secret lets sync pull; a wrong password in it is exit 2 naming the Secret, never the password, nothing applied', async () => {
  const password = 'alice-Secret-Pw-7731'
  const reg = await startRegistry({auth: 'basic', users: {alice: password}})
  await reg.push('team/app', '1', await app('basic-1'))
  await reg.push('team/app', '2', await app('basic-2'))

  site.repo.commit('pull secret', {'secret.yaml': pullSecretYaml('regcred', reg.host, 'alice', password), 'app.yaml': webDeployment(`${reg.host}/team/app:1`, {pullSecrets: ['regcred']})})
  const ok = await sync()
  assert.is(ok.code, 0, out(ok))
  assert.equal(await versions(), ['basic-1'])

  // a new tag (so the registry is asked again) with a wrong password in the Secret
  const wrong = 'not-the-Pw-99120'
  site.repo.commit('wrong password', {'secret.yaml': pullSecretYaml('regcred', reg.host, 'alice', wrong), 'app.yaml': webDeployment(`${reg.host}/team/app:2`, {pullSecrets: ['regcred']})})
  const before = await snapshot()
  const bad = await sync()
  assert.is(bad.code, 2, out(bad))
  assert.match(bad.stderr, literal(reg.host))
  assert.match(bad.stderr, /imagePullSecrets Secret default\/regcred/)
  assert.match(bad.stderr, /authentication failed/)
  for (const s of [wrong, password, Buffer.from(`alice:${wrong}`).toString('base64'), Buffer.from(`alice:${password}`).toString('base64')]) {
    assert.not.ok(out(bad).includes(s), `a credential (${s.slice(0, 3)}…) is printed`)
  }
  assert.not.match(bad.stderr, /\n\s+at /, 'no stack trace')
  await nothingApplied(before)
  await reg.stop()
})

maybe('a SOPS-encrypted pull Secret (tsctl secret encrypt) is decrypted in memory for the registry: sync pulls, the password is in no output and not in the state', async () => {
  const password = 'carol-Sops-Pw-5521'
  const reg = await startRegistry({auth: 'basic', users: {carol: password}})
  await reg.push('team/app', '1', await app('sops-1'))
  const key = ageKeygen(tmp, 'pull')
  const plainFile = join(tmp, 'regcred.yaml')
  writeFileSync(plainFile, pullSecretYaml('regcred', reg.host, 'carol', password))
  const enc = await ts(['secret', 'encrypt', '--age', key.recipient, plainFile], keyEnv())
  assert.is(enc.code, 0, out(enc))
  assert.not.ok(enc.stdout.includes(password) || enc.stdout.includes(Buffer.from(`carol:${password}`).toString('base64')), 'encrypted')
  site.repo.commit('sops pull secret', {'secret.yaml': enc.stdout, 'app.yaml': webDeployment(`${reg.host}/team/app:1`, {pullSecrets: ['regcred']})})
  const ok = await sync(keyEnv(key))
  assert.is(ok.code, 0, out(ok))
  assert.equal(await versions(), ['sops-1'])
  const state = readFileSync(join(site.repo.dir, '.tsctl', 'state.json'), 'utf8')
  for (const secret of [password, Buffer.from(`carol:${password}`).toString('base64')]) {
    assert.not.ok(out(ok).includes(secret), 'not printed')
    assert.not.ok(state.includes(secret), 'not in the state')
  }
  await reg.stop()
})

maybe('token auth: credentials from the config.json DOCKER_CONFIG points to work; without any, exit 2 says none were found', async () => {
  const reg = await startRegistry({auth: 'token', users: {bob: 'bob-Token-Pw-4410'}})
  await reg.push('app', '1', await app('token-1'))
  await reg.push('app', '2', await app('token-2'))
  const dockerConfig = join(tmp, 'docker-config')
  mkdirSync(dockerConfig)
  writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({auths: {[reg.host]: {auth: Buffer.from('bob:bob-Token-Pw-4410').toString('base64')}}}))

  site.repo.commit('token registry', {'app.yaml': webDeployment(`${reg.host}/app:1`)}, ['secret.yaml'])
  const ok = await sync({DOCKER_CONFIG: dockerConfig})
  assert.is(ok.code, 0, out(ok))
  assert.equal(await versions(), ['token-1'])
  assert.ok(reg.tokenRequests.some((t) => t.user === 'bob' && t.status === 200 && t.scopes.includes('repository:app:pull')), JSON.stringify(reg.tokenRequests))
  assert.not.ok(out(ok).includes('bob-Token-Pw-4410'))

  site.repo.commit('token registry, :2', {'app.yaml': webDeployment(`${reg.host}/app:2`)})
  const before = await snapshot()
  const none = await sync()
  assert.is(none.code, 2, out(none))
  assert.match(none.stderr, new RegExp(`no credentials were found for ${literal(reg.host).source}`))
  assert.match(none.stderr, literal(`${reg.host}/app:2`))
  await nothingApplied(before)
  await reg.stop()
})

maybe('a blob download cut mid-way is resumed with a Range request and the sync succeeds', async () => {
  const reg = await startRegistry()
  // a layer no earlier test sent this host, big enough to cut in the middle
  await reg.push('cut/app', '1', await app('cut-1', {extra: [{name: 'data', type: 'dir'}, {name: 'data/blob', type: 'file', data: randomBytes(1 << 20)}]}))
  const big = built['cut-1'].layers[1].digest
  const proxy = await startFaultProxy(reg.host, [{path: literal(`/blobs/${big}`), method: 'GET', cutAfterBytes: 300_000, times: 1}])
  site.repo.commit('cut', {'app.yaml': webDeployment(`${proxy.host}/cut/app:1`)})
  const r = await sync()
  assert.is(r.code, 0, out(r))
  assert.equal(await versions(), ['cut-1'])
  const gets = proxy.requests.filter((q) => q.method === 'GET' && q.url.includes(big))
  assert.ok(gets.length >= 2, `the blob was asked for again after the cut: ${JSON.stringify(gets.map((g) => g.headers.range ?? null))}`)
  assert.ok(gets.slice(1).some((g) => /^bytes=[1-9]\d*-$/.test(String(g.headers.range ?? ''))), `a later request resumed with Range: ${JSON.stringify(gets.map((g) => g.headers.range ?? null))}`)
  await proxy.stop()
  await reg.stop()
})

maybe('a registry answering 500 twice, then recovering: the sync succeeds', async () => {
  const reg = await startRegistry()
  await reg.push('flaky/app', '1', await app('flaky-1'))
  const proxy = await startFaultProxy(reg.host, [{path: /\/v2\/flaky\/app\/manifests\//, status: 500, times: 2}])
  site.repo.commit('flaky', {'app.yaml': webDeployment(`${proxy.host}/flaky/app:1`)})
  const r = await sync()
  assert.is(r.code, 0, out(r))
  assert.equal(await versions(), ['flaky-1'])
  assert.ok(proxy.requests.filter((q) => /\/manifests\//.test(q.url)).length >= 3, 'asked again after the two 500s')
  await proxy.stop()
  await reg.stop()
})

maybe('an oversized manifest (5 MiB) is refused: exit 2 naming the image, nothing applied', async () => {
  const reg = await startRegistry()
  await reg.push('huge/app', '1', await app('huge-1'))
  const proxy = await startFaultProxy(reg.host, [{path: /\/v2\/huge\/app\/manifests\//, replaceBody: Buffer.alloc(5 << 20, 0x20)}])
  site.repo.commit('huge manifest', {'app.yaml': webDeployment(`${proxy.host}/huge/app:1`)})
  const before = await snapshot()
  const r = await sync()
  assert.is(r.code, 2, out(r))
  assert.match(r.stderr, literal(`${proxy.host}/huge/app:1`))
  assert.match(r.stderr, /the manifest is \d+ bytes, over the \d+ bytes \(4 MiB\) allowed/)
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace')
  await nothingApplied(before)
  await proxy.stop()
  await reg.stop()
})

maybe('a layer with a "../" entry is refused, naming the layer and the entry: nothing applied, nothing written outside', async () => {
  const reg = await startRegistry()
  const w = new TarWriter()
  const hostile = Buffer.concat([
    w.entry({name: 'etc', type: 'dir'}),
    w.entry({name: 'etc/app-version', type: 'file', data: 'evil\n'}),
    w.entry({name: 'etc/../../escaped-by-layer', type: 'file', data: 'written outside the layer\n'}),
    w.end(),
  ])
  await reg.push('evil/app', '1', await app('evil-1', {top: hostile}))
  const img = built['evil-1']
  site.repo.commit('hostile layer', {'app.yaml': webDeployment(`${reg.host}/evil/app:1`)})
  const before = await snapshot()
  const r = await sync()
  // Exit 2: the layer is refused the first time a host lacks it (while the plan runs), and
  // a refused image is the commit's fault, not the host's. Nothing of the layer is used.
  assert.is(r.code, 2, out(r))
  assert.match(r.stderr, literal(`${reg.host}/evil/app`))
  assert.match(r.stderr, literal(`layer 2 (${img.layers[1].digest})`))
  assert.match(r.stderr, literal('"etc/../../escaped-by-layer"'))
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace')
  await nothingApplied(before)
  const hex = img.layers[1].diffId.slice('sha256:'.length)
  assert.not.ok(existsSync(join(site.root, 'layers', hex)), 'the layer is not in the host\'s store')
  const escaped = (d: string) => existsSync(d) && readdirSync(d).includes('escaped-by-layer')
  for (const d of [site.root, join(site.root, 'layers'), '/']) assert.not.ok(escaped(d), `nothing escaped into ${d}`)
  await reg.stop()
})

test.run()
