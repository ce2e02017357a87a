import {spawnSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {hostname, userInfo} from 'node:os'
import {LockedError, UserError} from '../errors.js'
import type {LockInfo, StateBackend} from './backend.js'
import {StateConflictError} from './file-backend.js'
import {describeHolder} from './file-lock.js'
import {RefStore, type RefUpdate} from './git-refs.js'
import {maskUrl, runGit} from './git-run.js'
import type {State} from './model.js'
import {upgradeState} from './upgrade.js'

/** Where the state lives on a manifests repo unless `--state-ref` says otherwise. */
export const defaultStateRef = 'refs/tsctl/state'
/** The lock of the default state ref. */
export const defaultLockRef = 'refs/tsctl/lock'
/** A lock not renewed for this long may be taken over (its holder renews it every third of it). */
export const defaultLockTtlMs = 10 * 60 * 1000

const stateFileName = 'state.json'
const lockFileName = 'lock.json'

/** The lock ref of a state ref: `refs/tsctl/state` → `refs/tsctl/lock`, `refs/x/prod` → `refs/x/prod-lock` (a ref may not end in `.lock`). */
export function lockRefFor(stateRef: string): string {
  return stateRef.endsWith('/state') ? stateRef.slice(0, -'state'.length) + 'lock' : `${stateRef}-lock`
}

/** Options of {@link GitStateBackend}. */
export interface GitStateOptions {
  /** the local manifests repo (work tree or bare): objects are made there, remotes resolved there */
  repo: string
  /**
   * A remote name or URL holding the refs; `.` = `repo` itself; undefined =
   * `origin` when `repo` has that remote, else `repo` itself.
   */
  remote?: string
  ref?: string
  lockRef?: string
  lockTtlMs?: number
  warn?: (message: string) => void
  /** this machine's name; tests pose as another host */
  host?: string
  /** the clock (lock creation and expiry only); tests pass their own */
  now?: () => number
  /** renew the lock in the background while held (default true) */
  renew?: boolean
  /** the revision whose commit a lock records when lock() is given none (the command's --ref; default HEAD) */
  commitRef?: string
}

interface HeldLock {
  info: LockInfo
  sha: string
}

/**
 * The `git` backend: the state is `state.json` in a commit on a ref of the
 * manifests repo (default `refs/tsctl/state`), on a remote or in the repo
 * itself, so CI runners that keep no disk share one state.
 *
 * - **read** fetches the ref (a private temporary ref, deleted after) and
 *   reads the blob. The sha read becomes the expected value of the next write.
 * - **write** is a compare-and-swap: a new parentless commit (CI fetches only
 *   the tip; the message records serial, lineage and the previous commit)
 *   pushed with `--force-with-lease=REF:<sha read>`, or `update-ref` with the
 *   old value for the repo itself. While we hold the lock the same atomic
 *   update renews the lock (lease on our lock commit), so a writer that lost
 *   its lock to a takeover can never write. Refused like the file backend:
 *   a serial not newer, another lineage, someone else's lock.
 * - **lock** is `refs/tsctl/lock`, created only if absent (CAS), pointing at
 *   a commit whose `lock.json` is the LockInfo with `commit` and `expires`.
 *   Renewed every third of the TTL while held. An expired lock, or one from
 *   this host whose pid is gone, is taken over with a warning (a CAS on the
 *   old lock commit, so two runners cannot both take it over).
 *
 * Nothing here prints state content; URLs in messages have credentials masked.
 * Every git object made for a state is mode 0400 (see runGit).
 */
export class GitStateBackend implements StateBackend {
  readonly ref: string
  readonly lockRef: string
  private readonly ttl: number
  private readonly host: string
  private readonly now: () => number
  private store: RefStore | undefined
  private resolvedRemote: string | null | undefined
  /** sha of the state commit last read or written; undefined = never looked; null = no state */
  private stateSha: string | null | undefined
  private stateSeen: {serial: number; lineage: string} | undefined
  private held: HeldLock | undefined
  private lost: string | undefined
  private timer: NodeJS.Timeout | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly opts: GitStateOptions) {
    this.ref = opts.ref ?? defaultStateRef
    this.lockRef = opts.lockRef ?? (opts.ref ? lockRefFor(opts.ref) : defaultLockRef)
    this.ttl = opts.lockTtlMs ?? defaultLockTtlMs
    this.host = opts.host ?? hostname()
    this.now = opts.now ?? Date.now
    for (const r of [this.ref, this.lockRef]) {
      if (!/^refs\/[A-Za-z0-9._\/-]+$/.test(r) || r.includes('..') || r.endsWith('.lock') || r.endsWith('/')) {
        throw new UserError(`--state-ref ${JSON.stringify(r)} is not a usable ref name`, undefined, [], 'e.g. refs/tsctl/state')
      }
    }
  }

  /** The same text as describe(); commands print it as where the state is. */
  get path(): string {
    return this.describe()
  }

  describe(): string {
    const remote = this.remoteName()
    return `git ${remote === null ? this.opts.repo : maskUrl(remote)} ${this.ref}`
  }

  /** The remote the refs live on (null: the repo itself). `origin` is looked up once, synchronously, so describe() is right before any I/O. */
  private remoteName(): string | null {
    if (this.resolvedRemote !== undefined) return this.resolvedRemote
    if (this.opts.remote === '.') this.resolvedRemote = null
    else if (this.opts.remote !== undefined) this.resolvedRemote = this.opts.remote
    else {
      const r = spawnSync('git', ['remote'], {cwd: this.opts.repo, encoding: 'utf8', env: {...process.env, LC_ALL: 'C'}})
      this.resolvedRemote = r.status === 0 && r.stdout.split('\n').includes('origin') ? 'origin' : null
    }
    return this.resolvedRemote
  }

  read(): Promise<State | null> {
    return this.serial(async () => (await this.readState()).state)
  }

  write(state: State): Promise<void> {
    return this.serial(() => this.writeState(state))
  }

  lock(operation: string, opts: {commit?: string} = {}): Promise<LockInfo> {
    return this.serial(() => this.takeLock(operation, opts.commit))
  }

  unlock(opts: {force?: boolean; id?: string} = {}): Promise<LockInfo | null> {
    return this.serial(() => this.removeLock(opts))
  }

  async lockInfo(): Promise<LockInfo | null> {
    const cur = await this.serial(() => this.readLock())
    return cur && cur.info !== 'unreadable' ? cur.info : null
  }

  /** One operation at a time per backend object: the renewal timer and a write must not race for our own lock. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return run
  }

  private async refs(): Promise<RefStore> {
    if (this.store) return this.store
    const probe = await runGit(this.opts.repo, ['rev-parse', '--git-dir'])
    if (probe.code !== 0) {
      throw new UserError(`${this.opts.repo} is not a git repository; the git state backend keeps the state on a ref of the manifests repo`, undefined, [], 'pass --repo DIR of a clone of the manifests repo')
    }
    this.resolvedRemote = undefined // the repo may have been created since describe() looked
    this.store = new RefStore(this.opts.repo, this.remoteName())
    return this.store
  }

  private async readState(): Promise<{sha: string | null; state: State | null}> {
    const refs = await this.refs()
    const sha = await refs.get(this.ref)
    if (sha === null) {
      this.stateSha = null
      this.stateSeen = undefined
      return {sha, state: null}
    }
    const source = `${this.describe()} (${sha.slice(0, 12)})`
    const text = await refs.readFile(sha, stateFileName)
    if (text === null) throw new UserError(`${source}: the commit holds no ${stateFileName}; ${this.ref} is not a tsctl state`, undefined, [], 'pick another --state-ref')
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch (err) {
      throw new UserError(`${source}: the state is not valid JSON: ${(err as Error).message}`)
    }
    const state = upgradeState(raw, source)
    this.stateSha = sha
    this.stateSeen = {serial: state.serial, lineage: state.lineage}
    return {sha, state}
  }

  private async writeState(state: State): Promise<void> {
    const refs = await this.refs()
    if (this.lost) throw new LockedError(`refusing to write the state: ${this.lost}`)
    if (this.stateSha === undefined) await this.readState()
    const expected = this.stateSha ?? null
    const seen = this.stateSeen
    if (seen) {
      if (seen.lineage !== state.lineage) {
        throw new StateConflictError(`refusing to write ${this.describe()}: it belongs to lineage ${seen.lineage}, this state to ${state.lineage}`, 'two states with different lineages are different fleets; use another --state-ref')
      }
      if (state.serial <= seen.serial) {
        throw new StateConflictError(`refusing to write ${this.describe()}: serial ${state.serial} is not newer than the stored serial ${seen.serial}`, 'the state changed since it was read; run the command again')
      }
    }
    const updates: RefUpdate[] = []
    if (!this.held) {
      const other = await this.readLock()
      if (other) {
        const who = other.info === 'unreadable' ? `an unreadable lock at ${this.lockRef}` : describeHolder(other.info)
        throw new StateConflictError(`refusing to write ${this.describe()}: the state is locked by ${who}`)
      }
    }
    const message = `tsctl state serial ${state.serial}\n\nlineage: ${state.lineage}\nserial: ${state.serial}\nprevious: ${expected ?? '(none)'}\n`
    const sha = await refs.commitFile(stateFileName, JSON.stringify(state, null, 2) + '\n', message)
    updates.push({ref: this.ref, new: sha, old: expected})
    let renewed: HeldLock | undefined
    if (this.held) {
      renewed = await this.renewedLock(this.held)
      updates.push({ref: this.lockRef, new: renewed.sha, old: this.held.sha})
    }
    const r = await refs.update(updates)
    if (!r.ok) {
      const lockNow = this.held ? await this.readLock() : null
      const cur = await this.readState().catch(() => ({sha: undefined, state: null}))
      if (this.held && (lockNow === null || lockNow.sha !== this.held.sha)) {
        this.loseLock('another process took over the state lock')
        throw new LockedError(`refusing to write the state: our lock was taken over${lockNow && lockNow.info !== 'unreadable' ? ` by ${describeHolder(lockNow.info)}` : ''}; nothing was written`)
      }
      if (cur.sha !== undefined && cur.sha !== expected) {
        const from = seen ? `serial ${seen.serial}` : 'nothing'
        const to = cur.state ? `serial ${cur.state.serial}` : 'nothing'
        throw new StateConflictError(`refusing to write ${this.describe()}: the state moved from ${from} to ${to} since it was read (compare-and-swap failed); nothing was written`, 'another tsctl wrote it; run the command again')
      }
      throw new UserError(`cannot write the state to ${this.describe()}: ${r.message}`, undefined, [], 'may this runner push to that ref? (branch protection does not cover refs/tsctl/*)')
    }
    this.stateSha = sha
    this.stateSeen = {serial: state.serial, lineage: state.lineage}
    if (renewed) this.held = renewed
  }

  private async readLock(): Promise<{sha: string; info: LockInfo | 'unreadable'} | null> {
    const refs = await this.refs()
    const sha = await refs.get(this.lockRef)
    if (sha === null) return null
    const text = await refs.readFile(sha, lockFileName)
    try {
      const v = JSON.parse(text ?? '') as LockInfo
      if (typeof v.pid !== 'number' || typeof v.host !== 'string' || typeof v.id !== 'string') return {sha, info: 'unreadable'}
      return {sha, info: v}
    } catch {
      return {sha, info: 'unreadable'}
    }
  }

  private async lockCommit(info: LockInfo): Promise<string> {
    const refs = await this.refs()
    return refs.commitFile(lockFileName, JSON.stringify(info, null, 2) + '\n', `tsctl lock: ${info.operation} by ${info.holder}\n\nid: ${info.id}\nexpires: ${info.expires}\n`)
  }

  private async renewedLock(held: HeldLock): Promise<HeldLock> {
    const info = {...held.info, expires: new Date(this.now() + this.ttl).toISOString()}
    return {info, sha: await this.lockCommit(info)}
  }

  private async takeLock(operation: string, commit: string | undefined): Promise<LockInfo> {
    const refs = await this.refs()
    if (this.held) throw new Error(`internal: ${this.describe()} is already locked by this process`)
    if (commit === undefined) {
      const r = await runGit(this.opts.repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${this.opts.commitRef ?? 'HEAD'}^{commit}`])
      if (r.code === 0) commit = r.stdout.toString('utf8').trim()
    }
    const info = this.newInfo(operation, commit)
    const sha = await this.lockCommit(info)
    for (let attempt = 0; attempt < 6; attempt++) {
      if ((await refs.update([{ref: this.lockRef, new: sha, old: null}])).ok) return this.hold({info, sha})
      const cur = await this.readLock()
      if (cur === null) continue // released between our attempt and our read
      if (cur.info === 'unreadable') throw new LockedError(`state is locked: ${this.lockRef} on ${refs.where()} is not a tsctl lock`, undefined)
      const why = this.staleReason(cur.info)
      if (!why) throw this.lockedBy(cur.info)
      if ((await refs.update([{ref: this.lockRef, new: sha, old: cur.sha}])).ok) {
        this.opts.warn?.(`took over the state lock from ${describeHolder(cur.info)}: ${why}`)
        return this.hold({info, sha})
      }
    }
    const cur = await this.readLock()
    throw cur && cur.info !== 'unreadable' ? this.lockedBy(cur.info) : new LockedError(`state is locked: ${this.lockRef} keeps changing on ${refs.where()}`)
  }

  private hold(h: HeldLock): LockInfo {
    this.held = h
    this.lost = undefined
    if (this.opts.renew !== false) {
      this.timer = setInterval(() => void this.serial(() => this.renew()), Math.max(1000, Math.floor(this.ttl / 3)))
      this.timer.unref()
    }
    return h.info
  }

  private async renew(): Promise<void> {
    const held = this.held
    if (!held) return
    try {
      const next = await this.renewedLock(held)
      const r = await (await this.refs()).update([{ref: this.lockRef, new: next.sha, old: held.sha}])
      if (r.ok) this.held = next
      else this.loseLock(`could not renew the state lock (${r.message})`)
    } catch (err) {
      // A network blip: the next tick tries again; the lock is still ours until it expires.
      this.opts.warn?.(`could not renew the state lock: ${(err as Error).message}`)
    }
  }

  private loseLock(why: string): void {
    if (!this.lost) this.opts.warn?.(why)
    this.lost = why
    this.held = undefined
    this.stopTimer()
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  private async removeLock(opts: {force?: boolean; id?: string}): Promise<LockInfo | null> {
    const refs = await this.refs()
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.readLock()
      if (cur === null) {
        this.held = undefined
        this.stopTimer()
        return null
      }
      if (cur.info === 'unreadable') {
        if (!opts.force) throw new LockedError(`${this.lockRef} on ${refs.where()} is not a tsctl lock; use --force to remove it`)
      } else {
        const mine = cur.info.id === this.held?.info.id || (opts.id !== undefined && cur.info.id === opts.id)
        if (!mine && !opts.force) {
          const why = this.staleReason(cur.info)
          if (!why) {
            const err = this.lockedBy(cur.info)
            throw new LockedError(err.message + '; if that run is gone, run `tsctl state unlock --force`', cur.info)
          }
          this.opts.warn?.(`removing a stale state lock from ${describeHolder(cur.info)}: ${why}`)
        }
      }
      if ((await refs.update([{ref: this.lockRef, new: null, old: cur.sha}])).ok) {
        if (cur.info !== 'unreadable' && cur.info.id === this.held?.info.id) {
          this.held = undefined
          this.stopTimer()
        }
        return cur.info === 'unreadable' ? null : cur.info
      }
    }
    throw new LockedError(`could not remove ${this.lockRef} on ${refs.where()}: it keeps changing`)
  }

  /** Why `h` may be taken over, or undefined when its holder may still be working. */
  private staleReason(h: LockInfo): string | undefined {
    if (h.expires) {
      const t = Date.parse(h.expires)
      if (!Number.isNaN(t) && t <= this.now()) return `it expired at ${h.expires} (not renewed)`
    }
    if (h.host === this.host && h.pid !== process.pid) {
      try {
        process.kill(h.pid, 0)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') return `process ${h.pid} no longer runs on ${h.host}`
      }
    }
    return undefined
  }

  private lockedBy(h: LockInfo): LockedError {
    const extra = `${h.commit ? `, applying ${h.commit.slice(0, 12)}` : ''}${h.expires ? `, expires ${h.expires}` : ''}`
    return new LockedError(`state is locked by ${describeHolder(h)}${extra} [${this.lockRef} on ${this.store?.where() ?? this.opts.repo}]`, h)
  }

  private newInfo(operation: string, commit: string | undefined): LockInfo {
    let user = process.env.USER ?? 'unknown'
    try {
      user = userInfo().username
    } catch {
      // no passwd entry (containers): keep $USER
    }
    const t = this.now()
    return {
      operation,
      holder: `${user}@${this.host}`,
      pid: process.pid,
      host: this.host,
      created: new Date(t).toISOString(),
      id: randomUUID(),
      expires: new Date(t + this.ttl).toISOString(),
      ...(commit ? {commit} : {}),
    }
  }
}
