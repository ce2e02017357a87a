/**
 * Bounds on what the transports do at once, shared by every transport of one
 * tsctl run (the CLI builds one from `--concurrency`):
 * - `run`: commands in flight across all hosts (default 32);
 * - `connect`: new SSH connections being set up at once, and the pace at
 *   which they start, so a fan-out to many hosts behind one bastion stays
 *   under sshd's MaxStartups (default 10:30:100) and the local CPU is not
 *   swamped by key exchanges.
 * Slots are granted in FIFO order. No I/O; safe to share.
 */
export interface LimiterOptions {
  /** commands in flight at once (default 32) */
  concurrency?: number
  /** connection set-ups in flight at once (default 8) */
  maxStartups?: number
  /** minimum gap between the starts of two new connections, ms (default 10) */
  startIntervalMs?: number
}

export class Limiter {
  readonly concurrency: number
  readonly maxStartups: number
  readonly startIntervalMs: number
  private readonly commands: Semaphore
  private readonly startups: Semaphore
  private nextStartAt = 0

  constructor(opts: LimiterOptions = {}) {
    this.concurrency = positive(opts.concurrency ?? 32, 'concurrency')
    this.maxStartups = positive(opts.maxStartups ?? 8, 'maxStartups')
    this.startIntervalMs = Math.max(0, opts.startIntervalMs ?? 10)
    this.commands = new Semaphore(this.concurrency)
    this.startups = new Semaphore(this.maxStartups)
  }

  /** Runs FN while holding one command slot. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.commands.with(fn)
  }

  /** Runs FN (which opens one new connection) while holding a start-up slot, paced. */
  connect<T>(fn: () => Promise<T>): Promise<T> {
    return this.startups.with(async () => {
      // Reserve the next start time before waiting so concurrent callers
      // space themselves out instead of all waking together.
      const now = Date.now()
      const at = Math.max(now, this.nextStartAt)
      this.nextStartAt = at + this.startIntervalMs
      if (at > now) await new Promise((r) => setTimeout(r, at - now))
      return fn()
    })
  }

  /** Commands and start-ups waiting or running, for progress views and tests. */
  get pending(): {commands: number; startups: number} {
    return {commands: this.commands.load, startups: this.startups.load}
  }
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`)
  return n
}

class Semaphore {
  private active = 0
  private readonly waiting: Array<() => void> = []
  constructor(private readonly size: number) {}

  get load(): number {
    return this.active + this.waiting.length
  }

  async with<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((r) => this.waiting.push(r))
    else this.active++
    try {
      return await fn()
    } finally {
      // Hand the slot straight to the next waiter (active stays the same).
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}

/** The limiter transports use when none is given: one per process. */
export const defaultLimiter = new Limiter()
