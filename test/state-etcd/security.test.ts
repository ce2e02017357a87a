// TLS client certificates and user/password auth through the real CLI:
// right settings work; a wrong CA, a missing client certificate, a wrong
// password, a user without permission on the prefix are exit 2 naming the
// endpoint and the cause, never a stack trace, never the password.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Etcd3, Range} from 'etcd3'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {cleanup, tempDir, tsctl} from '../cli/helpers/run.js'
import {etcdHooks, etcdSkipReason} from '../fixtures/etcd.js'

const skip = etcdSkipReason()
const certs = mkdtempSync(join(tmpdir(), 'tsctl-etcd-certs-'))
const pem = (n: string) => join(certs, n)

/** A CA, a server certificate for 127.0.0.1 and a client certificate; and a second, unrelated CA. */
function makeCerts(): void {
  const ssl = (...a: string[]) => execFileSync('openssl', a, {cwd: certs, stdio: 'pipe'})
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  for (const ca of ['ca', 'other-ca']) ssl('req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=tsctl test ${ca}`)
  writeFileSync(pem('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
  writeFileSync(pem('client.ext'), 'extendedKeyUsage=clientAuth\n')
  for (const who of ['server', 'client']) {
    ssl('req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`)
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', `${who}.ext`)
  }
}

if (!skip) test.before(() => makeCerts())
const tlsEtcd = skip ? undefined : etcdHooks(test, {tls: () => ({cert: pem('server.pem'), key: pem('server.key'), ca: pem('ca.pem'), clientCertAuth: true})})
const authEtcd = skip ? undefined : etcdHooks(test)
test.after(() => {
  cleanup()
  rmSync(certs, {recursive: true, force: true})
})

const noStack = (s: string) => assert.not.match(s, /\n\s+at /, 'no stack trace')

if (!tlsEtcd || !authEtcd) {
  console.log(`SKIP: ${skip}`)
  test.skip('etcd TLS and auth')
} else {
  test('TLS: the right CA and client certificate work; another CA or no client certificate is exit 2 naming the endpoint; no Node deprecation noise', () => {
    const d = tempDir()
    const ep = tlsEtcd().endpoints[0].replace('https://', '')
    const base = {TSCTL_STATE_BACKEND: 'etcd', TSCTL_ETCD_ENDPOINTS: `https://${ep}`, TSCTL_ETCD_TIMEOUT_MS: '3000'}
    const ok = tsctl(['state', 'show', '-o', 'json'], {cwd: d, env: {...base, TSCTL_ETCD_CA: pem('ca.pem'), TSCTL_ETCD_CERT: pem('client.pem'), TSCTL_ETCD_KEY: pem('client.key')}})
    assert.is(ok.code, 0, ok.stderr)
    assert.is(JSON.parse(ok.stdout).state, null)
    const wrongCa = tsctl(['state', 'show'], {cwd: d, env: {...base, TSCTL_ETCD_CA: pem('other-ca.pem'), TSCTL_ETCD_CERT: pem('client.pem'), TSCTL_ETCD_KEY: pem('client.key')}})
    assert.is(wrongCa.code, 2, wrongCa.stderr)
    assert.match(wrongCa.stderr, new RegExp(`etcd https://${ep.replace(/\./g, '\\.')} /tsctl/default: TLS failed while reading the state`))
    noStack(wrongCa.stderr)
    assert.not.match(wrongCa.stderr + ok.stderr, /DeprecationWarning/)
    const noCert = tsctl(['state', 'show'], {cwd: d, env: {...base, TSCTL_ETCD_CA: pem('ca.pem')}})
    assert.is(noCert.code, 2, noCert.stderr)
    assert.match(noCert.stderr, new RegExp(`etcd https://${ep.replace(/\./g, '\\.')} /tsctl/default: TLS failed while reading the state: .*bad certificate`))
    noStack(noCert.stderr)
    const missing = tsctl(['state', 'show'], {cwd: d, env: {...base, TSCTL_ETCD_CA: pem('nope.pem')}})
    assert.is(missing.code, 2)
    assert.match(missing.stderr, /cannot read the TLS CA .*nope\.pem: ENOENT/)
  })

  test('auth: the right user and password work; a wrong password or a prefix the role may not touch is exit 2, the password never shown', async () => {
    const endpoints = authEtcd().endpoints
    const c = new Etcd3({hosts: endpoints})
    try {
      await c.role('root').create()
      await (await c.user('root').create('root-secret-pw')).addRole('root')
      const role = await c.role('fleet').create()
      await role.grant({permission: 'Readwrite', range: Range.prefix('/tsctl/prod/')})
      await (await c.user('tsctl').create('s3cret-pw-42')).addRole('fleet')
      await c.auth.authEnable()
    } finally {
      c.close()
    }
    const d = tempDir()
    const base = {TSCTL_STATE_BACKEND: 'etcd', TSCTL_ETCD_ENDPOINTS: endpoints[0], TSCTL_ETCD_USER: 'tsctl', TSCTL_ETCD_TIMEOUT_MS: '3000'}
    const ok = tsctl(['state', 'unlock'], {cwd: d, env: {...base, TSCTL_ETCD_PREFIX: '/tsctl/prod', TSCTL_ETCD_PASSWORD: 's3cret-pw-42'}})
    assert.is(ok.code, 0, ok.stderr)
    const wrong = tsctl(['state', 'show'], {cwd: d, env: {...base, TSCTL_ETCD_PREFIX: '/tsctl/prod', TSCTL_ETCD_PASSWORD: 'not-the-pw-77'}})
    assert.is(wrong.code, 2, wrong.stderr)
    assert.match(wrong.stderr, /\/tsctl\/prod: authentication failed as user "tsctl" while reading the state/)
    assert.not.match(wrong.stderr + wrong.stdout, /not-the-pw-77|s3cret/)
    noStack(wrong.stderr)
    const denied = tsctl(['state', 'show'], {cwd: d, env: {...base, TSCTL_ETCD_PREFIX: '/tsctl/staging', TSCTL_ETCD_PASSWORD: 's3cret-pw-42'}})
    assert.is(denied.code, 2, denied.stderr)
    assert.match(denied.stderr, /\/tsctl\/staging: permission denied for user "tsctl" while reading the state/)
    assert.match(denied.stderr, /grant-permission --prefix=true ROLE readwrite \/tsctl\/staging\//)
    assert.not.match(denied.stderr, /s3cret/)
    noStack(denied.stderr)
  })
}

test.run()
