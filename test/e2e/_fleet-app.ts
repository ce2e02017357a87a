// Shared pieces of the fleet integration tests (and bench/e2e.ts): a real
// fleet of SSH hosts (test/fleet), a manifests repo in a temp dir with the
// busybox OCI image, tsctl run as a separate process (as a user or CI
// would, so it can be killed), and a view of every host's pods taken
// without SSH (nsenter into the host's namespaces), so a test can sample
// the hosts while a sync runs and can look at a host whose sshd is down.
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {ObservedPod} from '../../src/reconcile/observed.js'
import {RuntimeClient} from '../../src/host/runtime-client.js'
import type {RunOptions, RunResult, Transport} from '../../src/transport/transport.js'
import {LocalTransport} from '../../src/transport/local.js'
import {buildBusyboxLayout} from '../fixtures/busybox-image.js'
import {fleetSkipReason, fleetUp, type Fleet, type FleetHost} from '../fleet/fleet.js'

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
export const bin = join(repoRoot, 'bin', 'run.js')

/** Why the fleet tests cannot run here (not root, no sshd, no busybox), or undefined. */
export function e2eSkipReason(): string | undefined {
  const r = fleetSkipReason()
  if (r) return r
  try {
    readFileSync('/bin/busybox')
  } catch {
    return '/bin/busybox is missing (apt-get install busybox-static)'
  }
  return undefined
}

export interface Run {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/**
 * The environment tsctl runs with in these tests: no colour, CI-style
 * progress, the fleet's ssh settings, and no SSH masters shared across runs
 * (a fleet's hosts go away with it; `sharedMasters` is for those that want them).
 */
export function tsctlEnv(fleet: Fleet, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, CI: '1', TSCTL_SSH_CONFIG: '/dev/null', TSCTL_SSH_KNOWN_HOSTS: fleet.knownHosts, TSCTL_SSH_PERSIST: '0', ...extra}
  delete env.FORCE_COLOR
  delete env.TSCTL_DEBUG
  return env
}

/** tsctl as a child process; `done` resolves with its exit code and output. */
export function tsctlSpawn(args: string[], cwd: string, env: NodeJS.ProcessEnv): {pid: number; done: Promise<Run>; kill: (sig?: NodeJS.Signals) => void; stderr: () => string; stdout: () => string} {
  const t0 = Date.now()
  const child = spawn(process.execPath, [bin, ...args], {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({code: code ?? (signal === 'SIGKILL' ? 137 : -1), stdout, stderr, ms: Date.now() - t0})))
  return {pid: child.pid!, done, kill: (sig = 'SIGKILL') => child.kill(sig), stderr: () => stderr, stdout: () => stdout}
}

export function tsctl(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return tsctlSpawn(args, cwd, env).done
}

/** A manifests repo in a temp dir: git, tsctl.yaml, the busybox OCI layout (not committed: read from disk), Nodes of the fleet. */
export class AppRepo {
  readonly dir: string
  constructor(prefix: string) {
    this.dir = join(tmpdir(), `tsctl-e2e-${prefix}-${process.pid}`)
    rmSync(this.dir, {recursive: true, force: true})
    mkdirSync(join(this.dir, 'manifests'), {recursive: true})
    this.git('init', '-q', '-b', 'main')
    writeFileSync(join(this.dir, 'tsctl.yaml'), 'manifests:\n  - manifests/\n')
    writeFileSync(join(this.dir, '.gitignore'), '.tsctl/\nimages/\n')
  }

  async init(fleet: Fleet, files: Record<string, string | null>): Promise<string> {
    await buildBusyboxLayout(join(this.dir, 'images', 'busybox'))
    this.write({'manifests/nodes.yaml': nodesYaml(fleet.hosts, fleet), ...files})
    return this.commit('the app')
  }

  git(...args: string[]): string {
    const r = spawnSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@tsctl.test', '-c', 'commit.gpgsign=false', ...args], {cwd: this.dir, encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
    return r.stdout.trim()
  }

  /** Writes files (path → content; null deletes). */
  write(files: Record<string, string | null>): void {
    for (const [p, text] of Object.entries(files)) {
      const f = join(this.dir, p)
      if (text === null) rmSync(f, {force: true})
      else {
        mkdirSync(dirname(f), {recursive: true})
        writeFileSync(f, text)
      }
    }
  }

  /** Commits everything; returns the sha. */
  commit(message: string): string {
    this.git('add', '-A')
    this.git('commit', '-q', '--allow-empty', '-m', message)
    return this.git('rev-parse', 'HEAD')
  }

  get statePath(): string {
    return join(this.dir, '.tsctl', 'state.json')
  }

  /** The state file, parsed (throws when it does not parse). */
  state(): {serial: number; objects: Record<string, {kind: string; metadata: {name: string; uid?: string; deletionTimestamp?: string}; spec?: {nodeName?: string}; status?: {phase?: string}}>; appliedCommit: {sha: string} | null} {
    return JSON.parse(readFileSync(this.statePath, 'utf8'))
  }

  remove(): void {
    rmSync(this.dir, {recursive: true, force: true})
  }
}

/** Node manifests for the fleet's hosts, keys pinned, with a fixed capacity (so `diff` plans as `sync` does). */
export function nodesYaml(hosts: FleetHost[], fleet: Fleet, capacity = {cpu: '4', memory: '8Gi', pods: '110'}): string {
  return hosts
    .map((h) => `apiVersion: v1
kind: Node
metadata:
  name: ${h.name}
spec:
  address: ${h.address}
  capacity:
    cpu: "${capacity.cpu}"
    memory: ${capacity.memory}
    pods: "${capacity.pods}"
  ssh:
    user: ${fleet.user}
    port: ${h.port}
    identityFile: ${fleet.identity}
    hostKey: ${h.hostKey}
`)
    .join('---\n')
}

/**
 * A Transport that runs argv inside a fleet host's namespaces with nsenter:
 * no SSH, so a test can look at a host while tsctl talks to it (or while its
 * sshd is down: then it fails). The cgroup parent is the host's own.
 */
export class NsenterTransport implements Transport {
  readonly node: string
  private readonly local: LocalTransport
  constructor(private readonly fleet: Fleet, private readonly host: FleetHost) {
    this.node = host.name
    this.local = new LocalTransport(host.name, {...process.env, TSCTL_CGROUP_PARENT: cgroupParentOf(host)})
  }
  exec(argv: string[], opts?: RunOptions): Promise<RunResult> {
    const pid = readFileSync(join(this.fleet.dir, `h${this.host.index}`, 'sshd.pid'), 'utf8').trim()
    return this.local.exec(['nsenter', '-t', pid, '-n', '-m', '-u', '-p', '--', ...argv], opts)
  }
  close(): Promise<void> {
    return this.local.close()
  }
}

/** The cgroup parent of a fleet host's pods (test/fleet/up.sh sets it in the host's sshd environment). */
export function cgroupParentOf(host: FleetHost): string {
  return `tsctl-${host.name}`
}

/** Runtime clients on every host over nsenter. */
export function hostClients(fleet: Fleet): Map<string, RuntimeClient> {
  return new Map(fleet.hosts.map((h) => [h.name, new RuntimeClient(new NsenterTransport(fleet, h))]))
}

/** What every host runs now: node → pods (a host that cannot be read maps to null). */
export async function hostPods(clients: Map<string, RuntimeClient>): Promise<Record<string, ObservedPod[] | null>> {
  const out: Record<string, ObservedPod[] | null> = {}
  await Promise.all([...clients].map(async ([name, c]) => {
    try {
      out[name] = await c.status()
    } catch {
      out[name] = null
    }
  }))
  return out
}

/** Pods that are live on a host (not stopped: phase Running or Pending). */
export function live(pods: ObservedPod[] | null): ObservedPod[] {
  return (pods ?? []).filter((p) => p.phase === 'Running' || p.phase === 'Pending')
}

/** Removes every pod on every reachable host and collects garbage: no cgroups or mounts stay behind. */
export async function clearHosts(fleet: Fleet): Promise<void> {
  const clients = hostClients(fleet)
  await Promise.all([...clients.values()].map(async (c) => {
    try {
      for (const p of await c.status()) await c.remove(p.uid, 0).catch(() => {})
      await c.gc().catch(() => {})
    } catch {
      // an unreachable host: its PID namespace is gone with its sshd; cgroups are removed below
    }
  }))
  for (const c of clients.values()) await c.transport.close()
  // cgroup directories of crashed hosts (their processes died with the namespace)
  for (const h of fleet.hosts) removeCgroupParent(cgroupParentOf(h))
}

/** Mount points of every cgroup hierarchy (v1 and v2), from /proc/self/mountinfo. */
function cgroupMounts(): string[] {
  const out: string[] = []
  for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = l.split(' ')
    const sep = f.indexOf('-')
    if (f[sep + 1] === 'cgroup' || f[sep + 1] === 'cgroup2') out.push(f[4])
  }
  return out
}

/** rmdir of a cgroup parent (and its empty children) in every hierarchy; ignores what is busy or absent. */
export function removeCgroupParent(parent: string): void {
  for (const m of cgroupMounts()) {
    spawnSync('sh', ['-c', 'd=$1; [ -d "$d" ] || exit 0; find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; exit 0', 'sh', join(m, parent)])
  }
}

/** Leftovers of the fleet's pods: cgroup dirs of its parents. Empty when clean. */
export function cgroupLeftovers(fleet: Fleet): string[] {
  const left: string[] = []
  for (const m of cgroupMounts()) {
    for (const h of fleet.hosts) {
      const p = join(m, cgroupParentOf(h))
      const r = spawnSync('sh', ['-c', '[ -d "$1" ] && find "$1" -mindepth 1 -type d', 'sh', p], {encoding: 'utf8'})
      if (r.stdout.trim()) left.push(...r.stdout.trim().split('\n'))
    }
  }
  return left
}

/** Removes the fleet's pods, the fleet, and its cgroup parents (freed only once its processes are gone). */
export async function tearDownFleet(fleet: Fleet): Promise<void> {
  await clearHosts(fleet).catch((e) => console.error('clearing hosts:', e))
  await fleet.down()
  for (const h of fleet.hosts) removeCgroupParent(cgroupParentOf(h))
}

/** Brings up a fleet and tears it down with its pods whatever happens in FN. */
export async function withFleet<T>(n: number, prefix: string, fn: (fleet: Fleet) => Promise<T>): Promise<T> {
  const fleet = await fleetUp(n, prefix)
  try {
    return await fn(fleet)
  } finally {
    await tearDownFleet(fleet)
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls FN until it returns a truthy value or MS pass (then throws with WHAT). */
export async function until<T>(fn: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(200)
  }
}

/** Pids of the SSH masters on this machine (`ssh … -N`) with an argument containing NEEDLE (a control path or directory). */
export function sshMasterPids(needle: string): number[] {
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
      if (argv[0]?.endsWith('ssh') && argv.includes('-N') && argv.some((a) => a.includes(needle))) out.push(Number(d))
    } catch { /* exited */ }
  }
  return out.sort((a, b) => a - b)
}

/**
 * A control directory of its own for runs that share SSH masters
 * (`env` to pass to tsctlEnv's extra), and `close()`, which ends every
 * master in it and removes it: masters of a fleet must not outlive it.
 */
export function sharedMasters(persistS = 60): {env: Record<string, string>; dir: string; masters: () => string[]; pids: () => number[]; close: () => void} {
  const dir = join('/tmp', `tsctl-sm-${process.pid}-${Date.now().toString(36)}`)
  mkdirSync(dir, {mode: 0o700})
  const masters = () => {
    try {
      return readdirSync(dir).filter((n) => n.startsWith('m-') && existsSync(join(dir, n, 'cm'))).map((n) => join(dir, n, 'cm'))
    } catch {
      return []
    }
  }
  const pids = () => sshMasterPids(dir)
  return {
    env: {TSCTL_SSH_PERSIST: String(persistS), TSCTL_SSH_CONTROL_DIR: dir},
    dir,
    masters,
    pids,
    close() {
      for (const sock of masters()) spawnSync('ssh', ['-F', '/dev/null', '-o', `ControlPath=${sock}`, '-O', 'exit', 'tsctl-shared-master'], {stdio: 'ignore', timeout: 5000})
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
