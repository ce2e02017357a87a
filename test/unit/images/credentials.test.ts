// Where pull credentials come from: Docker's config.json (auths by host or
// URL, docker.io's https://index.docker.io/v1/ key, credHelpers and
// credsStore run as real helper binaries on PATH) and Kubernetes pull
// Secrets. No error message may contain a credential value.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {mkdirSync, readFileSync, writeFileSync, chmodSync} from 'node:fs'
import {join} from 'node:path'
import {tempDirs} from '../../fixtures/tmp-dirs.js'
import {chainCredentials, dockerConfigCredentials, secretCredentials, type PullSecret} from '../../../src/images/registry/credentials.js'
import {UserError} from '../../../src/errors.js'

const tmp = tempDirs('tsctl-creds-', test)
const b64 = (s: string) => Buffer.from(s).toString('base64')

/** A home directory with ~/.docker/config.json holding CONFIG. */
function home(config: object): string {
  const h = tmp()
  mkdirSync(join(h, '.docker'))
  writeFileSync(join(h, '.docker', 'config.json'), JSON.stringify(config))
  return h
}

/** A PATH directory holding docker-credential-NAME, a sh script that logs its stdin and prints OUT (exit CODE). */
function helper(name: string, out: string, code = 0): {path: string; log: string} {
  const dir = tmp()
  const log = join(dir, 'stdin.log')
  const script = join(dir, `docker-credential-${name}`)
  writeFileSync(script, `#!/bin/sh\n[ "$1" = get ] || exit 3\ncat > '${log}'\nprintf '%s' '${out}'\nexit ${code}\n`)
  chmodSync(script, 0o755)
  return {path: `${dir}:/usr/bin:/bin`, log}
}

async function throwsUser(p: Promise<unknown>, re: RegExp, mustNotContain: string[] = []): Promise<void> {
  try {
    await p
  } catch (e) {
    assert.instance(e, UserError, String(e))
    assert.match((e as Error).message, re)
    for (const s of mustNotContain) assert.not.ok(`${(e as Error).message} ${(e as UserError).hint ?? ''}`.includes(s), `message leaks ${s}`)
    return
  }
  assert.unreachable(`expected a UserError matching ${re}`)
}

test('auths keyed by host, with base64 auth; the source names file and key', async () => {
  const h = home({auths: {'localhost:5000': {auth: b64('alice:pa:ss')}, 'other:5000': {auth: b64('x:y')}}})
  const src = dockerConfigCredentials({home: h, env: {}})
  assert.equal(await src.lookup('localhost:5000'), {username: 'alice', password: 'pa:ss', source: '~/.docker/config.json auths["localhost:5000"]'})
  assert.is(await src.lookup('localhost:5001'), undefined)
})

test('docker.io matches https://index.docker.io/v1/ (docker login\'s key) and the other Hub names', async () => {
  const h = home({auths: {'https://index.docker.io/v1/': {username: 'hubuser', password: 'hubpass'}}})
  const src = dockerConfigCredentials({home: h, env: {}})
  const c = await src.lookup('docker.io')
  assert.equal(c, {username: 'hubuser', password: 'hubpass', source: '~/.docker/config.json auths["https://index.docker.io/v1/"]'})
  assert.equal((await src.lookup('registry-1.docker.io'))?.username, 'hubuser')
  assert.is(await src.lookup('ghcr.io'), undefined)
  const h2 = home({auths: {'docker.io': {auth: b64('a:b')}}})
  assert.equal((await dockerConfigCredentials({home: h2, env: {}}).lookup('docker.io'))?.username, 'a')
})

test('URL keys (https://host/v2/) match the host; an exact key wins', async () => {
  const h = home({auths: {'https://r.example.com/v2/': {auth: b64('url:1')}, 'r.example.com': {auth: b64('exact:2')}, 'http://Other.example.com:8443': {auth: b64('o:3')}}})
  const src = dockerConfigCredentials({home: h, env: {}})
  assert.is((await src.lookup('r.example.com'))?.username, 'exact')
  const o = await src.lookup('other.example.com:8443')
  assert.is(o?.username, 'o')
  assert.is(o?.source, '~/.docker/config.json auths["http://Other.example.com:8443"]')
})

test('identitytoken is carried as identityToken; empty placeholders are not credentials', async () => {
  const h = home({auths: {'r.io': {identitytoken: 'id-token-1', auth: b64('<token>:')}, 'empty.io': {}}})
  const src = dockerConfigCredentials({home: h, env: {}})
  assert.equal(await src.lookup('r.io'), {username: '<token>', identityToken: 'id-token-1', source: '~/.docker/config.json auths["r.io"]'})
  assert.is(await src.lookup('empty.io'), undefined)
})

test('$DOCKER_CONFIG points at another directory; a missing file means none', async () => {
  const d = tmp()
  writeFileSync(join(d, 'config.json'), JSON.stringify({auths: {'r.io': {auth: b64('dc:pw')}}}))
  const c = await dockerConfigCredentials({home: tmp(), env: {DOCKER_CONFIG: d}}).lookup('r.io')
  assert.equal(c, {username: 'dc', password: 'pw', source: `${join(d, 'config.json')} auths["r.io"]`})
  assert.is(await dockerConfigCredentials({home: tmp(), env: {}}).lookup('r.io'), undefined)
})

test('a broken config.json or auth string is a UserError that names the place, not the value', async () => {
  const h = tmp()
  mkdirSync(join(h, '.docker'))
  writeFileSync(join(h, '.docker', 'config.json'), '{"auths": ')
  await throwsUser(dockerConfigCredentials({home: h, env: {}}).lookup('r.io'), /~\/\.docker\/config\.json is not a valid JSON object/)
  const bad = b64('no-colon-secret-value')
  await throwsUser(dockerConfigCredentials({home: home({auths: {'r.io': {auth: bad}}}), env: {}}).lookup('r.io'),
    /auths\["r\.io"\]: "auth" is not base64 of "user:password"/, [bad, 'no-colon-secret-value'])
})

test('credHelpers[host] runs docker-credential-NAME get with the server URL on stdin', async () => {
  const hp = helper('tsctltest', '{"ServerURL":"r.io","Username":"helperuser","Secret":"helper-secret"}')
  const h = home({credHelpers: {'r.io': 'tsctltest'}, auths: {'r.io': {auth: b64('file:pw')}}})
  const c = await dockerConfigCredentials({home: h, env: {PATH: hp.path}}).lookup('r.io')
  assert.equal(c, {username: 'helperuser', password: 'helper-secret', source: '~/.docker/config.json credHelpers["r.io"] (docker-credential-tsctltest)'})
  assert.is(readFileSync(hp.log, 'utf8'), 'r.io')
  // for docker.io the helper is asked for Docker's Hub URL; "<token>" means an identity token
  const tok = helper('tsctltok', '{"Username":"<token>","Secret":"refresh-123"}')
  const c2 = await dockerConfigCredentials({home: home({credsStore: 'tsctltok'}), env: {PATH: tok.path}}).lookup('docker.io')
  assert.equal(c2, {identityToken: 'refresh-123', source: '~/.docker/config.json credsStore (docker-credential-tsctltok)'})
  assert.is(readFileSync(tok.log, 'utf8'), 'https://index.docker.io/v1/')
})

test('a helper not on PATH, or without the credential, falls back to auths', async () => {
  const h = home({credHelpers: {'r.io': 'not-installed-anywhere'}, auths: {'r.io': {auth: b64('file:pw')}}})
  assert.is((await dockerConfigCredentials({home: h, env: {PATH: tmp()}}).lookup('r.io'))?.username, 'file')
  const nf = helper('tsctlnf', 'credentials not found in native keychain', 1)
  const h2 = home({credsStore: 'tsctlnf', auths: {'r.io': {auth: b64('file2:pw')}}})
  assert.is((await dockerConfigCredentials({home: h2, env: {PATH: nf.path}}).lookup('r.io'))?.username, 'file2')
  assert.is(await dockerConfigCredentials({home: h2, env: {PATH: nf.path}}).lookup('none.io'), undefined)
})

test('a failing helper is an error naming it, without what it printed on stdout', async () => {
  const bad = helper('tsctlbad', 'leaked-secret-on-stdout', 2)
  const h = home({credHelpers: {'r.io': 'tsctlbad'}})
  await throwsUser(dockerConfigCredentials({home: h, env: {PATH: bad.path}}).lookup('r.io'), /docker-credential-tsctlbad get failed \(exit 2\)/, ['leaked-secret-on-stdout'])
  await throwsUser(dockerConfigCredentials({home: home({credsStore: '../../bin/sh'}), env: {PATH: bad.path}}).lookup('r.io'), /invalid credential helper name "\.\.\/\.\.\/bin\/sh"/)
})

function secret(name: string, type: string, data: Record<string, string>, namespace = 'default'): PullSecret {
  return {metadata: {namespace, name}, type, data}
}

test('kubernetes.io/dockerconfigjson and legacy dockercfg Secrets; first match wins; other types ignored', async () => {
  const src = secretCredentials([
    secret('opaque', 'Opaque', {'.dockerconfigjson': b64(JSON.stringify({auths: {'r.io': {auth: b64('opaque:x')}}}))}),
    secret('regcred', 'kubernetes.io/dockerconfigjson', {'.dockerconfigjson': b64(JSON.stringify({auths: {'r.io': {auth: b64('json:pw1')}, 'https://index.docker.io/v1/': {username: 'hub', password: 'pw2'}}}))}),
    secret('old', 'kubernetes.io/dockercfg', {'.dockercfg': b64(JSON.stringify({'legacy.io:5000': {auth: b64('legacy:pw3')}, 'r.io': {auth: b64('second:pw')}}))}, 'apps'),
  ])
  assert.equal(await src.lookup('r.io'), {username: 'json', password: 'pw1', source: 'imagePullSecrets Secret default/regcred (auths["r.io"])'})
  assert.equal((await src.lookup('docker.io'))?.username, 'hub')
  assert.equal(await src.lookup('legacy.io:5000'), {username: 'legacy', password: 'pw3', source: 'imagePullSecrets Secret apps/old (auths["legacy.io:5000"])'})
  assert.is(await src.lookup('legacy.io'), undefined, 'the port must match')
})

test('Secrets: stringData, kubelet globs, and malformed data named without its value', async () => {
  const s: PullSecret = {metadata: {name: 'plain'}, type: 'kubernetes.io/dockerconfigjson', stringData: {'.dockerconfigjson': JSON.stringify({auths: {'*.example.com': {auth: b64('glob:pw')}}})}}
  const src = secretCredentials([s])
  assert.is((await src.lookup('r.example.com'))?.username, 'glob')
  assert.is(await src.lookup('a.b.example.com'), undefined, '* is one label')
  assert.is(await src.lookup('example.com'), undefined)
  const junk = b64('{"auths": super-secret-junk')
  try {
    secretCredentials([secret('broken', 'kubernetes.io/dockerconfigjson', {'.dockerconfigjson': junk}, 'ns1')])
    assert.unreachable()
  } catch (e) {
    assert.instance(e, UserError)
    assert.match((e as Error).message, /^Secret ns1\/broken: \.dockerconfigjson is not valid JSON/)
    assert.not.ok((e as Error).message.includes('super-secret-junk'))
  }
  try {
    secretCredentials([secret('empty', 'kubernetes.io/dockerconfigjson', {})])
    assert.unreachable()
  } catch (e) {
    assert.match((e as Error).message, /Secret default\/empty of type kubernetes\.io\/dockerconfigjson has no \.dockerconfigjson key/)
  }
})

test('chainCredentials: pull Secrets before the user\'s config, as the kubelet does', async () => {
  const fromSecret = secretCredentials([secret('regcred', 'kubernetes.io/dockerconfigjson', {'.dockerconfigjson': b64(JSON.stringify({auths: {'r.io': {auth: b64('s:1')}}}))})])
  const fromConfig = dockerConfigCredentials({home: home({auths: {'r.io': {auth: b64('c:2')}, 'only-config.io': {auth: b64('c:3')}}}), env: {}})
  const chain = chainCredentials(fromSecret, fromConfig)
  assert.is((await chain.lookup('r.io'))?.username, 's')
  assert.is((await chain.lookup('only-config.io'))?.source, '~/.docker/config.json auths["only-config.io"]')
  assert.is(await chain.lookup('nowhere.io'), undefined)
})

test.run()
