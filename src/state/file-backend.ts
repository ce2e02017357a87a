import {promises as fs, type BigIntStats} from 'node:fs'
import {dirname} from 'node:path'
import {UserError} from '../errors.js'
import type {LockInfo, StateBackend, WriteHint} from './backend.js'
import type {State} from './model.js'
import {writeFileAtomic} from './atomic-write.js'
import {StateText} from './state-text.js'
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
 *   The file is read again only when it is not the one this object last
 *   wrote; `hint.changed` lets unchanged objects keep their cached text.
 * - lock: see FileLock (O_EXCL, holder named, stale detection).
 */
export class FileStateBackend implements StateBackend {
  readonly lockFile: FileLock
  /** the per-object text cache of the state file (state-text.ts) */
  readonly #text = new StateText()
  /** what our last successful write put on disk */
  #last?: Written
  #writing: Promise<void> = Promise.resolve()

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

  write(state: State, hint?: WriteHint): Promise<void> {
    // one at a time: the text cache's output buffer is reused, and #last describes one write
    const p = this.#writing.catch(() => {}).then(() => this.#write(state, hint))
    this.#writing = p
    return p
  }

  async #write(state: State, hint?: WriteHint): Promise<void> {
    const holder = await this.lockFile.read()
    if (holder && holder !== 'unreadable' && holder.id !== this.lockFile.heldId) {
      throw new StateConflictError(`refusing to write ${this.path}: the state is locked by ${describeHolder(holder)}`)
    }
    const last = this.#last
    // trusted again only once this write is on disk: a failed write leaves the file unknown
    this.#last = undefined
    const current = last && (await this.#isOurs(last)) ? last : await this.read()
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
    const changed = hint?.changed ? new Set(hint.changed) : undefined
    const data = this.#text.render(state, changed && ((key) => !changed.has(key)))
    const st = await writeFileAtomic(this.path, data, 0o600)
    this.#last = {serial: state.serial, lineage: state.lineage, file: identity(st), head: Buffer.from(data.subarray(0, HEAD_BYTES))}
  }

  /**
   * Whether the file at the path is still the one our last write made, so its
   * serial and lineage are the ones we wrote and need not be read and parsed
   * again (~25 MB at 1,000 hosts, once per action). Another writer replaces
   * the file (a new inode) or, if it writes in place, changes its size or
   * times; within one timestamp tick and at the same size only the contents
   * tell, so the head (version, serial, lineage) is compared too.
   */
  async #isOurs(last: Written): Promise<boolean> {
    let fh: fs.FileHandle | undefined
    try {
      fh = await fs.open(this.path, 'r')
      if (identity(await fh.stat({bigint: true})) !== last.file) return false
      const head = Buffer.alloc(last.head.length)
      const {bytesRead} = await fh.read(head, 0, head.length, 0)
      return bytesRead === head.length && head.equals(last.head)
    } catch {
      return false // gone or unreadable: read() says which
    } finally {
      await fh?.close()
    }
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

/** The head of the file kept from a write: version, serial and lineage are in its first lines. */
const HEAD_BYTES = 4096

interface Written {
  serial: number
  lineage: string
  /** identity() of the file written */
  file: string
  head: Buffer
}

/** Which file, and which version of it: a new inode, size or change time means someone wrote it. */
function identity(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`
}
