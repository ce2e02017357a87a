import type {State} from './model.js'

/** Who holds the lock, so the message for exit code 3 can name them. */
export interface LockInfo {
  /** e.g. `tsctl sync` */
  operation: string
  /** user@host */
  holder: string
  pid: number
  host: string
  /** ISO */
  created: string
  id: string
  /** ISO; after it the lock may be taken over (git backend: renewed while held) */
  expires?: string
  /** the manifests commit the operation is applying, when known (git backend) */
  commit?: string
}

/**
 * Where the state lives: `file` (default), `git` (a ref of the manifests repo), later `etcd`.
 * Writes are atomic (a reader sees the old state or the new, never half)
 * and refuse to go backwards (a serial not newer, another lineage).
 */
export interface StateBackend {
  /** e.g. `file .tsctl/state.json` */
  describe(): string
  /** null when no state exists yet */
  read(): Promise<State | null>
  write(state: State): Promise<void>
  /**
   * Takes the exclusive lock or throws LockedError naming the holder.
   * `opts.commit` (the commit being applied) is recorded where the backend keeps it (git).
   */
  lock(operation: string, opts?: {commit?: string}): Promise<LockInfo>
  /** Releases our lock; `force` removes anyone's (`tsctl state unlock`). */
  unlock(opts?: {force?: boolean; id?: string}): Promise<LockInfo | null>
  /** The current holder, or null. */
  lockInfo(): Promise<LockInfo | null>
}
