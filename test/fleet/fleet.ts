/**
 * A real fleet of SSH hosts for tests and benchmarks: a thin wrapper over
 * test/fleet/up.sh and down.sh (see their headers and docs/fleet.md).
 *
 *   const fleet = await fleetUp(3, 'tst')
 *   try { … new SshTransport(fleet.target(fleet.hosts[0]), fleet.transportOptions()) … }
 *   finally { await fleet.down() }
 *
 * Needs root, sshd (openssh-server), iproute2 and util-linux; `fleetSkipReason()`
 * says why a test cannot run here.
 */
import {execFile} from 'node:child_process'
import {accessSync, constants, existsSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {SshTarget} from '../../src/transport/ssh-target.js'

/** One host, as up.sh's inventory (FLEET_DIR/fleet.json) describes it. */
export interface FleetHost {
  /** 1-based */
  index: number
  /** also its hostname and its netns: `P-hI` */
  name: string
  address: string
  port: number
  netns: string
  /** the root-namespace end of its veth (partition = link down) */
  veth: string
  /** `ssh-ed25519 AAAA…`, for spec.ssh.hostKey */
  hostKey: string
  /** bind-mounted at the host's /var/lib/tsctl */
  dataDir: string
  /** bind-mounted at the host's /root */
  home: string
  /** its sshd in the root PID namespace (PID 1 of its own) */
  pid: number
}

export interface Fleet {
  prefix: string
  dir: string
  /** e.g. 198.19.250.0/24 */
  subnet: string
  /** the bridge's address: where a server the hosts must reach listens */
  gateway: string
  user: string
  /** the client private key */
  identity: string
  /** known_hosts with every host's key, under its name and its address */
  knownHosts: string
  /** `ssh -F sshConfig P-h1` works */
  sshConfig: string
  /** Node manifests (YAML) for every host, with pinned host keys */
  nodes: string
  hosts: FleetHost[]
  /** A Node as SshTransport takes it (user, identity, pinned host key). */
  target(host: HostRef, opts?: {pin?: boolean}): SshTarget
  /** SshTransport options that isolate from ~/.ssh (config /dev/null, this fleet's known_hosts). */
  transportOptions(): {configFile: string; knownHostsFile: string}
  /**
   * Runs ARGV inside the host's namespaces (net, mount, uts, pid) without
   * SSH, e.g. to look at what the runtime left there. Resolves with stdout;
   * rejects when it exits non-zero.
   */
  inHost(host: HostRef, argv: string[]): Promise<string>
  /** Established SSH connections the host's sshd has now (counted inside its netns). */
  connections(host: HostRef): Promise<number>
  /** The host's veth goes down: packets to it vanish (connects time out). */
  partition(host: HostRef): Promise<void>
  heal(host: HostRef): Promise<void>
  /** SIGKILL of the host's sshd and everything in its PID namespace. */
  crash(host: HostRef): Promise<void>
  /** up.sh again: starts crashed hosts (new pids in `hosts`), heals partitions. */
  restart(host?: HostRef): Promise<void>
  /** down.sh: nothing of the fleet remains. Safe to call twice. */
  down(): Promise<void>
}

/** A host by object, name or 1-based index. */
export type HostRef = FleetHost | string | number

const scripts = findScripts()

function findScripts(): string {
  // Compiled to dist/test/fleet/, or run from test/fleet/ itself.
  const here = dirname(fileURLToPath(import.meta.url))
  for (const d of [here, resolve(here, '../../../test/fleet')]) if (existsSync(join(d, 'up.sh'))) return d
  throw new Error(`test/fleet/up.sh not found from ${here}`)
}

/** True while PID runs. A zombie is not running: this machine's PID 1 may reap orphans late. */
export function running(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** Why a fleet cannot be brought up here, or undefined when it can. */
export function fleetSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the test fleet needs root (network namespaces, mounts)'
  for (const p of ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/ssh-keygen', '/usr/bin/nsenter', '/usr/bin/unshare']) {
    try { accessSync(p, constants.X_OK) } catch { return `${p} is missing (apt-get install openssh-server openssh-client util-linux)` }
  }
  if (!existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip') && !existsSync('/bin/ip')) return 'ip is missing (apt-get install iproute2)'
  return undefined
}

function sh(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((ok, fail) => {
    execFile(cmd, args, {timeout: timeoutMs, maxBuffer: 16 << 20}, (err, stdout, stderr) => {
      if (err) fail(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`))
      else ok(stdout)
    })
  })
}

interface Inventory {
  prefix: string
  dir: string
  subnet: string
  gateway: string
  user: string
  identity: string
  knownHosts: string
  sshConfig: string
  nodes: string
  hosts: Omit<FleetHost, 'index'>[]
}

function readInventory(dir: string): Inventory {
  return JSON.parse(readFileSync(join(dir, 'fleet.json'), 'utf8')) as Inventory
}

/**
 * Brings up N hosts named PREFIX-h1..N (up.sh N --prefix PREFIX) and returns
 * the fleet. Idempotent like up.sh. Use a prefix per test file so parallel
 * runs do not meet; `net` picks 198.19.NET.0/24 (default: the first free of 250..255).
 */
export async function fleetUp(n: number, prefix = 'tsf', opts: {net?: number} = {}): Promise<Fleet> {
  const args = [String(n), '--prefix', prefix]
  if (opts.net !== undefined) args.push('--net', String(opts.net))
  const up = () => sh(join(scripts, 'up.sh'), args)
  let dir: string
  try {
    dir = (await up()).trim().split('\n').pop()!
  } catch (e) {
    // Leave nothing half made behind a failed start.
    await sh(join(scripts, 'down.sh'), ['--prefix', prefix]).catch(() => {})
    throw e
  }
  const inv = readInventory(dir)
  const hosts: FleetHost[] = inv.hosts.map((h, i) => ({...h, index: i + 1}))
  const refresh = () => {
    const fresh = readInventory(dir).hosts
    hosts.forEach((h, i) => Object.assign(h, fresh[i]))
  }
  const host = (ref: HostRef): FleetHost => {
    const h = typeof ref === 'number' ? hosts[ref - 1] : typeof ref === 'string' ? hosts.find((x) => x.name === ref) : ref
    if (!h) throw new Error(`no host ${String(ref)} in fleet ${prefix}`)
    return h
  }
  let isDown = false
  return {
    prefix: inv.prefix, dir, subnet: inv.subnet, gateway: inv.gateway, user: inv.user,
    identity: inv.identity, knownHosts: inv.knownHosts, sshConfig: inv.sshConfig, nodes: inv.nodes, hosts,
    target(ref, o = {}) {
      const h = host(ref)
      return {node: h.name, address: h.address,
        ssh: {user: inv.user, port: h.port, identityFile: inv.identity, ...(o.pin ? {hostKey: h.hostKey} : {})}}
    },
    transportOptions: () => ({configFile: '/dev/null', knownHostsFile: inv.knownHosts}),
    inHost(ref, argv) {
      const pid = readFileSync(join(dir, `h${host(ref).index}`, 'sshd.pid'), 'utf8').trim()
      return sh('nsenter', ['-t', pid, '-n', '-m', '-u', '-p', '--', ...argv])
    },
    async connections(ref) {
      const out = await sh('nsenter', [`--net=/run/netns/${host(ref).netns}`, 'ss', '-Htn', 'state', 'established', '( sport = :22 )'])
      return out.split('\n').filter((l) => l.trim()).length
    },
    async partition(ref) { await sh('ip', ['link', 'set', host(ref).veth, 'down']) },
    async heal(ref) { await sh('ip', ['link', 'set', host(ref).veth, 'up']) },
    async crash(ref) {
      const h = host(ref)
      // The pid file up.sh keeps is the truth; the inventory may be older.
      const pid = Number(readFileSync(join(dir, `h${h.index}`, 'sshd.pid'), 'utf8').trim())
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sshd') throw new Error(`pid ${pid} is not ${h.name}'s sshd`)
      process.kill(pid, 'SIGKILL')
      // Its PID namespace dies with it; wait (bounded) until nothing listens.
      for (let i = 0; i < 100 && running(pid); i++) await new Promise((r) => setTimeout(r, 20))
    },
    async restart() {
      await up()
      refresh()
    },
    async down() {
      if (isDown) return
      await sh(join(scripts, 'down.sh'), ['--prefix', prefix])
      isDown = true
    },
  }
}
