// SshTransport against a real 3-host fleet (test/fleet/up.sh): real sshd,
// real network namespaces, real partitions and crashes.
import {createHash, randomBytes} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {HostError} from '../../src/errors.js'
import {Limiter} from '../../src/transport/limiter.js'
import {SshTransport, type SshTransportOptions} from '../../src/transport/ssh.js'
import {type Fleet, fleetSkipReason, fleetUp, running} from '../fleet/fleet.js'

const PREFIX = 'tstx'
const skip = fleetSkipReason()
let fleet: Fleet
const open: SshTransport[] = []
const scratch = mkdtempSync('/tmp/tsctl-ssh-test-')

/** A transport that the after-hook closes even when the test fails. */
function transport(i: number, extra: SshTransportOptions & {pin?: boolean} = {}): SshTransport {
  const {pin, ...opts} = extra
  const t = new SshTransport(fleet.target(i, {pin}), {...fleet.transportOptions(), ...opts})
  open.push(t)
  return t
}

/** ssh processes on this machine with an argument containing NEEDLE (a control path, a host name). */
function sshProcessesUsing(needle: string): number[] {
  const pids: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
      if (argv[0]?.endsWith('ssh') && argv.some((a) => a.includes(needle))) pids.push(Number(d))
    } catch { /* exited */ }
  }
  return pids
}

async function until(what: string, fn: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await fn()) return
  assert.unreachable(`timed out waiting for ${what}`)
}

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('ssh transport on a real fleet')
} else {
  test.before(async () => {
    fleet = await fleetUp(3, PREFIX)
  })

  test.after(async () => {
    await Promise.allSettled(open.map((t) => t.close()))
    await fleet?.down()
    rmSync(scratch, {recursive: true, force: true})
  })

  test('exec returns stdout, stderr and the exit code, including 255 from the command', async () => {
    const t = transport(1)
    const a = await t.exec(['sh', '-c', 'echo out; echo err >&2; exit 3'])
    assert.is(a.code, 3)
    assert.is(a.stdout.toString(), 'out\n')
    assert.is(a.stderr, 'err\n')
    const b = await t.exec(['sh', '-c', 'exit 255'])
    assert.is(b.code, 255)
    const c = await t.exec(['true'])
    assert.equal([c.code, c.stdout.length, c.stderr], [0, 0, ''])
    // argv[0] is a program, never a shell builtin
    const d = await t.exec(['exit', '0'])
    assert.is(d.code, 127)
  })

  test('each host has its own hostname and its own /var/lib/tsctl', async () => {
    for (const h of fleet.hosts) {
      const t = transport(h.index)
      const r = await t.exec(['sh', '-c', 'hostname; touch /var/lib/tsctl/seen-by-$(hostname); ls /var/lib/tsctl; echo $HOME; ls -A /root'])
      assert.is(r.code, 0, r.stderr)
      const [name, seen, home, dotssh] = r.stdout.toString().trim().split('\n')
      assert.is(name, h.name)
      assert.is(seen, `seen-by-${h.name}`)
      assert.is(home, '/root')
      assert.is(dotssh, '.ssh')
      assert.equal(readdirSync(h.dataDir), [`seen-by-${h.name}`])
      // the same view without SSH, through the host's namespaces
      assert.is((await fleet.inHost(h, ['sh', '-c', 'hostname; ls /var/lib/tsctl'])).trim(), `${h.name}\nseen-by-${h.name}`)
    }
  })

  test('hostile argv elements arrive literally and execute nothing', async () => {
    const canary = `/tmp/tsctl-pwned-${randomBytes(4).toString('hex')}`
    const hostile = [
      `$(touch ${canary})`, `\`touch ${canary}\``, `; touch ${canary}`, `' ; touch ${canary}; '`, `" ; touch ${canary}; "`,
      `a\nb\ntouch ${canary}`, '  spaced  out  ', '*', '/etc/*', '?', '[a-z]*', '~', '$HOME', '${PATH}', '\\', "'", '"', '',
      '|', '&', '>', `>${canary}`, '<', '#', '!', '-n', '--', '%s', 'ünï ✓', '\t',
    ]
    const t = transport(2)
    const r = await t.exec(['printf', '%s\\0', ...hostile])
    assert.is(r.code, 0, r.stderr)
    assert.equal(r.stdout.toString('utf8').split('\0').slice(0, -1), hostile)
    // also as the program name: looked up literally, not run by a shell
    const p = await t.exec([`touch ${canary}`])
    assert.is(p.code, 127)
    // the hosts share this machine's /tmp, so one check covers both sides
    assert.not.ok(existsSync(canary), 'a hostile argument was executed')
    assert.equal((await t.exec(['ls', canary])).code !== 0, true)
  })

  test('stdin streams several MB, from a Buffer and from a Readable', async () => {
    const t = transport(3)
    const data = randomBytes(4 << 20)
    const want = createHash('sha256').update(data).digest('hex')
    const a = await t.exec(['sha256sum'], {stdin: data})
    assert.is(a.stdout.toString().split(' ')[0], want)
    const chunks = Array.from({length: 64}, (_, i) => data.subarray(i << 16, (i + 1) << 16))
    let streamed = 0
    const b = await t.exec(['sh', '-c', 'sha256sum; echo done >&2'], {
      stdin: Readable.from(chunks),
      onStdout: (c) => (streamed += c.length),
    })
    assert.is(b.code, 0)
    assert.is(b.stdout.toString().split(' ')[0], want)
    assert.is(b.stderr, 'done\n')
    assert.is(streamed, b.stdout.length)
  })

  test("the user's ssh_config and a ProxyJump bastion work unchanged", async () => {
    // Only the fleet's ssh_config (aliases, key, known_hosts) and a Node
    // naming host 1 as its bastion: the connection to host 2 must come from host 1.
    const [h1, h2] = fleet.hosts
    const t = new SshTransport({node: h2.name, address: h2.name, ssh: {proxyJump: h1.name}}, {configFile: fleet.sshConfig})
    open.push(t)
    const r = await t.exec(['sh', '-c', 'hostname; echo "$SSH_CLIENT"'])
    assert.is(r.code, 0, r.stderr)
    const [name, client] = r.stdout.toString().trim().split('\n')
    assert.is(name, h2.name)
    assert.is(client.split(' ')[0], h1.address)
    assert.is((await t.exec(['true'])).code, 0)
    assert.is(t.stats.connects, 1)
  })

  test('a wrong pinned host key is refused before any command runs', async () => {
    const h1 = fleet.hosts[0]
    const wrong = fleet.hosts[1].hostKey
    const t = new SshTransport({...fleet.target(1), ssh: {...fleet.target(1).ssh, hostKey: wrong}},
      {configFile: '/dev/null', retries: 3})
    open.push(t)
    const err = await t.exec(['touch', '/var/lib/tsctl/must-not-exist']).catch((e) => e)
    assert.instance(err, HostError)
    assert.match(err.message, /host key verification failed/)
    assert.match(err.message, /does not match spec\.ssh\.hostKey/)
    assert.is(err.transient, false)
    assert.is(t.stats.retries, 0, 'a host key mismatch is not retried')
    assert.is(t.stats.commands, 0)
    assert.not.ok(existsSync(join(h1.dataDir, 'must-not-exist')))
  })

  test('the right pinned key is all that is needed (no known_hosts)', async () => {
    const empty = join(scratch, 'empty_known_hosts')
    writeFileSync(empty, '')
    const t = transport(1, {pin: true, knownHostsFile: empty})
    const r = await t.exec(['hostname'])
    assert.is(r.stdout.toString().trim(), fleet.hosts[0].name)
  })

  test('an unknown host key is refused under StrictHostKeyChecking', async () => {
    const empty = join(scratch, 'empty_known_hosts')
    writeFileSync(empty, '')
    const t = transport(2, {knownHostsFile: empty})
    const err = await t.exec(['true']).catch((e) => e)
    assert.instance(err, HostError)
    assert.match(err.message, /host key verification failed.*not in known_hosts/)
    assert.is(err.transient, false)
    assert.is(t.stats.commands, 0)
  })

  test('commands reuse one master connection', async () => {
    // close what earlier tests opened, so the host's connection count is ours alone
    await Promise.all(open.splice(0).map((t) => t.close()))
    await until('no connections left to host 1', async () => (await fleet.connections(1)) === 0)
    const t = transport(1)
    for (let i = 0; i < 6; i++) assert.is((await t.exec(['true'])).code, 0)
    await Promise.all(Array.from({length: 6}, () => t.exec(['true'])))
    assert.is(t.stats.connects, 1)
    assert.is(t.stats.commands, 12)
    assert.is(await fleet.connections(1), 1, 'the host sees exactly one SSH connection')
    assert.equal(sshProcessesUsing(t.controlPath!).length, 1, 'one local ssh process: the master')
    const cp = t.controlPath!
    await t.close()
    assert.equal(sshProcessesUsing(cp), [])
    assert.not.ok(existsSync(cp))
    await until('the host to see the connection end', async () => (await fleet.connections(1)) === 0)
  })

  test('a master that died is replaced once, even under concurrent commands', async () => {
    const t = transport(1)
    await t.exec(['true'])
    const [master] = sshProcessesUsing(t.controlPath!)
    process.kill(master, 'SIGKILL')
    await until('the master to die', () => !running(master))
    const rs = await Promise.all(Array.from({length: 6}, () => t.exec(['hostname'])))
    assert.ok(rs.every((r) => r.stdout.toString().trim() === fleet.hosts[0].name))
    assert.is(t.stats.connects, 2)
    assert.is(t.stats.retries, 0, 'replacing a master that went away is not a retry')
    assert.equal(sshProcessesUsing(t.controlPath!).length, 1)
  })

  const fast = {connectTimeoutMs: 1_000, retries: 1, backoffMs: 100, serverAliveIntervalS: 1, serverAliveCountMax: 2}

  test('a partitioned host gives HostError while the others answer (in parallel)', async () => {
    const limiter = new Limiter({concurrency: 32})
    const ts = fleet.hosts.map((h) => transport(h.index, {...fast, limiter}))
    // masters up everywhere first: the partition then also has to be noticed on a live connection
    await Promise.all(ts.map((t) => t.exec(['true'])))
    await fleet.partition(2)
    try {
      const rs = await Promise.allSettled(ts.map((t) => t.exec(['hostname'], {timeoutMs: 20_000})))
      assert.is(rs[0].status, 'fulfilled')
      assert.is(rs[2].status, 'fulfilled')
      assert.is(rs[1].status, 'rejected')
      const err = (rs[1] as PromiseRejectedResult).reason
      assert.instance(err, HostError)
      assert.is(err.node, fleet.hosts[1].name)
      assert.is(err.transient, true)
      assert.match(err.message, /could not reach 198\.19\.\d+\.12/)
      assert.is(ts[1].stats.commands, 1, 'only the warm-up command ran on the partitioned host')
    } finally {
      await fleet.heal(2)
    }
    const again = await ts[1].exec(['hostname'], {timeoutMs: 20_000})
    assert.is(again.stdout.toString().trim(), fleet.hosts[1].name)
  })

  test('a crashed host gives HostError while the others answer, and works after restart', async () => {
    const ts = fleet.hosts.map((h) => transport(h.index, fast))
    await Promise.all(ts.map((t) => t.exec(['true'])))
    await fleet.crash(3)
    const rs = await Promise.allSettled(ts.map((t) => t.exec(['hostname'], {timeoutMs: 20_000})))
    assert.equal(rs.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected'])
    const err = (rs[2] as PromiseRejectedResult).reason
    assert.instance(err, HostError)
    assert.match(err.message, /Connection refused/)
    assert.ok(ts[2].stats.retries >= 1, 'a refused connection is retried')
    await fleet.restart(3)
    const r = await ts[2].exec(['hostname'])
    assert.is(r.stdout.toString().trim(), fleet.hosts[2].name)
  })

  test('close and down leave no process, netns, veth or directory behind', async () => {
    const paths = open.map((t) => t.controlPath).filter((p): p is string => !!p)
    assert.ok(paths.length > 0)
    await Promise.all(open.splice(0).map((t) => t.close()))
    for (const p of paths) {
      assert.equal(sshProcessesUsing(p), [], p)
      assert.not.ok(existsSync(join(p, '..')), `${p} removed`)
    }
    // nor a bastion hop (ssh -W … PREFIX-h1) or any other ssh to the fleet
    assert.equal(sshProcessesUsing(`${PREFIX}-h`), [])
    assert.equal(sshProcessesUsing(fleet.subnet.replace(/\.0\/24$/, '.')), [])
    const pids = fleet.hosts.map((h) => h.pid)
    const dir = fleet.dir
    await fleet.down()
    const netns = execFileSync('ip', ['netns', 'list']).toString()
    const links = execFileSync('ip', ['-o', 'link']).toString()
    assert.not.match(netns, new RegExp(`\\b${PREFIX}-`))
    assert.not.match(links, new RegExp(`\\b${PREFIX}-`))
    for (const pid of pids) assert.not.ok(running(pid), `sshd ${pid} gone`)
    assert.not.ok(existsSync(dir))
  })
}

test.run()
