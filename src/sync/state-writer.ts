import type {StateBackend, WriteHint} from '../state/backend.js'
import type {State} from '../state/model.js'

/**
 * Writes one run's state through the backend: each write is atomic (the
 * backend's temp + fsync + rename) with the next serial; writes never
 * overlap, and requests made while one is waiting to start share it, so
 * parallel hosts finishing actions at once cost one write, not one each.
 * `state` is the live record the sync edits.
 *
 * Each write carries a WriteHint: the keys of the objects the requests it
 * serves said they changed since the last successful write. The etcd backend
 * writes only those, the file backend re-serialises only those, so a key
 * left out is a lost (etcd) or stale (file) object. Hence no hint at all
 * (every object compared) after `set()` (a reconcile replaced the objects),
 * after a `write()` that names no keys, and after a failed write (what the
 * backend holds is then unknown).
 */
export class StateWriter {
  #serial: number
  #running: Promise<void> = Promise.resolve()
  #queued?: Promise<void>
  /** objects changed since the last successful write; 'all' when unknown */
  #changed: Set<string> | 'all' = 'all'

  constructor(private readonly backend: StateBackend, public state: State, stored: State | null) {
    this.#serial = stored?.serial ?? 0
  }

  /** the serial of the last successful write */
  get serial(): number {
    return this.#serial
  }

  /** Replaces the live state (a new reconcile result) without writing it. */
  set(state: State): void {
    this.state = state
    this.#changed = 'all'
  }

  /**
   * Writes the live state (now or right after the write in progress). Rejects when the backend refuses.
   * `changed`: the objectKeys of every object the caller modified (in place or replaced, added or
   * removed) since its last request; omitted, any object may have changed.
   */
  write(changed?: readonly string[]): Promise<void> {
    if (!changed) this.#changed = 'all'
    else if (this.#changed !== 'all') for (const k of changed) this.#changed.add(k)
    if (this.#queued) return this.#queued
    const p = this.#running.catch(() => {}).then(async () => {
      this.#queued = undefined
      const next: State = {...this.state, serial: this.#serial + 1}
      // requests from here on (while this write runs) go to the next write
      const hint: WriteHint | undefined = this.#changed === 'all' ? undefined : {changed: [...this.#changed]}
      this.#changed = new Set()
      try {
        await this.backend.write(next, hint)
      } catch (err) {
        this.#changed = 'all'
        throw err
      }
      this.#serial = next.serial
      this.state.serial = next.serial
    })
    this.#queued = p
    this.#running = p
    return p
  }
}
