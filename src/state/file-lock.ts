import {randomUUID} from 'node:crypto'
import {promises as fs} from 'node:fs'
import {hostname, userInfo} from 'node:os'
import {basename, dirname, join} from 'node:path'
import {LockedError} from '../errors.js'
import type {LockInfo} from './backend.js'
import {createFileExclusive, fsyncDir} from './atomic-write.js'

/** Options for {@link FileLock}. */
export interface FileLockOptions {
  /** told when a stale lock is taken over or removed, so the user hears about it */
  warn?: (message: string) => void
  /** this machine's name; tests override it to pose as another host */
  host?: string
}

/**
 * An exclusive lock file beside the state, naming its holder.
 *
 * Taking it: the holder's LockInfo is written completely to a temp file
 * opened with O_EXCL, which is then hard-linked to the lock path; link(2)
 * fails with EEXIST exactly like O_CREAT|O_EXCL, and a reader never sees a
 * half-written lock. (Where hard links are refused the lock is created with
 * O_EXCL directly.) Mode 0600.
 *
 * Stale locks: a lock whose host is this machine and whose pid is no longer
 * alive is taken over, with a warning. Taking over runs under a short guard
 * lock (`<lock>.takeover`, also O_EXCL) so two processes that both saw the
 * same stale lock cannot both win. A lock from another host is never
 * considered stale: we cannot see its processes (`tsctl state unlock --force`).
 */
export class FileLock {
  private readonly host: string
  /** the id of the lock this object holds, if any */
  heldId: string | undefined

  constructor(readonly path: string, private readonly opts: FileLockOptions = {}) {
    this.host = opts.host ?? hostname()
  }

  /** Takes the lock for `operation` or throws LockedError (exit 3) naming the holder. */
  async acquire(operation: string): Promise<LockInfo> {
    await fs.mkdir(dirname(this.path), {recursive: true, mode: 0o700})
    const info = this.newInfo(operation)
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.tryCreate(info)) {
        this.heldId = info.id
        return info
      }
      const holder = await this.read()
      if (holder === null) continue // released between our attempt and our read: try again
      if (holder === 'unreadable') {
        throw new LockedError(`state is locked: ${this.path} exists but cannot be read`, undefined)
      }
      if (!this.isStale(holder)) throw lockedBy(holder, this.path)
      if (await this.takeOver(holder, info)) {
        this.opts.warn?.(`took over a stale state lock from ${describeHolder(holder)}: process ${holder.pid} no longer runs on ${holder.host}`)
        this.heldId = info.id
        return info
      }
    }
    const holder = await this.read()
    throw holder && holder !== 'unreadable' ? lockedBy(holder, this.path) : new LockedError(`state is locked: ${this.path}`)
  }

  /**
   * Removes the lock if it is ours, `id` names it, it is stale, or `force`.
   * Returns the lock that was removed (null when there was none); throws
   * LockedError when it belongs to someone else.
   */
  async release(opts: {force?: boolean; id?: string} = {}): Promise<LockInfo | null> {
    const holder = await this.read()
    if (holder === null) {
      this.heldId = undefined
      return null
    }
    if (holder === 'unreadable') {
      if (!opts.force) throw new LockedError(`${this.path} cannot be read; use --force to remove it`)
      await fs.rm(this.path, {force: true})
      await fsyncDir(dirname(this.path))
      return null
    }
    const mine = holder.id === this.heldId || (opts.id !== undefined && holder.id === opts.id)
    if (!mine && !opts.force) {
      if (!this.isStale(holder)) {
        const err = lockedBy(holder, this.path)
        throw new LockedError(err.message + '; if that process is gone, run `tsctl state unlock --force`', holder)
      }
      this.opts.warn?.(`removing a stale state lock from ${describeHolder(holder)}: process ${holder.pid} no longer runs on ${holder.host}`)
    }
    await fs.rm(this.path, {force: true})
    await fsyncDir(dirname(this.path))
    if (holder.id === this.heldId) this.heldId = undefined
    return holder
  }

  /** The current holder; null when unlocked; 'unreadable' for a lock file that is not a LockInfo. */
  async read(): Promise<LockInfo | null | 'unreadable'> {
    let text: string
    try {
      text = await fs.readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    try {
      const v = JSON.parse(text) as LockInfo
      if (typeof v.pid !== 'number' || typeof v.host !== 'string' || typeof v.id !== 'string') return 'unreadable'
      return v
    } catch {
      return 'unreadable'
    }
  }

  /** Same host and the pid is gone. EPERM means the process exists under another user: alive. */
  isStale(holder: LockInfo): boolean {
    if (holder.host !== this.host) return false
    if (holder.pid === process.pid) return false // this very process: alive by definition
    try {
      process.kill(holder.pid, 0)
      return false
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH'
    }
  }

  private newInfo(operation: string): LockInfo {
    let user = process.env.USER ?? 'unknown'
    try {
      user = userInfo().username
    } catch {
      // no passwd entry (containers): keep $USER
    }
    return {operation, holder: `${user}@${this.host}`, pid: process.pid, host: this.host, created: new Date().toISOString(), id: randomUUID()}
  }

  /** true when we created the lock; false when one exists. */
  private async tryCreate(info: LockInfo, path = this.path): Promise<boolean> {
    const body = JSON.stringify(info, null, 2) + '\n'
    const dir = dirname(path)
    const tmp = join(dir, `.${basename(path)}.${info.id}`)
    await createFileExclusive(tmp, body)
    try {
      await fs.link(tmp, path)
      await fsyncDir(dir)
      return true
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') return false
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') return this.createExclusive(path, body)
      throw err
    } finally {
      await fs.rm(tmp, {force: true})
    }
  }

  private async createExclusive(path: string, body: string): Promise<boolean> {
    try {
      await createFileExclusive(path, body)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw err
    }
  }

  /** Replace the stale lock `stale` with `info`, under the takeover guard. */
  private async takeOver(stale: LockInfo, info: LockInfo): Promise<boolean> {
    const guardPath = this.path + '.takeover'
    const guard: LockInfo = {...info, operation: 'takeover', id: randomUUID()}
    if (!(await this.tryCreate(guard, guardPath))) {
      // Another process is taking over. If its guard is itself stale (killed
      // mid-takeover), clear it so the next attempt can proceed.
      const g = await new FileLock(guardPath, {host: this.host}).read()
      if (g && g !== 'unreadable' && this.isStale(g)) await fs.rm(guardPath, {force: true})
      return false
    }
    try {
      const now = await this.read()
      if (now === null || now === 'unreadable' || now.id !== stale.id) return false
      await fs.rm(this.path, {force: true})
      return await this.tryCreate(info)
    } finally {
      await fs.rm(guardPath, {force: true})
    }
  }
}

/** `tsctl sync` by alice@ci-7 (pid 4242 on ci-7) since 2026-…, lock id … */
export function describeHolder(h: LockInfo): string {
  return `"${h.operation}" by ${h.holder} (pid ${h.pid} on ${h.host}) since ${h.created}, lock id ${h.id}`
}

function lockedBy(holder: LockInfo, path: string): LockedError {
  return new LockedError(`state is locked by ${describeHolder(holder)} [${path}]`, holder)
}
