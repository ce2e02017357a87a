import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {closeSync, existsSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {HostError} from '../errors.js'
import type {RunOptions, RunResult, Transport} from './transport.js'
import {newControlDir, sharedControlDir} from './control-dir.js'
import {defaultLimiter, Limiter} from './limiter.js'
import {shJoin} from './quote.js'
import {checkSshTarget, type SshTarget} from './ssh-target.js'

export type {NodeSshSpec, SshTarget} from './ssh-target.js'

/** Settings of the SSH transport that belong to the tsctl run, not to a Node. */
export interface SshTransportOptions {
  /** shared by all transports of a run: `--concurrency` and the new-connection pace */
  limiter?: Limiter
  /** commands in flight on this host at once (sshd's MaxSessions defaults to 10); default 8 */
  maxSessions?: number
  /** TCP connect + banner, per attempt (ssh ConnectTimeout); default 10 000 */
  connectTimeoutMs?: number
  /** extra attempts after a transient connection failure; default 2 */
  retries?: number
  /** no retry starts after this much time since the first attempt; default 30 000 */
  retryBudgetMs?: number
  /** first back-off delay; doubles per retry, capped at 2 s, ±25 % jitter; default 250 */
  backoffMs?: number
  /** keep-alives on the master, so a dead host is noticed: interval (s) and count; default 5 and 3 */
  serverAliveIntervalS?: number
  serverAliveCountMax?: number
  /** how long an idle master outlives its last command (also bounds a leak after a crash); default 60 */
  controlPersistS?: number
  /**
   * share the master with later tsctl runs of this user (Ansible's
   * ControlPersist): it lives in the per-user control directory under a
   * name made of the connection settings, outlives close() by
   * controlPersistS idle, and is adopted by the next transport with the
   * same settings; default false (the CLI's default comes from TSCTL_SSH_PERSIST)
   */
  persist?: boolean
  /** a known_hosts file to use instead of the user's (a test fleet's); ignored when the Node pins `hostKey` */
  knownHostsFile?: string
  /** 'yes' (default) refuses unknown hosts; 'accept-new' records them on first contact */
  strictHostKeyChecking?: 'yes' | 'accept-new'
  /** an ssh_config to use instead of ~/.ssh/config (`ssh -F`); tests pass /dev/null */
  configFile?: string
  /** the ssh client; default `ssh` from PATH */
  sshPath?: string
}

/** Counters for tests, benchmarks and progress output. */
export interface SshStats {
  /** new SSH connections (masters) made */
  connects: number
  /** commands that ran (or started to) on the host */
  commands: number
  /** attempts repeated after a transient connection failure */
  retries: number
}

/** What became of one attempt to run a command over the master. */
type Attempt =
  | {kind: 'done'; result: RunResult}
  /** the command never started: safe to try again */
  | {kind: 'unreached'; why: string}
  /** it started and then the connection went: it may have run */
  | {kind: 'lost'; why: string}
  | {kind: 'timeout'; started: boolean}

/** A failure to set up the master connection. */
class ConnectFailure extends Error {
  constructor(message: string, readonly transient: boolean) {
    super(message)
  }
}

// Markers the remote shell writes to stderr around the command: \x01 before
// it starts, \x02CODE after it ends. They tell "never ran" (retry is safe)
// from "ran and exited 255" (ssh's own failure code) from "connection lost
// while running" (may have run: never retried).
const START = '\x01'
const END = /\x02(\d{1,3})\n/g

/**
 * `Transport` over the system OpenSSH client, one master connection
 * (ControlMaster) per host in a private 0700 directory, reused by every
 * command. The user's ~/.ssh/config, agent, certificates and ProxyJump work
 * as they do for `ssh`; tsctl only sets what it must: BatchMode (never
 * prompt), ConnectTimeout, keep-alives, strict host key checking (or the
 * Node's pinned key), and the Node's user/port/identityFile/proxyJump.
 *
 * exec quotes every argv element for the remote POSIX login shell (sh, bash,
 * dash, ksh, zsh; not csh or fish) and runs it as a program, never as a
 * shell builtin. It retries only failures that happened before the command
 * started, with back-off, bounded in count and time, and then rejects with a
 * HostError (`transient` true for reachability, false for host key,
 * authentication or configuration problems that retrying cannot fix).
 * A command whose connection breaks after it started is never retried.
 */
export class SshTransport implements Transport {
  readonly node: string
  readonly stats: SshStats = {connects: 0, commands: 0, retries: 0}
  private readonly target: SshTarget
  private readonly opts: Required<Omit<SshTransportOptions, 'knownHostsFile' | 'configFile' | 'limiter'>> &
    Pick<SshTransportOptions, 'knownHostsFile' | 'configFile'>
  private readonly limiter: Limiter
  private readonly sessions: Limiter
  private dir?: string
  private masterUp = false
  /** bumped by every master start, so a stale failure cannot take down a newer master */
  private generation = 0
  private starting?: Promise<void>
  /** the master is the shared one (persist), until a failure on it sends this transport to a private one */
  private shared: boolean
  /** set when a command could not start over the shared master: it is checked before it is used again */
  private sharedFailed = false
  /** the shared master was found, not made, and no command has started over it yet */
  private adopted = false
  /** the adopted master answered nothing within connectTimeoutMs: it hangs for every run (a dead TCP peer) */
  private adoptedHung = false

  /** Throws UserError (exit 2) when the Node's address or spec.ssh is unsafe or malformed. */
  constructor(target: SshTarget, options: SshTransportOptions = {}) {
    checkSshTarget(target)
    this.target = target
    this.node = target.node
    this.limiter = options.limiter ?? defaultLimiter
    this.sessions = new Limiter({concurrency: options.maxSessions ?? 8})
    this.opts = {
      maxSessions: options.maxSessions ?? 8,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      retries: options.retries ?? 2,
      retryBudgetMs: options.retryBudgetMs ?? 30_000,
      backoffMs: options.backoffMs ?? 250,
      serverAliveIntervalS: options.serverAliveIntervalS ?? 5,
      serverAliveCountMax: options.serverAliveCountMax ?? 3,
      controlPersistS: options.controlPersistS ?? 60,
      persist: options.persist ?? false,
      strictHostKeyChecking: options.strictHostKeyChecking ?? 'yes',
      sshPath: options.sshPath ?? 'ssh',
      knownHostsFile: options.knownHostsFile,
      configFile: options.configFile,
    }
    for (const f of [options.knownHostsFile, options.configFile]) {
      if (f !== undefined && !/^[^\s"'\\%]+$/.test(f)) throw new TypeError(`unsupported characters in path ${JSON.stringify(f)}`)
    }
    this.shared = this.opts.persist && this.opts.controlPersistS > 0
  }

  /**
   * The shared master's name: a hash of everything that decides where the
   * connection goes and what it trusts (address, spec.ssh with a pinned key,
   * ssh_config, known_hosts, host key policy, the ssh client), so a Node
   * whose settings changed never reuses a master made under the old ones.
   */
  private sharedKey(): string {
    const o = this.opts
    const what = [this.target.address, this.target.ssh ?? {}, o.configFile ?? '', o.knownHostsFile ?? '', o.strictHostKeyChecking, o.sshPath, o.connectTimeoutMs]
    return createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16)
  }

  /** The control socket; exists while a master runs. */
  get controlPath(): string | undefined {
    return this.dir && join(this.dir, 'cm')
  }

  /**
   * `exec -t`: ssh -tt over the master, stdio handed over; ssh puts the
   * local terminal in raw mode and passes the window size. No stderr
   * markers (a pty merges the streams), so a connection failure is exit
   * 255, as with ssh itself.
   */
  async interactive(argv: string[]): Promise<number> {
    if (argv.length === 0) throw new TypeError('interactive needs a program')
    await this.ensureMaster(Date.now() + this.opts.connectTimeoutMs * 2 + 5_000)
    const args = [...this.base(this.controlPath!), '-o', 'ControlMaster=no', '-tt', '--', this.target.address, `exec ${shJoin(argv)}`]
    return new Promise((resolve, reject) => {
      const child = spawn(this.opts.sshPath, args, {stdio: 'inherit'})
      child.on('error', reject)
      child.on('close', (code) => resolve(code ?? 255))
    })
  }

  async exec(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new TypeError('exec needs a program')
    // A subshell that execs the program: argv[0] is always a program (never
    // `exit` or `cd` as a builtin), and the markers frame exactly its run.
    const line = `printf '\\001' >&2; (exec ${shJoin(argv)}); s=$?; printf '\\002%d\\n' "$s" >&2; exit "$s"`
    const first = Date.now()
    const deadline = opts.timeoutMs === undefined ? Infinity : first + opts.timeoutMs
    // The per-host session slot is taken first, so commands queued for one
    // busy host do not hold run-wide slots that other hosts could use.
    return this.sessions.run(() => this.limiter.run(async () => {
      // One reconnect per exec is free: a master that was up may simply
      // have outlived ControlPersist; that is not a failure of the host.
      let freeReconnect = true
      // An earlier run's master is adopted before the first attempt, so that
      // finding it gone is the free reconnect too.
      if (this.shared && !this.dir) this.adoptShared()
      for (let attempt = 0; ; attempt++) {
        let why: string
        try {
          const wasUp = this.masterUp
          await this.ensureMaster(deadline)
          const generation = this.generation
          const r = await this.attempt(line, opts, deadline)
          if (r.kind === 'done') return r.result
          if (r.kind === 'lost') throw new HostError(this.node, `connection lost while the command ran (it may have run; not retried): ${r.why}`, true)
          if (r.kind === 'timeout') {
            throw new HostError(this.node, r.started
              ? `command timed out after ${opts.timeoutMs} ms (it may have run)`
              : `could not reach ${this.where()} within ${opts.timeoutMs} ms`, true)
          }
          // Only the master this attempt used is declared gone: a
          // concurrent exec may already have replaced it with a good one.
          if (generation === this.generation) {
            this.masterUp = false
            if (this.shared) this.sharedFailed = true
          }
          if (wasUp && freeReconnect) {
            freeReconnect = false
            attempt--
            continue
          }
          why = r.why
        } catch (e) {
          if (!(e instanceof ConnectFailure)) throw e
          if (!e.transient) throw new HostError(this.node, e.message, false)
          why = e.message
        }
        const delay = backoff(this.opts.backoffMs, attempt)
        const now = Date.now()
        if (attempt >= this.opts.retries || now + delay > first + this.opts.retryBudgetMs || now + delay >= deadline) {
          throw new HostError(this.node, `could not reach ${this.where()} (${attempt + 1} attempt${attempt ? 's' : ''}): ${why}`, true)
        }
        this.stats.retries++
        await sleep(delay)
      }
    }))
  }

  /** Ends the master (`ssh -O exit`) and removes the control directory. Safe to call twice. */
  async close(): Promise<void> {
    const dir = this.dir
    if (!dir) return
    this.dir = undefined
    // A master being set up finishes first (and is then ended below).
    await this.starting?.catch(() => {})
    this.masterUp = false
    // A shared master stays for the next run; it ends after ControlPersist idle.
    if (this.shared) return
    if (existsSync(join(dir, 'cm'))) {
      // `-O check` (for the master's pid), then `-O exit`, run by one `sh`:
      // every spawn from node forks the whole node process on the main
      // thread (5-10 ms each on a loaded machine), and a sync closing 20
      // hosts spent about 0.25 s here with two spawns per host; sh forking
      // ssh twice is cheap. Every argument is passed as a positional
      // parameter, never interpolated into the script.
      const script = 'p=$1; a=$2; shift 2; "$p" "$@" -O check -- "$a"; "$p" "$@" -O exit -- "$a"'
      const r = await run('/bin/sh', ['-c', script, 'sh', this.opts.sshPath, this.target.address, ...this.base(join(dir, 'cm'))], 10_000)
      // `-O exit` only asks: wait (bounded) until the master has gone, so a
      // caller that counts processes or removes a fleet right after sees none.
      const pid = Number(/pid=(\d+)/.exec(r.stderr)?.[1])
      for (let i = 0; pid && i < 100 && alive(pid); i++) await sleep(20)
    }
    rmSync(dir, {recursive: true, force: true})
  }

  private where(): string {
    const port = this.target.ssh?.port
    return port && port !== 22 ? `${this.target.address}:${port}` : this.target.address
  }

  /** One master per transport; concurrent callers share the one being set up. */
  private async ensureMaster(deadline: number): Promise<void> {
    if (this.masterUp) return
    if (this.shared && !this.dir && this.adoptShared()) return
    this.starting ??= this.limiter.connect(() => this.startMaster(deadline)).finally(() => (this.starting = undefined))
    await this.starting
  }

  /** A shared master of an earlier run is there: use it (the first command tells whether it still works). */
  private adoptShared(): boolean {
    this.dir = sharedControlDir(this.sharedKey())
    if (!existsSync(join(this.dir, 'cm'))) return false
    this.masterUp = true
    this.adopted = true
    this.generation++
    return true
  }

  private async startMaster(deadline: number): Promise<void> {
    if (this.masterUp) return
    if (this.shared && (await this.startShared(deadline))) return
    if (!this.dir) {
      // the per-user control directory (control-dir.ts): one place, swept of dead runs
      this.dir = newControlDir()
      this.writePinnedKeys(this.dir)
    }
    const sock = join(this.dir, 'cm')
    if (existsSync(sock)) {
      // A command failed although a socket is there: the old master may
      // still run (e.g. the host refused one more session) and must not be
      // orphaned; a dead one's socket would make the new master run without
      // multiplexing ("already exists, disabling multiplexing").
      await run(this.opts.sshPath, [...this.base(sock), '-O', 'exit', '--', this.target.address], 2_000)
      try { unlinkSync(sock) } catch { /* gone with its master */ }
    }
    await this.spawnMaster(sock, deadline)
  }

  /**
   * The shared master: made under a lock file (two runs starting at once
   * must not make two: the second's socket would be refused and its
   * connection would never end), unless one is there. After a command
   * could not start over it, it is asked whether it still runs: a dead one
   * is replaced, one that hangs is told to exit and replaced, and a live one
   * (say the host refused one more session) is left to the runs using it
   * while this transport goes on with a private master of its own.
   * Returns false when this transport should take the private path.
   */
  private async startShared(deadline: number): Promise<boolean> {
    if (!this.dir) this.adoptShared()
    const dir = this.dir!
    const sock = join(dir, 'cm')
    const release = await this.lockShared(dir, deadline)
    try {
      if (existsSync(sock)) {
        const up = !this.adoptedHung && (await run(this.opts.sshPath, [...this.base(sock), '-O', 'check', '--', this.target.address], 2_000)).code === 0
        if (up && !this.sharedFailed) {
          // another run made it while this one waited for the lock
          this.masterUp = true
          this.generation++
          return true
        }
        if (up) {
          this.shared = false
          this.dir = undefined
          return false
        }
        await run(this.opts.sshPath, [...this.base(sock), '-O', 'exit', '--', this.target.address], 2_000)
        try { unlinkSync(sock) } catch { /* gone with its master */ }
      }
      this.sharedFailed = false
      this.adoptedHung = false
      this.adopted = false
      this.writePinnedKeys(dir)
      await this.spawnMaster(sock, deadline)
      return true
    } finally {
      release()
    }
  }

  /** `lock` in the shared directory, holding the pid; a dead holder's or an old one's is taken over. Bounded by DEADLINE and the connect time. */
  private async lockShared(dir: string, deadline: number): Promise<() => void> {
    const lock = join(dir, 'lock')
    const limitMs = this.opts.connectTimeoutMs * 2 + 5_000
    const end = Math.min(deadline, Date.now() + limitMs)
    for (;;) {
      try {
        const fd = openSync(lock, 'wx', 0o600)
        writeSync(fd, `${process.pid}\n`)
        closeSync(fd)
        return () => { try { unlinkSync(lock) } catch { /* taken over */ } }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      let stale = false
      try {
        const pid = Number(readFileSync(lock, 'utf8').trim())
        stale = !(pid > 0 && alive(pid)) || Date.now() - statSync(lock).mtimeMs > limitMs
      } catch { /* just released */ }
      if (stale) { try { unlinkSync(lock) } catch { /* another took it */ } continue }
      if (Date.now() >= end) throw new ConnectFailure(`could not reach ${this.where()}: another tsctl run is connecting to it (lock ${lock})`, true)
      await sleep(25)
    }
  }

  /** A Node's pinned keys as the known_hosts file of the master made in DIR (connectArgs). */
  private writePinnedKeys(dir: string): void {
    const keys = this.target.ssh?.hostKey
    if (keys === undefined) return
    const lines = (Array.isArray(keys) ? keys : [keys]).map((k) => `${PINNED_ALIAS} ${k.trim()}\n`)
    writeFileSync(join(dir, 'known_hosts'), lines.join(''), {mode: 0o600})
  }

  /** Starts a master on SOCK (`ssh -M -N -f`); throws ConnectFailure with the reason when it cannot. */
  private async spawnMaster(sock: string, deadline: number): Promise<void> {
    const args = [...this.base(sock), ...this.connectArgs(),
      '-o', 'ControlMaster=yes', '-o', `ControlPersist=${this.opts.controlPersistS}`, '-N', '-f', '--', this.target.address]
    const limit = Math.min(this.opts.connectTimeoutMs * 2 + 5_000, deadline - Date.now())
    if (limit <= 0) throw new ConnectFailure(`could not reach ${this.where()}: out of time`, true)
    const r = await run(this.opts.sshPath, args, limit)
    this.stats.connects++
    this.generation++
    if (r.code === 0) {
      this.masterUp = true
      return
    }
    const text = r.timedOut ? `no answer within ${limit} ms` : sshMessage(r.stderr) || `ssh exited with ${r.code ?? r.signal}`
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* is known for|No \S+ host key is known/i.test(r.stderr)) {
      const pinned = this.target.ssh?.hostKey !== undefined
      const fp = /SHA256:[A-Za-z0-9+/=]+/.exec(r.stderr)?.[0]
      const presented = fp ? ` (it presented ${fp})` : ''
      throw new ConnectFailure(`host key verification failed for ${this.where()}; no command was run: ` + (pinned
        ? `the key the host presented${presented} does not match spec.ssh.hostKey; check it with ssh-keyscan ${this.where()}`
        : /No \S+ host key is known/.test(r.stderr)
          ? `its key is not in known_hosts; verify it and add it (ssh-keyscan), or pin it in spec.ssh.hostKey`
          : `its key${presented} differs from the one in known_hosts; if the host was reinstalled, verify and replace it`), false)
    }
    if (PERMANENT.test(r.stderr)) throw new ConnectFailure(`cannot log in to ${this.where()}: ${text}`, false)
    throw new ConnectFailure(text, true)
  }

  /** Options every ssh invocation (master, command, -O exit) shares. */
  private base(sock: string): string[] {
    const a: string[] = []
    if (this.opts.configFile !== undefined) a.push('-F', this.opts.configFile)
    a.push('-o', 'BatchMode=yes', '-o', `ControlPath=${sock}`)
    return a
  }

  /** Options that matter when a connection is made. */
  private connectArgs(): string[] {
    const s = this.target.ssh ?? {}
    const a = [
      '-o', `ConnectTimeout=${Math.max(1, Math.ceil(this.opts.connectTimeoutMs / 1000))}`,
      '-o', `ServerAliveInterval=${this.opts.serverAliveIntervalS}`,
      '-o', `ServerAliveCountMax=${this.opts.serverAliveCountMax}`,
    ]
    if (s.hostKey !== undefined) {
      // Only the pinned key is trusted: a per-node file, looked up under a
      // fixed alias so ssh_config's HostName or the port cannot miss it.
      a.push('-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${join(this.dir!, 'known_hosts')}`,
        '-o', 'GlobalKnownHostsFile=/dev/null', '-o', `HostKeyAlias=${PINNED_ALIAS}`,
        '-o', 'UpdateHostKeys=no', '-o', 'CheckHostIP=no')
    } else {
      a.push('-o', `StrictHostKeyChecking=${this.opts.strictHostKeyChecking}`)
      if (this.opts.knownHostsFile !== undefined) a.push('-o', `UserKnownHostsFile=${this.opts.knownHostsFile}`)
    }
    if (s.user !== undefined) a.push('-l', s.user)
    if (s.port !== undefined) a.push('-p', String(s.port))
    // ssh expands %-tokens in IdentityFile; a literal % must be doubled.
    if (s.identityFile !== undefined) a.push('-i', s.identityFile.replaceAll('%', '%%'), '-o', 'IdentitiesOnly=yes')
    if (s.proxyJump !== undefined) a.push('-J', s.proxyJump)
    return a
  }

  private attempt(line: string, opts: RunOptions, deadline: number): Promise<Attempt> {
    // ControlMaster=no plus a ProxyCommand that fails: if the master has
    // gone, this fails at once instead of opening a connection that
    // bypasses the limiter's start-up pacing; exec then makes a new master.
    const args = [...this.base(this.controlPath!), '-o', 'ControlMaster=no', '-o', 'ProxyCommand=/bin/false',
      '-T', '--', this.target.address, line]
    return new Promise((resolve, reject) => {
      const child = spawn(this.opts.sshPath, args, {stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']})
      const out: Buffer[] = []
      const err: Buffer[] = []
      let started = false
      let timedOut = false
      let localError: Error | undefined
      const stdin = opts.stdin
      child.stdin?.on('error', () => { /* EPIPE when the remote side stops reading: its exit code tells */ })
      if (Buffer.isBuffer(stdin)) child.stdin!.end(stdin)
      const startStream = () => {
        // A stream can be read once: feed it only when the command runs, so
        // an attempt that never started leaves it intact for the retry.
        if (stdin instanceof Readable) {
          stdin.once('error', (e) => { localError = e; child.kill('SIGTERM') })
          stdin.pipe(child.stdin!)
        }
      }
      child.stdout!.on('data', (d: Buffer) => { out.push(d); opts.onStdout?.(d) })
      // An adopted master of an earlier run may hang on a peer that went
      // away (until its keep-alives give up): a command that has not started
      // within the connect timeout counts as not reached, as a new
      // connection would, and the master is replaced.
      let hung = false
      const startTimer = this.adopted ? setTimeout(() => { hung = true; this.adoptedHung = true; child.kill('SIGTERM') }, this.opts.connectTimeoutMs) : undefined
      child.stderr!.on('data', (d: Buffer) => {
        err.push(d)
        if (!started && d.includes(1)) {
          started = true
          clearTimeout(startTimer)
          this.adopted = false
          this.stats.commands++
          startStream()
        }
      })
      let killer: NodeJS.Timeout | undefined
      const timer = deadline === Infinity ? undefined : setTimeout(() => {
        timedOut = true
        child.kill('SIGTERM')
        killer = setTimeout(() => child.kill('SIGKILL'), 2_000)
      }, Math.max(0, deadline - Date.now()))
      child.on('error', (e) => { clearTimeout(timer); clearTimeout(killer); clearTimeout(startTimer); reject(e) })
      // After a timeout, do not wait for the pipes: something the killed ssh
      // started (a ProxyCommand, say) may still hold them open.
      child.on('exit', () => {
        if (!timedOut) return
        clearTimeout(killer)
        child.stdout!.destroy()
        child.stderr!.destroy()
        resolve({kind: 'timeout', started})
      })
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        clearTimeout(killer)
        clearTimeout(startTimer)
        if (hung && !started) return resolve({kind: 'unreached', why: `the SSH master of an earlier run did not answer within ${this.opts.connectTimeoutMs} ms`})
        if (localError) return reject(localError)
        const stderr = Buffer.concat(err).toString('utf8')
        const ends = [...stderr.matchAll(END)]
        const end = ends[ends.length - 1]
        if (started && end) {
          const clean = (stderr.slice(0, end.index) + stderr.slice(end.index! + end[0].length)).replace(START, '')
          return resolve({kind: 'done', result: {code: Number(end[1]), stdout: Buffer.concat(out), stderr: clean}})
        }
        if (timedOut) return resolve({kind: 'timeout', started})
        const why = sshMessage(started ? stderr.slice(stderr.indexOf(START) + 1) : stderr) || `ssh exited with ${code ?? signal}`
        resolve(started ? {kind: 'lost', why} : {kind: 'unreached', why})
      })
    })
  }
}

/** The only name in a pinned per-node known_hosts file (see connectArgs). */
const PINNED_ALIAS = 'tsctl-pinned-host'

/** ssh failures that retrying cannot fix. */
const PERMANENT = /Permission denied|Too many authentication failures|Could not resolve hostname .*(not known|no address)|Bad configuration option|Unsupported option|no argument after keyword|garbage at end of line|Bad owner or permissions|Load key .*: (bad permissions|invalid format)|Cannot specify|Bad port|Bad stdio forwarding/i

/** The last few meaningful lines of ssh's stderr, in one line. */
function sshMessage(stderr: string): string {
  return stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !/^[@]+$/.test(l)).slice(-3).join('; ')
}

function backoff(base: number, attempt: number): number {
  const d = Math.min(2_000, base * 2 ** attempt)
  return Math.round(d * (0.75 + Math.random() * 0.5))
}

/** True while PID runs. A zombie counts as gone: the daemonised master's
 * parent is PID 1, which may reap it late (or never, in a container). */
function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Runs a local helper ssh (master start, -O exit) with no stdin, collecting stderr, killed after LIMIT ms. */
function run(cmd: string, args: string[], limit: number): Promise<{code: number | null; signal: string | null; stderr: string; timedOut: boolean}> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    let timedOut = false
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')))
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL') }, limit)
    child.on('error', (e) => { clearTimeout(timer); resolve({code: null, signal: null, stderr: String(e), timedOut}) })
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({code, signal, stderr, timedOut}) })
  })
}
