// SSH masters shared across runs (SshTransport `persist`, the CLI's
// TSCTL_SSH_PERSIST) against a real 2-host fleet: a later transport adopts
// the master an earlier one left, two starting at once make one, and a
// master that died, hangs on a partitioned host or belongs to other
// settings is never used blindly. Runs in a control directory of its own.
import {mkdirSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {HostError} from '../../src/errors.js'
import {Limiter} from '../../src/transport/limiter.js'
import {SshTransport, type SshTransportOptions} from '../../src/transport/ssh.js'
import {type Fleet, fleetSkipReason, fleetUp, running} from '../fleet/fleet.js'
import {sshMasterPids} from '../e2e/_fleet-app.js'

const PREFIX = 'tssm'
const skip = fleetSkipReason()
const dir = `/tmp/tsctl-sst-${process.pid}`
let fleet: Fleet
const open: SshTransport[] = []

function transport(i: number, extra: SshTransportOptions = {}): SshTransport {
  const t = new SshTransport(fleet.target(i), {...fleet.transportOptions(), persist: true, controlPersistS: 60, ...extra})
  open.push(t)
  return t
}

/** The shared masters' sockets in the test's control directory. */
function sockets(): string[] {
  try {
    return readdirSync(dir).filter((n) => n.startsWith('m-')).flatMap((n) => (readdirSync(join(dir, n)).includes('cm') ? [join(dir, n, 'cm')] : []))
  } catch {
    return []
  }
}

const masterPids = sshMasterPids

async function until(what: string, fn: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (fn()) return
  assert.unreachable(`timed out waiting for ${what}`)
}

function endShared(): void {
  for (const sock of sockets()) {
    for (const pid of masterPids(sock)) {
      try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
    }
  }
}

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('shared ssh masters on a real fleet')
} else {
  test.before(async () => {
    mkdirSync(dir, {mode: 0o700})
    process.env.TSCTL_SSH_CONTROL_DIR = dir
    fleet = await fleetUp(2, PREFIX)
  })

  test.after(async () => {
    await Promise.allSettled(open.map((t) => t.close()))
    endShared()
    await fleet?.down()
    rmSync(dir, {recursive: true, force: true})
    delete process.env.TSCTL_SSH_CONTROL_DIR
  })

  test('a later transport adopts the master an earlier one left: no new connection', async () => {
    const a = transport(1)
    assert.is((await a.exec(['hostname'])).stdout.toString().trim(), fleet.hosts[0].name)
    const sock = a.controlPath!
    assert.is(a.stats.connects, 1)
    await a.close()
    const [pid] = masterPids(sock)
    assert.ok(pid && running(pid), 'the master outlives close()')
    assert.is(await fleet.connections(1), 1)
    const b = transport(1)
    assert.is((await b.exec(['hostname'])).stdout.toString().trim(), fleet.hosts[0].name)
    assert.is(b.stats.connects, 0, 'the second run made no connection')
    assert.is(b.controlPath, sock)
    assert.equal(masterPids(sock), [pid])
    assert.is(await fleet.connections(1), 1, 'the host still sees one SSH connection')
    await b.close()
  })

  test('persist off: close() ends the master, as before', async () => {
    const t = transport(2, {persist: false})
    await t.exec(['true'])
    const sock = t.controlPath!
    assert.not.ok(sock.includes('/m-'), 'a private directory, not a shared one')
    await t.close()
    assert.equal(masterPids(sock), [])
  })

  test('a master that died leaves a socket the next run replaces, without a retry', async () => {
    const a = transport(2)
    await a.exec(['true'])
    const sock = a.controlPath!
    await a.close()
    const [pid] = masterPids(sock)
    process.kill(pid, 'SIGKILL')
    await until('the master to die', () => !running(pid))
    assert.ok(sockets().includes(sock), 'SIGKILL left the socket behind')
    const b = transport(2)
    assert.is((await b.exec(['hostname'])).stdout.toString().trim(), fleet.hosts[1].name)
    assert.is(b.stats.connects, 1)
    assert.is(b.stats.retries, 0)
    assert.is(masterPids(sock).length, 1)
    await b.close()
  })

  test('two transports starting at once make one master between them', async () => {
    endShared()
    await until('no shared master of host 1', () => sockets().every((s) => masterPids(s).length === 0))
    for (const s of sockets()) rmSync(s, {force: true})
    const a = transport(1)
    const b = transport(1)
    const rs = await Promise.all([a.exec(['true']), b.exec(['true']), a.exec(['true']), b.exec(['true'])])
    assert.ok(rs.every((r) => r.code === 0))
    assert.is(a.stats.connects + b.stats.connects, 1, 'the lock let one of them connect')
    assert.is(masterPids(a.controlPath!).length, 1)
    assert.is(await fleet.connections(1), 1)
    await Promise.all([a.close(), b.close()])
  })

  test('other settings (another known_hosts) never reuse a master', async () => {
    const a = transport(1)
    await a.exec(['true'])
    const c = transport(1, {connectTimeoutMs: 7_000})
    await c.exec(['true'])
    assert.is.not(c.controlPath, a.controlPath)
    assert.is(c.stats.connects, 1)
    await Promise.all([a.close(), c.close()])
  })

  test('a master hanging on a partitioned host is ended; the next run gets HostError, not a hang', async () => {
    const fast = {connectTimeoutMs: 1_000, retries: 1, backoffMs: 100, retryBudgetMs: 5_000}
    const a = transport(2, fast)
    await a.exec(['true'])
    const sock = a.controlPath!
    await a.close()
    const [pid] = masterPids(sock)
    await fleet.partition(2)
    try {
      const b = transport(2, fast)
      const err = await b.exec(['true']).then(() => undefined, (e: unknown) => e)
      assert.instance(err, HostError)
      assert.ok((err as HostError).transient, 'unreachable: transient')
      await until('the hung master to be ended', () => !running(pid))
    } finally {
      await fleet.heal(2)
    }
    const c = transport(2, fast)
    assert.is((await c.exec(['hostname'])).stdout.toString().trim(), fleet.hosts[1].name)
    assert.is(c.stats.connects, 1)
  })

  test('a live master that refuses one more session is left to the runs using it; this run takes its own', async () => {
    // the fleet's sshd allows 64 sessions per connection (test/fleet/up.sh): a takes them all
    const a = transport(1, {maxSessions: 64, limiter: new Limiter({concurrency: 100})})
    await a.exec(['true'])
    const sock = a.controlPath!
    const busy = Array.from({length: 64}, () => a.exec(['sleep', '4']).then((x) => x.code, (e: Error) => e.message))
    await until('64 sessions on the host', () => a.stats.commands >= 65, 10_000)
    const b = transport(1)
    const r = await b.exec(['hostname'])
    assert.is(r.stdout.toString().trim(), fleet.hosts[0].name)
    assert.is(b.stats.connects, 1)
    assert.is.not(b.controlPath, sock, 'b went on with a private master')
    assert.equal([...new Set(await Promise.all(busy))], [0], "a's commands were not disturbed")
    assert.is(masterPids(sock).length, 1, 'the shared master still runs')
    await b.close()
    await a.close()
  })
}

test.run()
