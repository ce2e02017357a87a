import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {UserError} from '../../../src/errors.js'
import {checkSshTarget, sshTargetDiagnostics, sshTargetOf} from '../../../src/transport/ssh-target.js'

const ok = {node: 'a', address: '198.19.250.11'}

test('plain addresses, names and full specs pass', () => {
  for (const address of ['198.19.250.11', 'node-a.example.com', 'web1', '::1', '[fe80::1]', 'my_alias']) {
    assert.equal(sshTargetDiagnostics({node: 'a', address}), [], address)
  }
  assert.equal(sshTargetDiagnostics({...ok, ssh: {
    user: 'deploy', port: 2222, identityFile: '~/.ssh/id ed25519', proxyJump: 'ops@bastion.example.com:2200,[fd00::1]',
    hostKey: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN4lawTzfD6UpEMXFPmVN97WrDs8fqq51EeN+4zJrMOr web1', 'ecdsa-sha2-nistp256 AAAAE2VjZHNh='],
  }}), [])
})

test('option injection and shell metacharacters are refused with field paths', () => {
  const d = sshTargetDiagnostics({node: 'a', address: '-oProxyCommand=touch /tmp/x', ssh: {
    user: '-x', port: 70000, identityFile: '-i', proxyJump: 'h;touch x', hostKey: 'AAAA',
  }})
  assert.equal(d.map((x) => x.field), ['spec.address', 'spec.ssh.user', 'spec.ssh.port', 'spec.ssh.identityFile', 'spec.ssh.proxyJump', 'spec.ssh.hostKey'])
  assert.ok(d.every((x) => x.object === 'Node/a' && x.severity === 'error'))
  assert.equal(sshTargetDiagnostics({...ok, ssh: {proxyJump: '$(id)@h'}}).length, 1)
  assert.equal(sshTargetDiagnostics({...ok, ssh: {hostKey: 'ssh-ed25519 AAAA\nx ssh-rsa BBBB'}}).length, 1)
  assert.equal(sshTargetDiagnostics({...ok, ssh: {hostKey: []}}).length, 1)
})

test('checkSshTarget throws a UserError with exit code 2 and every diagnostic', () => {
  try {
    checkSshTarget({node: 'a', address: 'a b', ssh: {user: 'x y'}})
    assert.unreachable()
  } catch (e) {
    assert.instance(e, UserError)
    assert.is((e as UserError).exitCode, 2)
    assert.is((e as UserError).diagnostics.length, 2)
  }
})

test('sshTargetOf reads a Node manifest', () => {
  const node = {apiVersion: 'v1', kind: 'Node', metadata: {name: 'n1'}, spec: {address: '198.19.250.11', ssh: {user: 'root', port: 22}}}
  assert.equal(sshTargetOf(node), {node: 'n1', address: '198.19.250.11', ssh: {user: 'root', port: 22}})
  assert.throws(() => sshTargetOf({...node, spec: {}}), (e: UserError) => e.diagnostics[0].field === 'spec.address')
  assert.throws(() => sshTargetOf({...node, spec: {address: 'x', ssh: {user: '-oFoo'}}}), (e: UserError) => e.diagnostics[0].field === 'spec.ssh.user')
})

test.run()
