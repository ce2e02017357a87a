// SshTransport's decisions (retry or not, which error) against a stand-in
// `ssh` whose behaviour each test chooses. The command line it is given is
// run by the local /bin/sh, so the start/end markers are real shell output.
// Needs no root and no sshd; test/transport/ssh.test.ts covers the real thing.
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {HostError, UserError} from '../../../src/errors.js'
import {SshTransport} from '../../../src/transport/ssh.js'

const dir = mkdtempSync(join(tmpdir(), 'tsctl-fakessh-'))
const fake = join(dir, 'ssh')
const log = join(dir, 'log')
// MASTER: ok | refused | hostkey | denied, or a list consumed one per start
// ("refused,ok"); CMD: run | lost | unreached, likewise.
writeFileSync(fake, `#!/bin/sh
printf '%s\\n' "$*" >>"${log}"
next() { # pops the first word of the list in file $1
  v=$(cat "$1"); first=\${v%%,*}; rest=\${v#*,}; [ "$rest" = "$v" ] || printf '%s' "$rest" >"$1"; printf '%s' "$first"
}
for a; do last=$a; done
case " $* " in
  *" -O check "*) echo "Master running (pid=999999)" >&2; exit 0 ;;
  *" -O exit "*) exit 0 ;;
  *" ControlMaster=yes "*)
    case $(next "${dir}/master") in
      ok) exit 0 ;;
      refused) echo "ssh: connect to host h port 22: Connection refused" >&2; exit 255 ;;
      hostkey) echo "No ED25519 host key is known for h and you have requested strict checking." >&2; echo "Host key verification failed." >&2; exit 255 ;;
      denied) echo "root@h: Permission denied (publickey)." >&2; exit 255 ;;
    esac ;;
esac
case $(next "${dir}/cmd") in
  run) exec /bin/sh -c "$last" ;;
  lost) printf '\\001' >&2; echo "Connection to h closed by remote host." >&2; exit 255 ;;
  unreached) echo "Control socket connect(x): No such file or directory" >&2; exit 255 ;;
esac
`)
chmodSync(fake, 0o755)

function setup(master: string, cmd: string): void {
  writeFileSync(join(dir, 'master'), master)
  writeFileSync(join(dir, 'cmd'), cmd)
  writeFileSync(log, '')
}
const calls = () => readFileSync(log, 'utf8').split('\n').filter(Boolean)
const masters = () => calls().filter((l) => l.includes('ControlMaster=yes')).length
const commands = () => calls().filter((l) => l.includes('ControlMaster=no')).length

const opened: SshTransport[] = []
function transport(ssh: {hostKey?: string} = {}): SshTransport {
  const t = new SshTransport({node: 'n1', address: 'h', ssh}, {sshPath: fake, backoffMs: 1, retries: 2, configFile: '/dev/null'})
  opened.push(t)
  return t
}

test.after(async () => {
  await Promise.all(opened.map((t) => t.close()))
  rmSync(dir, {recursive: true, force: true})
})

test('exit codes, stdout and stderr come through the markers; 255 from the program is its own', async () => {
  setup('ok', 'run')
  const t = transport()
  const r = await t.exec(['sh', '-c', 'echo out; echo err >&2; exit 255'])
  assert.equal([r.code, r.stdout.toString(), r.stderr], [255, 'out\n', 'err\n'])
  assert.is((await t.exec(['exit', '3'])).code, 127, 'a builtin name is looked up as a program')
  assert.is((await t.exec(['cat'], {stdin: Readable.from([Buffer.from('ab'), Buffer.from('c')])})).stdout.toString(), 'abc')
  assert.is(masters(), 1)
  assert.equal(t.stats, {connects: 1, commands: 3, retries: 0})
})

test('a refused connection is retried with a new master, then succeeds', async () => {
  setup('refused,refused,ok', 'run')
  const t = transport()
  assert.is((await t.exec(['true'])).code, 0)
  assert.is(masters(), 3)
  assert.is(t.stats.retries, 2)
})

test('retries are bounded: HostError, transient', async () => {
  setup('refused', 'run')
  const t = transport()
  const e = await t.exec(['true']).catch((x) => x)
  assert.instance(e, HostError)
  assert.is(e.transient, true)
  assert.match(e.message, /^n1: could not reach h \(3 attempts\): .*Connection refused/)
  assert.is(masters(), 3)
  assert.is(commands(), 0)
})

test('a command that never started (master gone) is retried on a new master', async () => {
  setup('ok,ok', 'unreached,run')
  const t = transport()
  assert.is((await t.exec(['echo', 'hi'])).stdout.toString(), 'hi\n')
  assert.is(masters(), 2)
  assert.is(commands(), 2)
})

test('a master that went away (ControlPersist) is replaced without spending a retry', async () => {
  setup('ok,ok', 'run,unreached,run')
  const t = new SshTransport({node: 'n1', address: 'h'}, {sshPath: fake, retries: 0, configFile: '/dev/null'})
  opened.push(t)
  await t.exec(['true'])
  assert.is((await t.exec(['echo', 'again'])).stdout.toString(), 'again\n')
  assert.equal(t.stats, {connects: 2, commands: 2, retries: 0})
})

test('a command whose connection broke after it started is never retried', async () => {
  setup('ok', 'lost,run')
  const t = transport()
  const e = await t.exec(['touch', 'x']).catch((x) => x)
  assert.instance(e, HostError)
  assert.match(e.message, /may have run/)
  assert.is(commands(), 1)
})

test('timeoutMs ends a command that runs too long, saying it may have run', async () => {
  setup('ok', 'run')
  const t = transport()
  const e = await t.exec(['sleep', '2'], {timeoutMs: 300}).catch((x) => x)
  assert.instance(e, HostError)
  assert.match(e.message, /timed out after 300 ms \(it may have run\)/)
  assert.is(commands(), 1)
})

test('host key and login failures are final: no retry, not transient', async () => {
  for (const [mode, re] of [['hostkey', /host key verification failed .*not in known_hosts/], ['denied', /cannot log in .*Permission denied/]] as const) {
    setup(mode, 'run')
    const t = transport()
    const e = await t.exec(['true']).catch((x) => x)
    assert.instance(e, HostError)
    assert.is(e.transient, false)
    assert.match(e.message, re)
    assert.is(masters(), 1, mode)
  }
})

test('a pinned key goes into a private known_hosts, with strict checking and no other file', async () => {
  setup('ok', 'run')
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN4lawTzfD6UpEMXFPmVN97WrDs8fqq51EeN+4zJrMOr'
  const t = transport({hostKey: key})
  await t.exec(['true'])
  const master = calls().find((l) => l.includes('ControlMaster=yes'))!
  assert.match(master, /StrictHostKeyChecking=yes/)
  assert.match(master, /GlobalKnownHostsFile=\/dev\/null/)
  const file = /UserKnownHostsFile=(\S+)/.exec(master)![1]
  assert.is(readFileSync(file, 'utf8'), `tsctl-pinned-host ${key}\n`)
  assert.match(master, /HostKeyAlias=tsctl-pinned-host/)
  assert.match(master, /-- h$/, 'the address comes after --, so it can never be read as an option')
})

test('a bad Node is refused before ssh runs', () => {
  assert.throws(() => new SshTransport({node: 'n', address: '-oProxyCommand=sh'}), (e: unknown) => e instanceof UserError)
})

test.run()
