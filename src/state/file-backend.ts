import {promises as fs} from 'node:fs'
import {dirname} from 'node:path'
import {UserError} from '../errors.js'
import type {LockInfo, StateBackend} from './backend.js'
import type {State} from './model.js'
import {writeFileAtomic} from './atomic-write.js'
import {FileLock, type FileLockOptions, describeHolder} from './file-lock.js'
import {upgradeState} from './upgrade.js'

/** A write that would go backwards (serial not newer) or cross fleets (another lineage). Exit 2: nothing was written. */
export class StateConflictError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, undefined, [], hint)
    this.name = 'StateConflictError'
  }
}

/**
 * The default backend: one JSON file (`.tsctl/state.json` in the repo unless
 * `--state` says otherwise) and a lock file beside it (`state.json.lock`).
 *
 * - read: null when the file does not exist; versioned (src/state/upgrade.ts).
 * - write: atomic (see writeFileAtomic), mode 0600, and refused when the
 *   serial is not newer than the file's or the lineage differs, or when
 *   someone else holds the lock. Callers that mutate take the lock first.
 * - lock: see FileLock (O_EXCL, holder named, stale detection).
 */
export class FileStateBackend implements StateBackend {
  readonly lockFile: FileLock

  constructor(readonly path: string, opts: FileLockOptions = {}) {
    this.lockFile = new FileLock(path + '.lock', opts)
  }

  describe(): string {
    return `file ${this.path}`
  }

  async read(): Promise<State | null> {
    let text: string
    try {
      text = await fs.readFile(this.path, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return null
      if (code === 'EACCES') throw new UserError(`${this.path}: permission denied reading the state`)
      throw err
    }
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch (err) {
      throw new UserError(`${this.path}: the state is not valid JSON: ${(err as Error).message}`, undefined, [], 'restore it from a backup or rebuild it from the hosts')
    }
    return upgradeState(raw, this.path)
  }

  async write(state: State): Promise<void> {
    const holder = await this.lockFile.read()
    if (holder && holder !== 'unreadable' && holder.id !== this.lockFile.heldId) {
      throw new StateConflictError(`refusing to write ${this.path}: the state is locked by ${describeHolder(holder)}`)
    }
    const current = await this.read()
    if (current) {
      if (current.lineage !== state.lineage) {
        throw new StateConflictError(
          `refusing to write ${this.path}: it belongs to lineage ${current.lineage}, this state to ${state.lineage}`,
          'two states with different lineages are different fleets; use another --state path',
        )
      }
      if (state.serial <= current.serial) {
        throw new StateConflictError(
          `refusing to write ${this.path}: serial ${state.serial} is not newer than the stored serial ${current.serial}`,
          'the state changed since it was read; run the command again',
        )
      }
    }
    await fs.mkdir(dirname(this.path), {recursive: true, mode: 0o700})
    await writeFileAtomic(this.path, JSON.stringify(state, null, 2) + '\n', 0o600)
  }

  lock(operation: string): Promise<LockInfo> {
    return this.lockFile.acquire(operation)
  }

  unlock(opts?: {force?: boolean; id?: string}): Promise<LockInfo | null> {
    return this.lockFile.release(opts)
  }

  async lockInfo(): Promise<LockInfo | null> {
    const h = await this.lockFile.read()
    return h === 'unreadable' ? null : h
  }
}
