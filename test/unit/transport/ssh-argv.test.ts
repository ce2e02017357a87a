// The exact argument vector tsctl gives ssh when it connects, pinned: host
// keys are checked strictly by default (StrictHostKeyChecking=yes, never
// accept-new unless asked), and a Node's spec.ssh.hostKey is the only key
// trusted, through a per-node known_hosts file that holds just that key.
// A stand-in ssh records its argv (one NUL-separated record per call) and
// refuses the login, so no connection is made.
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {SshTransport} from '../../../src/transport/ssh.js'

const dir = mkdtempSync(join(tmpdir(), 'tsctl-sshargv-'))
const fake = join(dir, 'ssh')
const log = join(dir, 'argv')
const keys = join(dir, 'keys')
writeFileSync(fake, `#!/bin/sh
for a; do printf '%s\\0' "$a"; done >>"${log}"
printf '\\n' >>"${log}"
for a; do case $a in UserKnownHostsFile=*) cat "\${a#UserKnownHostsFile=}" >>"${keys}" ;; esac; done
echo "root@h: Permission denied (publickey)." >&2
exit 255
`)
chmodSync(fake, 0o755)

test.after(() => rmSync(dir, {recursive: true, force: true}))

async function argvOf(ssh: Record<string, unknown>, opts: Record<string, unknown> = {}): Promise<string[]> {
  writeFileSync(log, '')
  writeFileSync(keys, '')
  const t = new SshTransport({node: 'n1', address: '198.18.0.10', ssh}, {sshPath: fake, retries: 0, configFile: '/dev/null', ...opts})
  await t.exec(['true']).then(() => assert.unreachable('the stand-in ssh refuses every login'), () => {})
  await t.close()
  const first = readFileSync(log, 'utf8').split('\n')[0]!
  return first.split('\0').slice(0, -1)
}

/** The per-run temp dir in paths made comparable. */
const norm = (argv: string[]) => argv.map((a) => a.replace(/\/tmp\/tsctl-\d+\/\d+-[^/]+/, '<dir>'))

test('default: strict host key checking against the user known_hosts, batch mode, keep-alives', async () => {
  assert.equal(norm(await argvOf({})), [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'ControlPath=<dir>/cm',
    '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'ControlMaster=yes', '-o', 'ControlPersist=60', '-N', '-f', '--', '198.18.0.10',
  ])
})

test('a pinned hostKey: only that key, in a per-node file, under a fixed alias; no global file, no learning', async () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPinnedKeyForTheTestOnly'
  const argv = norm(await argvOf({hostKey: key, user: 'deploy', port: 2222}))
  assert.equal(argv, [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'ControlPath=<dir>/cm',
    '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3',
    '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=<dir>/known_hosts',
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', argv[argv.indexOf('GlobalKnownHostsFile=/dev/null') + 2]!,
    '-o', 'UpdateHostKeys=no', '-o', 'CheckHostIP=no',
    '-l', 'deploy', '-p', '2222',
    '-o', 'ControlMaster=yes', '-o', 'ControlPersist=60', '-N', '-f', '--', '198.18.0.10',
  ])
  const alias = argv[argv.indexOf('GlobalKnownHostsFile=/dev/null') + 2]!
  assert.match(alias, /^HostKeyAlias=\S+$/)
  assert.is(readFileSync(keys, 'utf8'), `${alias.slice('HostKeyAlias='.length)} ${key}\n`, 'the file ssh reads holds the pinned key alone')
})

test('accept-new only when asked, with the known_hosts file given', async () => {
  const argv = await argvOf({}, {strictHostKeyChecking: 'accept-new', knownHostsFile: '/srv/fleet/known_hosts'})
  const i = argv.indexOf('StrictHostKeyChecking=accept-new')
  assert.ok(i > 0, argv.join(' '))
  assert.equal(argv.slice(i + 1, i + 3), ['-o', 'UserKnownHostsFile=/srv/fleet/known_hosts'])
})

test.run()
