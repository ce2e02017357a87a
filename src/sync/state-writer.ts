import type {StateBackend} from '../state/backend.js'
import type {State} from '../state/model.js'

/**
 * Writes one run's state through the backend: each write is atomic (the
 * backend's temp + fsync + rename) with the next serial; writes never
 * overlap, and requests made while one is waiting to start share it, so
 * parallel hosts finishing actions at once cost one write, not one each.
 * `state` is the live record the sync edits; a write serialises it whole.
 */
export class StateWriter {
  #serial: number
  #running: Promise<void> = Promise.resolve()
  #queued?: Promise<void>

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
  }

  /** Writes the live state (now or right after the write in progress). Rejects when the backend refuses. */
  write(): Promise<void> {
    if (this.#queued) return this.#queued
    const p = this.#running.catch(() => {}).then(async () => {
      this.#queued = undefined
      const next: State = {...this.state, serial: this.#serial + 1}
      await this.backend.write(next)
      this.#serial = next.serial
      this.state.serial = next.serial
    })
    this.#queued = p
    this.#running = p
    return p
  }
}
