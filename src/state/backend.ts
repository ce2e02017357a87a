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
  /** the manifests commit the operation is applying, when known (git and etcd backends) */
  commit?: string
  /** etcd backend: the TTL of the lease the lock lives on (renewed while held; a dead holder's lock frees after it) */
  ttlSeconds?: number
}

/**
 * What a caller knows about a write (etcd writes only these objects, the
 * file backend re-serialises only these; git ignores it). `changed`: the objectKeys of
 * the objects that may differ from the last state read or written through
 * this backend object; every other object present in both is promised
 * unchanged, so it is not even serialised. Without a hint every object is
 * compared.
 */
export interface WriteHint {
  changed?: string[]
}

/**
 * Where the state lives: `file` (default), `git` (a ref of the manifests repo), `etcd` (keys under a prefix).
 * Writes are atomic (a reader sees the old state or the new, never half)
 * and refuse to go backwards (a serial not newer, another lineage).
 */
export interface StateBackend {
  /** e.g. `file .tsctl/state.json` */
  describe(): string
  /** null when no state exists yet */
  read(): Promise<State | null>
  /** `hint` lets a backend skip objects the caller did not touch (etcd: not sent; file: cached text); a wrong hint loses writes. */
  write(state: State, hint?: WriteHint): Promise<void>
  /**
   * Takes the exclusive lock or throws LockedError naming the holder.
   * `opts.commit` (the commit being applied) is recorded where the backend keeps it (git, etcd).
   */
  lock(operation: string, opts?: {commit?: string}): Promise<LockInfo>
  /** Releases our lock; `force` removes anyone's (`tsctl state unlock`). */
  unlock(opts?: {force?: boolean; id?: string}): Promise<LockInfo | null>
  /** The current holder, or null. */
  lockInfo(): Promise<LockInfo | null>
}
