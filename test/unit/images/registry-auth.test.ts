// The pure parts of registry auth: WWW-Authenticate parsing, the token
// cache's lifetime, and which endpoint URLs a registry and its mirrors get.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {parseWwwAuthenticate, TokenCache, basicAuthorization, safeRealm} from '../../../src/images/registry/auth.js'
import {registryEndpoints, RegistryClient, RegistryError} from '../../../src/images/registry/client.js'

test('a Bearer challenge with quoted values and commas inside quotes', () => {
  assert.equal(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"'), [
    {scheme: 'bearer', params: {realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push'}},
  ])
})

test('Basic, case, spaces, unquoted values and escapes', () => {
  assert.equal(parseWwwAuthenticate('basic Realm="Registry Realm"'), [{scheme: 'basic', params: {realm: 'Registry Realm'}}])
  assert.equal(parseWwwAuthenticate('BEARER  realm = https://r/token , service=reg'), [{scheme: 'bearer', params: {realm: 'https://r/token', service: 'reg'}}])
  assert.equal(parseWwwAuthenticate('Bearer realm="a\\"b\\\\c"'), [{scheme: 'bearer', params: {realm: 'a"b\\c'}}])
})

test('several challenges in one header (Node joins repeated headers with ", ")', () => {
  assert.equal(parseWwwAuthenticate('Basic realm="x", Bearer realm="https://t/token",service="s",scope="repository:a:pull,push"'), [
    {scheme: 'basic', params: {realm: 'x'}},
    {scheme: 'bearer', params: {realm: 'https://t/token', service: 's', scope: 'repository:a:pull,push'}},
  ])
  assert.equal(parseWwwAuthenticate('Negotiate abc==, Basic realm="y"').map((c) => [c.scheme, c.params]), [['negotiate', {}], ['basic', {realm: 'y'}]])
})

test('garbage and empty headers give no challenge and do not throw', () => {
  assert.equal(parseWwwAuthenticate(''), [])
  assert.equal(parseWwwAuthenticate('=,,"'), [])
  assert.equal(parseWwwAuthenticate('Bearer realm="unterminated').map((c) => c.params.realm), ['unterminated'])
})

test('token cache: a token lives for expires_in less a margin, per registry, scope and credential', () => {
  let now = 1_000_000
  const cache = new TokenCache(() => now)
  const k = TokenCache.key('r', ['repository:a:pull'], 'src')
  cache.set(k, {token: 't1', expiresIn: 60})
  assert.is(cache.get(k), 't1')
  assert.is(cache.get(TokenCache.key('r', ['repository:b:pull'], 'src')), undefined, 'another scope')
  assert.is(cache.get(TokenCache.key('r', ['repository:a:pull'], undefined)), undefined, 'anonymous is another token')
  assert.is(cache.get(TokenCache.key('r2', ['repository:a:pull'], 'src')), undefined, 'another registry')
  now += 53_000
  assert.is(cache.get(k), 't1')
  now += 2_000
  assert.is(cache.get(k), undefined, 'expired (60 s less the 6 s margin)')
  assert.is(TokenCache.key('r', ['b', 'a'], 'x'), TokenCache.key('r', ['a', 'b'], 'x'), 'scope order does not matter')
})

test('basicAuthorization and safeRealm', () => {
  assert.is(basicAuthorization('u', 'p:w'), `Basic ${Buffer.from('u:p:w').toString('base64')}`)
  assert.is(safeRealm('https://auth.example.com/token?secret=x#y'), 'https://auth.example.com/token')
})

test('endpoints: https by default, plain HTTP for loopback without a CA or when insecure, docker.io API host', () => {
  const base = (r: string, s = {}) => registryEndpoints(r, s).map((e) => e.base)
  assert.equal(base('ghcr.io'), ['https://ghcr.io/v2'])
  assert.equal(base('docker.io'), ['https://registry-1.docker.io/v2'])
  assert.equal(registryEndpoints('docker.io')[0].host, 'docker.io', 'credentials are looked up for docker.io')
  assert.equal(base('localhost'), ['http://localhost/v2'])
  assert.equal(base('localhost:5000'), ['http://localhost:5000/v2'])
  assert.equal(base('127.0.0.1:41234'), ['http://127.0.0.1:41234/v2'])
  assert.equal(base('127.1.2.3:5000'), ['http://127.1.2.3:5000/v2'])
  assert.equal(base('[::1]:5000'), ['http://[::1]:5000/v2'])
  assert.equal(base('127.0.0.1:5000', {ca: 'PEM'}), ['https://127.0.0.1:5000/v2'], 'a CA means TLS')
  assert.equal(base('128.0.0.1:5000'), ['https://128.0.0.1:5000/v2'])
  assert.equal(base('localhost.example.com'), ['https://localhost.example.com/v2'])
  assert.equal(base('r.internal:5000', {insecure: true}), ['http://r.internal:5000/v2'])
})

test('endpoints: mirrors first, in order, with /v2 and ?ns=', () => {
  const eps = registryEndpoints('docker.io', {mirrors: ['mirror.example.com', 'http://10.0.0.1:5000', 'https://m.example.com/prefix/', 'https://m2.example.com/v2', 'localhost:5001']})
  assert.equal(eps.map((e) => `${e.base}${e.query}`), [
    'https://mirror.example.com/v2?ns=docker.io',
    'http://10.0.0.1:5000/v2?ns=docker.io',
    'https://m.example.com/prefix/v2?ns=docker.io',
    'https://m2.example.com/v2?ns=docker.io',
    'http://localhost:5001/v2?ns=docker.io',
    'https://registry-1.docker.io/v2',
  ])
  assert.equal(eps.map((e) => e.mirror), [true, true, true, true, true, false])
  assert.is(eps[2].host, 'm.example.com')
  try {
    registryEndpoints('r.io', {mirrors: ['ftp://m']})
    assert.unreachable()
  } catch (e) {
    assert.instance(e, RegistryError)
    assert.match((e as Error).message, /mirror "ftp:\/\/m" of r\.io: only http:\/\/ and https:\/\//)
  }
})

test('a malformed registry host is refused at construction', () => {
  try {
    new RegistryClient({registry: 'http://r.io/x'})
    assert.unreachable()
  } catch (e) {
    assert.instance(e, RegistryError)
    assert.is((e as RegistryError).exitCode, 2)
    assert.match((e as Error).message, /invalid registry host "http:\/\/r\.io\/x"/)
  }
})

test.run()
