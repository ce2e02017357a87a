import {randomUUID} from 'node:crypto'
import {hostname, userInfo} from 'node:os'
import type {Etcd3, IRequestOp, Lease} from 'etcd3'
import {type EtcdStateBackend, type LeaderInfo, parseLeader} from './etcd-backend.js'
import {K} from './etcd-keys.js'
import type {LeaderRef, Leadership} from './leadership.js'

export interface EtcdLeadershipOptions {
  /** lease TTL in seconds (default: the backend's ttlSeconds) */
  ttlSeconds?: number
  /** how often a standby looks at the leader key (default: a quarter of the TTL, 250 ms to 2 s) */
  pollMs?: number
  warn?: (m: string) => void
  host?: string
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, {once: true})
  })

/**
 * Leadership of the watchers of one etcd state: `<prefix>/leader` created
 * only if absent (a transaction), on this process's lease (TTL
 * `ttlSeconds`, kept alive every third of it). The winner leads until its
 * lease is gone; the others poll the key and stand by, naming the leader.
 *
 * Fencing: while leading, the backend adds "the leader key carries my
 * lease" to every state write (EtcdStateBackend.setFence), and the state
 * lock of a leader lives on the same lease, so when a paused (SIGSTOP) or
 * cut-off leader's lease runs out, its lock and its right to write vanish
 * at the same instant and a standby can take both. The old leader learns it
 * from its next keep-alive, from the periodic check of the key, from the
 * elapsed time since its last keep-alive, or from a refused write —
 * whichever comes first — and stands by.
 */
export class EtcdLeadership implements Leadership {
  private readonly ttl: number
  private readonly pollMs: number
  private readonly host: string
  private readonly me: LeaderInfo
  private client: Etcd3 | undefined
  private lease: Lease | undefined
  private leaseId: string | undefined
  private leading = false
  private lost: string | undefined
  private lastKeepAlive = 0
  private checker: NodeJS.Timeout | undefined
  private readonly listeners: ((why: string) => void)[] = []

  constructor(private readonly backend: EtcdStateBackend, private readonly opts: EtcdLeadershipOptions = {}) {
    this.ttl = opts.ttlSeconds ?? backend.config.ttlSeconds
    this.pollMs = opts.pollMs ?? Math.min(2000, Math.max(250, Math.floor((this.ttl * 1000) / 4)))
    this.host = opts.host ?? hostname()
    let user = process.env.USER ?? 'unknown'
    try {
      user = userInfo().username
    } catch {
      // no passwd entry
    }
    this.me = {host: this.host, pid: process.pid, holder: `${user}@${this.host}`, id: randomUUID(), since: ''}
  }

  describe(): string {
    return `${this.host}/${process.pid}`
  }

  isLeader(): boolean {
    return this.leading
  }

  lostReason(): string | undefined {
    return this.lost
  }

  onLost(cb: (why: string) => void): void {
    this.listeners.push(cb)
  }

  async acquire(signal: AbortSignal, standby: (leader: LeaderRef) => void): Promise<boolean> {
    if (this.leading) return true
    this.client ??= await this.backend.pin()
    let reported = ''
    while (!signal.aborted) {
      try {
        if (!this.lease || this.lease.revoked()) await this.newLease()
        const me = {...this.me, since: new Date().toISOString()}
        const key = Buffer.from(this.backend.key(K.leader))
        const r = await this.client
          .if(this.backend.key(K.leader), 'Version', '==', 0)
          .then({request_put: {key, value: Buffer.from(JSON.stringify(me)), lease: this.leaseId}} as IRequestOp)
          .else({request_range: {key}} as IRequestOp)
          .commit()
        const kv = r.succeeded ? undefined : r.responses[0]?.response_range?.kvs?.[0]
        if (r.succeeded || (kv && kv.lease === this.leaseId)) {
          this.lead()
          return true
        }
        const cur = kv ? parseLeader(kv.value) : null
        const id = cur ? `${cur.host}/${cur.pid}/${cur.id}` : 'unreadable'
        if (id !== reported) {
          reported = id
          standby(cur ? {host: cur.host, pid: cur.pid} : {host: 'unknown', pid: 0})
        }
      } catch (e) {
        this.opts.warn?.(`leader election on ${this.backend.describe()}: ${(e as Error).message.split('\n')[0]}; retrying`)
      }
      await sleep(this.pollMs, signal)
    }
    return false
  }

  async resign(): Promise<void> {
    const lease = this.lease
    this.stepDown(undefined)
    this.lease = undefined
    if (lease) await lease.revoke().catch(() => lease.release())
    if (this.client) {
      this.client = undefined
      this.backend.unpin()
    }
  }

  private async newLease(): Promise<void> {
    const lease = this.client!.lease(this.ttl, {autoKeepAlive: true})
    lease.on('lost', (err) => {
      if (this.lease === lease) this.stepDown(`the leadership lease ran out (${(err as Error)?.message?.split('\n')[0] ?? 'etcd unreachable'})`)
    })
    lease.on('keepaliveSucceeded', () => {
      if (this.lease === lease) this.lastKeepAlive = Date.now()
    })
    this.leaseId = await lease.grant()
    this.lastKeepAlive = Date.now()
    this.lease = lease
  }

  private lead(): void {
    this.leading = true
    this.lost = undefined
    const leaseId = this.leaseId!
    this.backend.setFence({leaseId, lost: (why) => this.stepDown(why)})
    this.checker = setInterval(() => void this.check(leaseId), Math.max(200, Math.floor((this.ttl * 1000) / 3)))
  }

  /** While leading: is the key still on our lease, and has a keep-alive been answered within the TTL? */
  private async check(leaseId: string): Promise<void> {
    if (!this.leading || this.leaseId !== leaseId) return
    if (Date.now() - this.lastKeepAlive > this.ttl * 1000) {
      this.stepDown(`no keep-alive of the leadership lease answered for more than the TTL (${this.ttl}s)`)
      return
    }
    try {
      const kv = (await this.client!.get(this.backend.key(K.leader)).exec()).kvs[0]
      if (!this.leading || this.leaseId !== leaseId) return
      if (!kv || kv.lease !== leaseId) {
        const cur = kv ? parseLeader(kv.value) : null
        this.stepDown(`the leadership moved${cur ? ` to ${cur.host}/${cur.pid}` : ''}`)
      }
    } catch {
      // unreachable for now: the keep-alive age above decides
    }
  }

  private stepDown(why: string | undefined): void {
    const was = this.leading
    this.leading = false
    if (this.checker) clearInterval(this.checker)
    this.checker = undefined
    this.backend.setFence(undefined, why)
    if (why === undefined) return
    this.lost = why
    // the lease may still be alive on the server (we only suspect): revoke it so a standby need not wait
    const lease = this.lease
    this.lease = undefined
    if (lease) void lease.revoke().catch(() => lease.release())
    if (was) for (const cb of this.listeners) cb(why)
  }
}
