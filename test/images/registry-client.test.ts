// The registry client against Debian's real docker-registry (distribution
// 2.8.2): resolve, manifests and blobs verified, multi-platform indexes,
// Basic and token auth (right, wrong, none), TLS with a configured CA,
// mirrors, and faults injected by a proxy in front of the registry (5xx,
// cut downloads resumed with Range, swapped bodies, missing blobs,
// oversized manifests). Loopback only.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import * as http from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {tempDirs} from '../fixtures/tmp-dirs.js'
import {testUnless} from '../fixtures/skip.js'
import {buildBusyboxLayout, BUSYBOX} from '../fixtures/busybox-image.js'
import {registryMissing, startFaultProxy, startRegistry, stopRegistriesAfter, type RunningRegistry, type PushedManifest} from '../fixtures/registry.js'
import {RegistryClient, RegistryError, type Credential, type CredentialSource, type RegistryErrorKind} from '../../src/images/registry/client.js'
import {TokenCache, fetchToken, basicAuthorization, TokenEndpointError} from '../../src/images/registry/auth.js'
import {request} from '../../src/images/registry/http.js'
import {MediaType} from '../../src/images/oci-layout.js'
import {writeOciLayout, type WrittenImage} from '../../src/images/layout-writer.js'

const tmp = tempDirs('tsctl-registry-client-', test)
stopRegistriesAfter(test)
const servers: http.Server[] = []
test.after(() => { for (const s of servers) { s.closeAllConnections(); s.close() } })
const maybe = testUnless(registryMissing() ?? (existsSync(BUSYBOX) ? undefined : `${BUSYBOX} is missing (apt-get install busybox-static)`), 'registry client tests')

const PASSWORD = 'correct-horse-battery'
const WRONG = 'wrong-password-xyzzy'

let layout = ''
let image: WrittenImage
let open: RunningRegistry
let pushed: PushedManifest

test.before(async () => {
  if (registryMissing() || !existsSync(BUSYBOX)) return
  layout = join(tmp(), 'busybox')
  image = await buildBusyboxLayout(layout)
  open = await startRegistry()
  pushed = await open.push('tsctl/busybox', 'v1', layout)
})

function fixed(c: Credential | undefined): CredentialSource & {asked: string[]} {
  const asked: string[] = []
  return {asked, async lookup(r) { asked.push(r); return c }}
}

function sha(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`
}

async function rejects(p: Promise<unknown>, kind: RegistryErrorKind, re: RegExp): Promise<RegistryError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, RegistryError, String(e))
    const err = e as RegistryError
    assert.is(err.kind, kind, err.message)
    assert.match(err.message, re, err.message)
    return err
  }
  assert.unreachable(`expected a ${kind} RegistryError matching ${re}`)
  throw new Error('unreachable')
}

function client(registry: string, extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  return new RegistryClient({registry, backoffMs: 5, tokens: new TokenCache(), ...extra})
}

function listen(handler: http.RequestListener): Promise<{server: http.Server; host: string}> {
  const server = http.createServer(handler)
  servers.push(server)
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({server, host: `127.0.0.1:${(server.address() as AddressInfo).port}`})))
}

async function closedPort(): Promise<string> {
  const {server, host} = await listen(() => {})
  await new Promise((r) => server.close(r))
  return host
}

maybe('resolve: a tag becomes the pushed manifest digest with one HEAD', async () => {
  const proxy = await startFaultProxy(open.host, [])
  const d = await client(proxy.host).resolve('tsctl/busybox', 'v1')
  assert.equal(d, {digest: pushed.digest, mediaType: MediaType.ociManifest, size: pushed.size})
  assert.is(d.digest, image.manifest.digest)
  assert.equal(proxy.requests.map((r) => `${r.method} ${r.url}`), ['HEAD /v2/tsctl/busybox/manifests/v1'])
  assert.match(String(proxy.requests[0].headers.accept), /application\/vnd\.oci\.image\.manifest\.v1\+json/)
  const byDigest = await client(open.host).resolve('tsctl/busybox', pushed.digest)
  assert.is(byDigest.digest, pushed.digest)
})

maybe('resolve falls back to GET and hashing when the HEAD has no digest', async () => {
  const {host} = await listen((req, res) => {
    const m = req.url === '/v2/tsctl/busybox/manifests/v1'
    if (!m) { res.writeHead(404).end(); return }
    res.writeHead(200, {'content-type': MediaType.ociManifest, 'content-length': pushed.size}) // no Docker-Content-Digest
    res.end(req.method === 'HEAD' ? undefined : pushed.bytes)
  })
  const d = await client(host).resolve('tsctl/busybox', 'v1')
  assert.equal(d, {digest: pushed.digest, mediaType: MediaType.ociManifest, size: pushed.size})
})

maybe('a Docker schema 2 manifest resolves as itself, not converted to schema 1', async () => {
  const m = JSON.parse(pushed.bytes.toString()) as {mediaType: string; config: {mediaType: string}; layers: {mediaType: string}[]}
  m.mediaType = MediaType.dockerManifest
  m.config.mediaType = MediaType.dockerConfig
  for (const l of m.layers) l.mediaType = MediaType.dockerLayerGzip
  const bytes = Buffer.from(JSON.stringify(m))
  const p = await open.pushManifest('tsctl/busybox', 'docker', bytes, MediaType.dockerManifest)
  const c = client(open.host)
  const d = await c.resolve('tsctl/busybox', 'docker')
  assert.equal(d, {digest: p.digest, mediaType: MediaType.dockerManifest, size: bytes.length})
  const got = await c.manifest('tsctl/busybox', d.digest)
  assert.ok(got.bytes.equals(bytes))
})

maybe('manifest: the bytes by digest, verified', async () => {
  const got = await client(open.host).manifest('tsctl/busybox', pushed.digest)
  assert.ok(got.bytes.equals(readFileSync(join(layout, 'blobs/sha256', pushed.digest.slice(7)))))
  assert.is(got.mediaType, MediaType.ociManifest)
  assert.is(sha(got.bytes), pushed.digest)
})

maybe('blob: streamed to the file, verified, with progress', async () => {
  const dest = join(tmp(), 'layer')
  const seen: [number, number][] = []
  const l = image.layers[0]
  await client(open.host).blob('tsctl/busybox', l, dest, (a, b) => seen.push([a, b]))
  assert.is(sha(readFileSync(dest)), l.digest)
  assert.ok(seen.length > 0)
  assert.equal(seen[seen.length - 1], [l.size, l.size])
})

maybe('a multi-platform index resolves, and each platform manifest verifies', async () => {
  const dir = tmp()
  const amd = join(dir, 'amd'), arm = join(dir, 'arm')
  await writeOciLayout(amd, {tag: 'x', platform: {os: 'linux', architecture: 'amd64'}, layers: [{entries: [{name: 'amd', type: 'file', data: 'amd'}]}]})
  await writeOciLayout(arm, {tag: 'x', platform: {os: 'linux', architecture: 'arm64'}, layers: [{entries: [{name: 'arm', type: 'file', data: 'arm'}]}]})
  const idx = await open.pushIndex('tsctl/multi', 'both', [
    {layoutDir: amd, platform: {os: 'linux', architecture: 'amd64'}},
    {layoutDir: arm, platform: {os: 'linux', architecture: 'arm64'}},
  ])
  const c = client(open.host)
  const d = await c.resolve('tsctl/multi', 'both')
  assert.equal(d, {digest: idx.digest, mediaType: MediaType.ociIndex, size: idx.size})
  const index = JSON.parse((await c.manifest('tsctl/multi', d.digest)).bytes.toString()) as {manifests: {digest: string; platform: {architecture: string}}[]}
  assert.equal(index.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64'])
  for (const [i, m] of index.manifests.entries()) {
    const got = await c.manifest('tsctl/multi', m.digest)
    assert.is(got.mediaType, MediaType.ociManifest)
    assert.ok(got.bytes.equals(idx.manifests[i].bytes))
  }
})

maybe('an unknown tag is a not-found error naming registry, repository and tag', async () => {
  const e = await rejects(client(open.host).resolve('tsctl/busybox', 'nope'), 'not-found', /^127\.0\.0\.1:\d+\/tsctl\/busybox:nope: manifest nope not found \(HTTP 404/)
  assert.is(e.exitCode, 2)
  assert.match(e.hint ?? '', /check the repository and tag/)
  await rejects(client(open.host).resolve('tsctl/nothing-here', 'v1'), 'not-found', /tsctl\/nothing-here:v1/)
})

maybe('invalid repository names and references are refused before any request', async () => {
  await rejects(client(open.host).resolve('../etc', 'v1'), 'invalid', /invalid repository name/)
  await rejects(client(open.host).resolve('a', 'bad tag'), 'invalid', /invalid tag or digest/)
  await rejects(client(open.host).blob('a', {digest: 'md5:abc', size: 1}, join(tmp(), 'x')), 'invalid', /blob digest/)
})

maybe('basic auth: the right password pulls; a wrong one names the registry and the source, never the password', async () => {
  const reg = await startRegistry({auth: 'basic', users: {alice: PASSWORD}})
  await reg.push('app', 'v1', layout)
  const src = 'test config.json auths["basic"]'
  const ok = client(reg.host, {credentials: fixed({username: 'alice', password: PASSWORD, source: src})})
  assert.is((await ok.resolve('app', 'v1')).digest, pushed.digest)
  const dest = join(tmp(), 'b')
  await ok.blob('app', image.layers[1], dest)
  assert.is(sha(readFileSync(dest)), image.layers[1].digest)

  const creds = fixed({username: 'alice', password: WRONG, source: src})
  const e = await rejects(client(reg.host, {credentials: creds}).resolve('app', 'v1'), 'unauthorized', new RegExp(`${reg.host.replace(/\./g, '\\.')}/app:v1: authentication failed with the credentials from test config\\.json auths\\["basic"\\]`))
  assert.equal(creds.asked, [reg.host], 'credentials are looked up for the registry host')
  assert.is(e.exitCode, 2)
  const all = `${e.message} ${e.hint} ${e.stack}`
  assert.not.match(all, WRONG)
  assert.not.match(all, Buffer.from(`alice:${WRONG}`).toString('base64'))

  const none = await rejects(client(reg.host).resolve('app', 'v1'), 'unauthorized', /authentication required and no credentials were found for 127\.0\.0\.1:\d+/)
  assert.match(none.hint ?? '', /docker login 127\.0\.0\.1:\d+/)
})

maybe('token auth: right credentials pull with one cached token; wrong or none are named', async () => {
  const reg = await startRegistry({auth: 'token', users: {bob: PASSWORD}, refreshTokens: {'refresh-me-123': 'bob'}})
  await reg.push('app', 'v1', layout)
  const before = reg.tokenRequests.length
  const c = client(reg.host, {credentials: fixed({username: 'bob', password: PASSWORD, source: 'Secret default/regcred'})})
  const d = await c.resolve('app', 'v1')
  assert.is(d.digest, pushed.digest)
  await c.manifest('app', d.digest)
  const dest = join(tmp(), 'l')
  await c.blob('app', image.layers[0], dest)
  assert.is(sha(readFileSync(dest)), image.layers[0].digest)
  const asked = reg.tokenRequests.slice(before)
  assert.equal(asked.map((t) => [t.method, t.user, t.scopes, t.status]), [['GET', 'bob', ['repository:app:pull'], 200]], 'one token for the three calls')

  const e = await rejects(client(reg.host, {credentials: fixed({username: 'bob', password: WRONG, source: 'imagePullSecrets Secret default/regcred'})}).resolve('app', 'v1'),
    'unauthorized', /app:v1: authentication failed with the credentials from imagePullSecrets Secret default\/regcred \(the token endpoint http:\/\/127\.0\.0\.1:\d+\/token refused \(HTTP 401\)\)/)
  assert.not.match(`${e.message} ${e.hint}`, WRONG)
  await rejects(client(reg.host).resolve('app', 'v1'), 'unauthorized', /no credentials were found for 127\.0\.0\.1:\d+/)

  // an identity token (docker login with a token) goes through the OAuth2 refresh-token POST
  const viaRefresh = client(reg.host, {credentials: fixed({identityToken: 'refresh-me-123', source: 'config.json auths["x"].identitytoken'})})
  assert.is((await viaRefresh.resolve('app', 'v1')).digest, pushed.digest)
  assert.equal(reg.tokenRequests[reg.tokenRequests.length - 1], {method: 'POST', user: 'bob', scopes: ['repository:app:pull'], status: 200})
})

maybe('TLS: the configured CA is trusted; a registry signed by another CA is a tls error', async () => {
  const reg = await startRegistry({tls: true})
  await reg.push('app', 'v1', layout)
  const other = await startRegistry({tls: true})
  assert.is((await client(reg.host, {settings: {ca: reg.ca}}).resolve('app', 'v1')).digest, pushed.digest)
  const e = await rejects(client(reg.host, {settings: {ca: other.ca}}).resolve('app', 'v1'), 'tls', /TLS failed/)
  assert.match(e.hint ?? '', /CA/)
})

maybe('a 500 twice then success: retried with backoff, the pull succeeds', async () => {
  const proxy = await startFaultProxy(open.host, [
    {path: /\/manifests\/v1$/, method: 'HEAD', status: 500, times: 2},
    {path: /\/blobs\//, method: 'GET', status: 503, times: 2, headers: {'retry-after': '0'}},
  ])
  const c = client(proxy.host)
  assert.is((await c.resolve('tsctl/busybox', 'v1')).digest, pushed.digest)
  assert.is(proxy.requests.filter((r) => r.method === 'HEAD').length, 3)
  const dest = join(tmp(), 'b')
  await c.blob('tsctl/busybox', image.layers[1], dest)
  assert.is(sha(readFileSync(dest)), image.layers[1].digest)
  assert.is(proxy.requests.filter((r) => r.method === 'GET').length, 3)
})

maybe('a 429 with Retry-After waits that long before the retry', async () => {
  const proxy = await startFaultProxy(open.host, [{path: /\/manifests\//, status: 429, times: 1, headers: {'retry-after': '1'}}])
  const t0 = Date.now()
  assert.is((await client(proxy.host, {backoffMs: 5}).resolve('tsctl/busybox', 'v1')).digest, pushed.digest)
  const waited = Date.now() - t0
  assert.ok(waited >= 950, `retried after ${waited} ms, not the 1 s Retry-After asked`)
  assert.is(proxy.requests.length, 2)
})

maybe('a registry that keeps failing, or is down, is unreachable: exit 4 after the retries', async () => {
  const proxy = await startFaultProxy(open.host, [{path: /./, status: 503}])
  const e = await rejects(client(proxy.host, {retries: 2}).resolve('tsctl/busybox', 'v1'), 'unreachable', /tsctl\/busybox:v1: cannot reach the registry: HTTP 503.*\(3 attempts\)/)
  assert.is(e.exitCode, 4)
  assert.is(proxy.requests.length, 3)
  const down = await closedPort()
  const e2 = await rejects(client(down, {retries: 1}).blob('tsctl/busybox', image.layers[0], join(tmp(), 'x')), 'unreachable', /blob sha256:[a-f0-9]{64}: cannot reach the registry: .*ECONNREFUSED/)
  assert.is(e2.exitCode, 4)
})

maybe('a download cut mid-blob is resumed with Range and verifies', async () => {
  const l = image.layers[0]
  const cut = 100_000
  assert.ok(l.size > cut * 2, `layer of ${l.size} bytes`)
  const proxy = await startFaultProxy(open.host, [{path: /\/blobs\//, method: 'GET', cutAfterBytes: cut, times: 1}])
  const dest = join(tmp(), 'cut')
  await client(proxy.host).blob('tsctl/busybox', l, dest)
  const gets = proxy.requests.filter((r) => r.method === 'GET')
  assert.is(gets.length, 2)
  assert.is(gets[0].headers.range, undefined)
  // a destroyed socket may lose what was still in flight: resumed from what arrived, never from 0
  const from = Number(/^bytes=(\d+)-$/.exec(String(gets[1].headers.range))?.[1])
  assert.ok(from > 0 && from <= cut, `resumed with Range ${gets[1].headers.range}`)
  assert.is(sha(readFileSync(dest)), l.digest)
})

maybe('a file left by an earlier run is resumed from its length', async () => {
  const l = image.layers[0]
  const whole = readFileSync(join(layout, 'blobs/sha256', l.digest.slice(7)))
  const dest = join(tmp(), 'partial')
  writeFileSync(dest, whole.subarray(0, 4096))
  const proxy = await startFaultProxy(open.host, [])
  await client(proxy.host).blob('tsctl/busybox', l, dest)
  assert.equal(proxy.requests.map((r) => r.headers.range), ['bytes=4096-'])
  assert.ok(readFileSync(dest).equals(whole))
  // a complete, correct file is not downloaded again
  await client(proxy.host).blob('tsctl/busybox', l, dest)
  assert.is(proxy.requests.length, 1)
})

maybe('a blob served with other bytes is a digest mismatch, and the file is removed', async () => {
  const l = image.layers[1]
  const other = Buffer.from(readFileSync(join(layout, 'blobs/sha256', l.digest.slice(7))))
  other[other.length >> 1] ^= 0xff
  const proxy = await startFaultProxy(open.host, [{path: /\/blobs\//, replaceBody: other}])
  const dest = join(tmp(), 'bad')
  const e = await rejects(client(proxy.host).blob('tsctl/busybox', l, dest), 'digest-mismatch', new RegExp(`tsctl/busybox: blob ${l.digest}: the content downloaded hashes to ${sha(other)}`))
  assert.is(e.exitCode, 2)
  assert.not.ok(existsSync(dest), 'the partial file is gone')
  const longer = await startFaultProxy(open.host, [{path: /\/blobs\//, replaceBody: Buffer.concat([other, Buffer.from('x')])}])
  await rejects(client(longer.host).blob('tsctl/busybox', l, dest), 'digest-mismatch', /sends \d+ bytes, the manifest says/)
  assert.not.ok(existsSync(dest))
})

maybe('a missing blob is a not-found error naming the blob', async () => {
  const proxy = await startFaultProxy(open.host, [{path: /\/blobs\//, notFound: true}])
  const l = image.layers[0]
  const e = await rejects(client(proxy.host).blob('tsctl/busybox', l, join(tmp(), 'x')), 'not-found', new RegExp(`blob ${l.digest} not found \\(HTTP 404: BLOB_UNKNOWN`))
  assert.is(e.exitCode, 2)
  assert.is(e.blob, l.digest)
})

maybe('a manifest over 4 MiB is refused, with or without Content-Length; a swapped manifest is a mismatch', async () => {
  const big = Buffer.alloc(5 << 20, 0x20)
  const withLength = await startFaultProxy(open.host, [{path: /\/manifests\//, replaceBody: big}])
  await rejects(client(withLength.host).manifest('tsctl/busybox', pushed.digest), 'oversized', /the manifest is 5242880 bytes, over the 4194304 bytes \(4 MiB\) allowed/)
  await rejects(client(withLength.host).resolve('tsctl/busybox', 'v1'), 'oversized', /5242880 bytes/)
  const chunked = await startFaultProxy(open.host, [{path: /\/manifests\//, method: 'GET', replaceBody: big, dropContentLength: true}])
  await rejects(client(chunked.host).manifest('tsctl/busybox', pushed.digest), 'oversized', /larger than that, over the 4194304 bytes/)
  const swapped = Buffer.from(pushed.bytes.toString().replace('"schemaVersion":2', '"schemaVersion": 2'))
  const other = await startFaultProxy(open.host, [{path: /\/manifests\//, method: 'GET', replaceBody: swapped}])
  await rejects(client(other.host).manifest('tsctl/busybox', pushed.digest), 'digest-mismatch', new RegExp(`@${pushed.digest}: the manifest served hashes to ${sha(swapped)}`))
})

maybe('a schema 1 or unknown manifest media type is refused', async () => {
  const {host} = await listen((req, res) => {
    const body = Buffer.from(JSON.stringify({schemaVersion: 1, name: 'a', tag: 'v1'}))
    res.writeHead(200, {'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'content-length': body.length, 'docker-content-digest': sha(body)})
    res.end(req.method === 'HEAD' ? undefined : body)
  })
  const e = await rejects(client(host).resolve('a', 'v1'), 'media-type', /unsupported manifest media type "application\/vnd\.docker\.distribution\.manifest\.v1\+prettyjws"/)
  assert.match(e.hint ?? '', /schema 1/)
})

maybe('mirrors are tried first; a dead or failing mirror moves on; if all fail the error lists them', async () => {
  const dead = await closedPort()
  const notFound = await startFaultProxy(open.host, [{path: /./, notFound: true}])
  const c = client(open.host, {retries: 1, settings: {mirrors: [dead, `http://${notFound.host}`]}})
  assert.is((await c.resolve('tsctl/busybox', 'v1')).digest, pushed.digest)
  assert.match(notFound.requests[0].url, new RegExp(`^/v2/tsctl/busybox/manifests/v1\\?ns=${encodeURIComponent(open.host)}$`))
  const e = await rejects(c.resolve('tsctl/busybox', 'gone'), 'not-found', /manifest gone not found.*; mirrors tried first: mirror http:\/\/127\.0\.0\.1:\d+: cannot reach the mirror: connect ECONNREFUSED [\d.:]+ \(2 attempts\); mirror http:\/\/127\.0\.0\.1:\d+: manifest gone not found \(HTTP 404\)$/)
  assert.is(e.exitCode, 2)
  // a working mirror is used even when the registry itself is down
  const mirror = await startFaultProxy(open.host, [])
  const viaMirror = client(dead, {retries: 0, settings: {mirrors: [`${mirror.host}/`]}})
  const dest = join(tmp(), 'm')
  await viaMirror.blob('tsctl/busybox', image.layers[1], dest)
  assert.is(sha(readFileSync(dest)), image.layers[1].digest)
  assert.ok(mirror.requests.length > 0)
})

maybe('a blob redirected to another origin is fetched without the Authorization header', async () => {
  const l = image.layers[1]
  const bytes = readFileSync(join(layout, 'blobs/sha256', l.digest.slice(7)))
  const storageSaw: http.IncomingHttpHeaders[] = []
  const storage = await listen((req, res) => {
    storageSaw.push(req.headers)
    res.writeHead(200, {'content-length': bytes.length}).end(bytes)
  })
  const registry = await listen((req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from(`u:${PASSWORD}`).toString('base64')}`) {
      res.writeHead(401, {'www-authenticate': 'Basic realm="r"'}).end()
      return
    }
    res.writeHead(307, {location: `http://${storage.host}/bucket/blob?sig=1`}).end()
  })
  const dest = join(tmp(), 'r')
  await client(registry.host, {credentials: fixed({username: 'u', password: PASSWORD, source: 's'})}).blob('a', l, dest)
  assert.is(sha(readFileSync(dest)), l.digest)
  assert.is(storageSaw.length, 1)
  assert.is(storageSaw[0].authorization, undefined)
})

maybe('a registry that echoes the credentials in its error body: the message is scrubbed', async () => {
  const {host} = await listen((req, res) => {
    const echoed = `got ${req.headers.authorization ?? 'nothing'} = ${Buffer.from((req.headers.authorization ?? '').slice(6), 'base64').toString()}`
    res.writeHead(401, {'www-authenticate': 'Basic realm="r"', 'content-type': 'application/json'})
    res.end(JSON.stringify({errors: [{code: 'UNAUTHORIZED', message: echoed}]}))
  })
  const e = await rejects(client(host, {credentials: fixed({username: 'u', password: WRONG, source: 'src'})}).manifest('a', pushed.digest), 'unauthorized', /UNAUTHORIZED got Basic \*\*\* = u:\*\*\*/)
  assert.not.match(e.message, WRONG)
  assert.not.match(e.message, Buffer.from(`u:${WRONG}`).toString('base64'))
})

test('fetchToken: access_token alone, a 60 s floor, and an identity token POST that falls back to GET', async () => {
  const seen: string[] = []
  const {host} = await listen((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`)
    if (req.method === 'POST') { res.writeHead(404).end(); return }
    res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({access_token: 'at-1', expires_in: 5}))
  })
  const t = await fetchToken({realm: `http://${host}/token`, service: 'svc', scopes: ['repository:a/b:pull'], credential: {username: 'u', password: 'p', identityToken: 'rt'}})
  assert.equal(t, {token: 'at-1', expiresIn: 60})
  assert.equal(seen, ['POST /token -', `GET /token?service=svc&scope=repository%3Aa%2Fb%3Apull ${basicAuthorization('u', 'p')}`])
  const refusing = await listen((req, res) => { res.writeHead(401).end() })
  try {
    await fetchToken({realm: `http://${refusing.host}/token?key=realm-secret`, scopes: ['repository:a:pull'], credential: {username: 'u', password: 'p'}})
    assert.unreachable('a 401 from the token endpoint is an error')
  } catch (e) {
    assert.instance(e, TokenEndpointError)
    assert.is((e as TokenEndpointError).status, 401)
    assert.is((e as Error).message, `token endpoint http://${refusing.host}/token answered HTTP 401`)
  }
})

test('http: a redirect keeps Authorization on the same origin and drops it on another', async () => {
  const saw: (string | undefined)[] = []
  const other = await listen((req, res) => { saw.push(`other ${req.headers.authorization}`); res.end('x') })
  const same = await listen((req, res) => {
    if (req.url === '/start') { res.writeHead(302, {location: '/next'}).end(); return }
    if (req.url === '/next') { saw.push(`same ${req.headers.authorization}`); res.writeHead(301, {location: `http://${other.host}/end`}).end(); return }
    res.writeHead(404).end()
  })
  const res = await request({method: 'GET', url: `http://${same.host}/start`, headers: {Authorization: 'Bearer secret-token'}})
  res.body.resume()
  assert.is(res.status, 200)
  assert.is(res.url, `http://${other.host}/end`)
  assert.equal(saw, ['same Bearer secret-token', 'other undefined'])
})

test('http: more than 5 redirects is an error', async () => {
  const loop = await listen((req, res) => { res.writeHead(302, {location: '/again'}).end() })
  try {
    const r = await request({method: 'GET', url: `http://${loop.host}/`})
    r.body.resume()
    assert.unreachable('followed forever')
  } catch (e) {
    assert.match((e as Error).message, /more than 5 redirects/)
  }
})

test('http: a server that stops sending is a read timeout', async () => {
  const slow = await listen((req, res) => { res.writeHead(200, {'content-length': '10'}); res.write('abc') })
  const res = await request({method: 'GET', url: `http://${slow.host}/`, timeoutMs: 200})
  try {
    for await (const _ of res.body) { /* reading */ }
    assert.unreachable('read past a stalled body')
  } catch (e) {
    assert.is((e as NodeJS.ErrnoException).code, 'ETIMEDOUT')
    assert.match((e as Error).message, /no data within 200 ms/)
  }
})

test.run()
