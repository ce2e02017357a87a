/**
 * Leadership among several `tsctl watch` processes sharing one state
 * (the etcd backend: src/state/etcd-leader.ts). Only the leader
 * reconciles; the others stand by. Declared here, structurally, so the
 * GitOps loop (src/gitops/watch-loop.ts) is written and tested against a
 * narrow seam.
 */
export interface Leadership {
  /**
   * Waits until this process leads (true) or SIGNAL aborts (false).
   * Calls STANDBY with the current leader while it waits behind one (once,
   * and again whenever the leader changes). Retries while the store is
   * unreachable.
   */
  acquire(signal: AbortSignal, standby: (leader: LeaderRef) => void): Promise<boolean>
  /** True between a successful acquire() and the loss of the leadership. */
  isLeader(): boolean
  /** Why the leadership was lost last (for the log). */
  lostReason(): string | undefined
  /** Told (once per loss) when the leadership is lost: lease gone, or a fenced write refused. */
  onLost(cb: (why: string) => void): void
  /** Gives the leadership up at once (a standby takes over without waiting for the TTL). Idempotent. */
  resign(): Promise<void>
  /** `host/pid` of this process */
  describe(): string
}

/** Who leads: as `standby (leader: host/pid)` names it. */
export interface LeaderRef {
  host: string
  pid: number
}
