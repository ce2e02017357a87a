import {spawnSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {hostname, userInfo} from 'node:os'
import type {Etcd3, IKeyValue, IRequestOp, Lease} from 'etcd3'
import {LockedError, UserError} from '../errors.js'
import type {LockInfo, StateBackend, WriteHint} from './backend.js'
import {etcdError, withRetry} from './etcd-errors.js'
import {type EtcdConfig, describeEtcd} from './etcd-config.js'
import {type KeyDelta, type KeySnapshot, K, applyDelta, diffState, snapshotOf, stateOf} from './etcd-keys.js'
import {StateConflictError} from './file-backend.js'
import {describeHolder} from './file-lock.js'
import type {State} from './model.js'
import {upgradeState} from './upgrade.js'

/** etcd's default --max-txn-ops is 128 (compares, puts and deletes are each counted per branch). */
export const maxTxnOps = 120
/** etcd's default --max-request-bytes is 1.5 MiB; stay well below it. */
export const maxTxnBytes = 1024 * 1024
const pageSize = 2000

/** The leader's fence: every write also checks that the leadership key still carries this lease. */
export interface Fence {
  leaseId: string
  /** told when a write found the leadership gone (the write was refused) */
  lost(why: string): void
}

/** Refused because this process's leadership moved to another (a fenced write). Exit 3. */
export class LeadershipLostError extends LockedError {
  constructor(message: string) {
    super(message)
    this.name = 'LeadershipLostError'
  }
}

export interface EtcdBackendOptions {
  config: EtcdConfig
  /** the manifests repo: the commit a lock records is resolved there */
  repo?: string
  /** the revision whose commit a lock records when lock() is given none (the command's --ref) */
  commitRef?: string
  warn?: (message: string) => void
  /** this machine's name; tests pose as another host */
  host?: string
}

interface Base {
  snap: KeySnapshot
  serial: number | null
  lineage?: string
  /** mod revision of the pending marker when read; '0' = none */
  pendingMod: string
}

interface Held {
  info: LockInfo
  /** undefined: the lock lives on the watch leader's lease (the fence), which is not ours to revoke */
  lease: Lease | undefined
  leaseId: string
}

/**
 * The `etcd` backend: the state as many keys under a prefix
 * (src/state/etcd-keys.ts, docs/state-etcd.md), for fleets whose state
 * must outlive one machine and for several `tsctl watch` replicas.
 *
 * - **read** is one consistent snapshot: the prefix is paged at one
 *   revision. What was read is remembered as the base of the next diff.
 * - **write** sends only the keys that changed, in one transaction that
 *   commits only if `meta/serial` (and lineage) are still what was read,
 *   no torn write appeared, the lock is ours (its key carries our lease)
 *   or absent, and — for a watch leader — the leadership key carries the
 *   leader's lease. A delta above etcd's per-request limits is split into
 *   several such transactions, marked by a `pending` key; readers then read
 *   at the revision of the last whole write, so nobody sees half a state.
 * - **lock** is a key on a lease (TTL `ttlSeconds`, kept alive while held):
 *   a holder killed with kill -9 frees it when the lease runs out.
 *
 * The client is closed whenever nothing is held and no call is in flight,
 * so a command exits by itself; the next call reconnects.
 */
export class EtcdStateBackend implements StateBackend {
  readonly config: EtcdConfig
  private readonly host: string
  private readonly prefix: string
  private client: Etcd3 | undefined
  private base: Base | undefined
  private held: Held | undefined
  private lost: string | undefined
  private fence: Fence | undefined
  private active = 0
  private idle: NodeJS.Timeout | undefined
  private queue: Promise<unknown> = Promise.resolve()
  /** clients kept open by someone else (the leadership) */
  private pins = 0

  constructor(private readonly opts: EtcdBackendOptions) {
    this.config = opts.config
    this.host = opts.host ?? hostname()
    this.prefix = opts.config.prefix
  }

  get path(): string {
    return this.describe()
  }

  describe(): string {
    return describeEtcd(this.config)
  }

  /** The full key of a key relative to the prefix. */
  key(sub: string): string {
    return `${this.prefix}/${sub}`
  }

  read(): Promise<State | null> {
    return this.op('reading the state', () => this.readState())
  }

  /** Not retried as a whole: each transaction is (see txn), and recognises its own lost reply. */
  write(state: State, hint?: WriteHint): Promise<void> {
    return this.op('writing the state', () => this.writeState(state, hint), false)
  }

  lock(operation: string, opts: {commit?: string} = {}): Promise<LockInfo> {
    return this.op('taking the state lock', () => this.takeLock(operation, opts.commit))
  }

  unlock(opts: {force?: boolean; id?: string} = {}): Promise<LockInfo | null> {
    return this.op('removing the state lock', () => this.removeLock(opts))
  }

  async lockInfo(): Promise<LockInfo | null> {
    const kv = await this.op('reading the state lock', () => this.get(K.lock))
    return kv ? parseLock(kv.value) : null
  }

  /**
   * Every later write also requires the leadership key to carry FENCE's
   * lease. Undefined: no longer; with LOST (the leadership was lost) every
   * write is refused until the next lock is taken.
   */
  setFence(fence: Fence | undefined, lost?: string): void {
    this.fence = fence
    if (lost) this.lost = `the watch leadership was lost (${lost})`
  }

  /**
   * The client, for the leadership (src/state/etcd-leader.ts), kept open
   * until the matching unpin().
   */
  async pin(): Promise<Etcd3> {
    this.pins++
    if (this.idle) clearTimeout(this.idle)
    return this.etcd()
  }

  unpin(): void {
    this.pins = Math.max(0, this.pins - 1)
    this.scheduleClose()
  }

  /** Closes the connection now (tests, benchmarks); a held lock's lease is left to expire. */
  close(): void {
    if (this.idle) clearTimeout(this.idle)
    this.held?.lease?.release()
    this.held = undefined
    this.client?.close()
    this.client = undefined
  }

  /** Classify errors, retry while etcd is unreachable, close the client when idle. One at a time per backend. */
  private op<T>(doing: string, fn: () => Promise<T>, retry = true): Promise<T> {
    const run = async () => {
      this.active++
      if (this.idle) clearTimeout(this.idle)
      try {
        return retry ? await withRetry(fn, this.config.timeoutMs) : await fn()
      } catch (e) {
        throw etcdError(e, this.config, doing)
      } finally {
        this.active--
        this.scheduleClose()
      }
    }
    const p = this.queue.then(run, run)
    this.queue = p.catch(() => {})
    return p
  }

  private scheduleClose(): void {
    if (this.active > 0 || this.held || this.pins > 0 || !this.client) return
    if (this.idle) clearTimeout(this.idle)
    this.idle = setTimeout(() => {
      if (this.active > 0 || this.held || this.pins > 0) return
      this.client?.close()
      this.client = undefined
    }, 50)
    this.idle.unref()
  }

  private async etcd(): Promise<Etcd3> {
    if (!this.client) {
      const {openEtcdClient} = await import('./etcd-client.js')
      this.client ??= openEtcdClient(this.config)
    }
    return this.client
  }

  private async get(sub: string): Promise<IKeyValue | null> {
    const r = await (await this.etcd()).get(this.key(sub)).exec()
    return r.kvs[0] ?? null
  }

  /** Every key of the prefix at one revision (the newest when REV is undefined), paged. */
  private async rangeAll(rev?: string): Promise<{kvs: IKeyValue[]; revision: string}> {
    const start = Buffer.from(this.prefix + '/')
    const end = prefixEnd(start)
    const kvs: IKeyValue[] = []
    let from = start
    let revision = rev
    for (;;) {
      let b = (await this.etcd()).getAll().inRange({start: from, end}).limit(pageSize)
      if (revision) b = b.revision(revision)
      const r = await b.exec()
      revision ??= r.header.revision
      for (const kv of r.kvs) kvs.push(kv)
      if (!r.more || r.kvs.length === 0) break
      from = Buffer.concat([r.kvs[r.kvs.length - 1].key, Buffer.from([0])])
    }
    return {kvs, revision: revision!}
  }

  private entries(kvs: IKeyValue[]): [string, string][] {
    const n = this.prefix.length + 1
    return kvs.map((kv) => [kv.key.toString('utf8').slice(n), kv.value.toString('utf8')])
  }

  private async readState(): Promise<State | null> {
    const latest = await this.rangeAll()
    const entries = this.entries(latest.kvs)
    const snap = snapshotOf(entries)
    const find = (sub: string) => latest.kvs.find((kv) => kv.key.toString('utf8') === this.key(sub))
    const pending = find(K.pending)
    const serialKv = find(K.serial)
    this.base = {snap, serial: serialKv ? Number(serialKv.value.toString()) : null, lineage: find(K.lineage)?.value.toString(), pendingMod: pending?.mod_revision ?? '0'}
    if (!serialKv) return null
    let whole = snap
    if (pending) {
      // a split write is under way or was torn by a crash: the state is what the last whole write left
      this.opts.warn?.(`${this.describe()}: a state write split into several transactions is in progress or was interrupted (${pending.value.toString().slice(0, 200)}); reading the last complete state (serial ${serialKv.value.toString()})`)
      whole = snapshotOf(this.entries((await this.rangeAll(serialKv.mod_revision)).kvs))
    }
    const source = `${this.describe()} (revision ${latest.revision})`
    let raw
    try {
      raw = stateOf(whole)
    } catch (e) {
      throw new UserError(`${source}: damaged state: ${(e as Error).message}`)
    }
    return upgradeState(raw, source)
  }

  private guards(b: Base, pendingMod: string): {key: string; target: 'Version' | 'Value' | 'Mod' | 'Lease'; value: string}[] {
    const g: {key: string; target: 'Version' | 'Value' | 'Mod' | 'Lease'; value: string}[] = []
    g.push(b.serial === null ? {key: K.serial, target: 'Version', value: '0'} : {key: K.serial, target: 'Value', value: String(b.serial)})
    if (b.lineage !== undefined) g.push({key: K.lineage, target: 'Value', value: b.lineage})
    g.push(pendingMod === '0' ? {key: K.pending, target: 'Version', value: '0'} : {key: K.pending, target: 'Mod', value: pendingMod})
    g.push(this.held ? {key: K.lock, target: 'Lease', value: this.held.leaseId} : {key: K.lock, target: 'Version', value: '0'})
    if (this.fence) g.push({key: K.leader, target: 'Lease', value: this.fence.leaseId})
    return g
  }

  private async txn(guards: ReturnType<EtcdStateBackend['guards']>, ops: IRequestOp[]): Promise<{ok: boolean; revision: string}> {
    const [first, ...rest] = guards
    let c = (await this.etcd()).if(this.key(first.key), first.target, '==', first.value)
    for (const g of rest) c = c.and(this.key(g.key), g.target, '==', g.value)
    const built = c.then(...ops)
    const r = await withRetry(() => built.commit(), this.config.timeoutMs)
    return {ok: r.succeeded, revision: r.header.revision}
  }

  private putOp(sub: string, value: string, lease?: string): IRequestOp {
    return {request_put: {key: Buffer.from(this.key(sub)), value: Buffer.from(value), ...(lease ? {lease} : {})}} as IRequestOp
  }

  private delOp(sub: string): IRequestOp {
    return {request_delete_range: {key: Buffer.from(this.key(sub))}} as IRequestOp
  }

  private async writeState(state: State, hint: WriteHint | undefined): Promise<void> {
    if (this.lost) throw new LockedError(`refusing to write the state: ${this.lost}; nothing was written`)
    if (!this.base) await this.readState()
    const b = this.base!
    if (b.lineage !== undefined && b.lineage !== state.lineage) {
      throw new StateConflictError(`refusing to write ${this.describe()}: it belongs to lineage ${b.lineage}, this state to ${state.lineage}`, 'two states with different lineages are different fleets; use another state.prefix')
    }
    if (b.serial !== null && state.serial <= b.serial) {
      throw new StateConflictError(`refusing to write ${this.describe()}: serial ${state.serial} is not newer than the stored serial ${b.serial}`, 'the state changed since it was read; run the command again')
    }
    const delta = diffState(b.snap, state, hint?.changed ? new Set(hint.changed) : undefined)
    const writeId = randomUUID()
    const ops: {op: IRequestOp; bytes: number}[] = []
    for (const [k, v] of delta.puts) {
      const bytes = k.length + v.length + this.prefix.length + 16
      if (bytes > maxTxnBytes) throw new UserError(`${this.describe()}: ${k} is ${Math.round(bytes / 1024)} KiB, more than one etcd request may carry (${maxTxnBytes / 1024} KiB); nothing was written`, undefined, [], 'Kubernetes limits an object to about 1 MiB too: split it')
      ops.push({op: this.putOp(k, v), bytes})
    }
    for (const k of delta.deletes) ops.push({op: this.delOp(k), bytes: k.length + this.prefix.length + 16})
    const finalOps = [this.putOp(K.serial, String(state.serial)), this.putOp(K.write, JSON.stringify({id: writeId, host: this.host, pid: process.pid}))]
    const chunks = chunk(ops, maxTxnOps - finalOps.length - 1, maxTxnBytes)
    // a split write (ours now, or a torn one read) ends by removing the marker
    if (b.pendingMod !== '0' || chunks.length > 1) finalOps.push(this.delOp(K.pending))
    let pendingMod = b.pendingMod
    for (let i = 0; i < chunks.length; i++) {
      const last = i === chunks.length - 1
      const body = chunks[i].map((o) => o.op)
      if (last) body.push(...finalOps)
      else body.push(this.putOp(K.pending, JSON.stringify({serial: state.serial, from: b.serial, write: writeId, part: i + 1, parts: chunks.length, host: this.host, pid: process.pid})))
      const r = await this.txn(this.guards(b, pendingMod), body)
      if (!r.ok) {
        // a retried transaction whose first reply was lost had committed: recognise our own write
        if (last && (await this.get(K.write))?.value.toString().includes(`"id":"${writeId}"`)) break
        const p = last ? null : await this.get(K.pending)
        if (p && p.value.toString().includes(`"write":"${writeId}","part":${i + 1},`)) {
          pendingMod = p.mod_revision
          this.base = undefined
          continue
        }
        if (i > 0) this.base = undefined // our own earlier parts are in etcd now: re-read before the next write
        throw await this.refused(b, state, i > 0)
      }
      if (!last) {
        pendingMod = r.revision
        this.base = undefined
      }
    }
    if (chunks.length > 1) {
      // the base was dropped while the parts went in; the write is whole now
      b.pendingMod = '0'
      this.base = b
    }
    applyDelta(b.snap, delta as KeyDelta, state.serial)
    b.serial = state.serial
    b.lineage = state.lineage
    b.pendingMod = '0'
  }

  /** Why a guarded write was refused, as the error to throw. */
  private async refused(b: Base, state: State, torn: boolean): Promise<Error> {
    const [serial, lineage, lock, leader, pending] = await Promise.all([K.serial, K.lineage, K.lock, K.leader, K.pending].map((k) => this.get(k)))
    const tail = torn ? '; the parts already sent are superseded by the next whole write' : '; nothing was written'
    if (this.fence && leader?.lease !== this.fence.leaseId) {
      const now = leader ? parseLeader(leader.value) : null
      const why = `the watch leadership moved${now ? ` to ${now.host}/${now.pid}` : ''} (our lease ${this.fence.leaseId} is gone)`
      const f = this.fence
      this.fence = undefined
      f.lost(why)
      return new LeadershipLostError(`refusing to write the state: ${why}${tail}`)
    }
    if (this.held && lock?.lease !== this.held.leaseId) {
      const other = lock ? parseLock(lock.value) : null
      const why = `our state lock ${other ? `was taken over by ${describeHolder(other)}` : 'was removed (state unlock --force, or its lease expired)'}`
      this.loseLock(why)
      return new LockedError(`refusing to write the state: ${why}${tail}`)
    }
    if (!this.held && lock) {
      const other = parseLock(lock.value)
      return new StateConflictError(`refusing to write ${this.describe()}: the state is locked by ${other ? describeHolder(other) : 'an unreadable lock'}${tail}`)
    }
    this.base = undefined
    if (lineage && b.lineage !== undefined && lineage.value.toString() !== b.lineage) {
      return new StateConflictError(`refusing to write ${this.describe()}: it belongs to lineage ${lineage.value.toString()} now, this state to ${state.lineage}${tail}`)
    }
    if (pending && pending.mod_revision !== b.pendingMod) {
      return new StateConflictError(`refusing to write ${this.describe()}: another write split into several transactions is in progress (${pending.value.toString().slice(0, 200)})${tail}`, 'run the command again')
    }
    const from = b.serial === null ? 'nothing' : `serial ${b.serial}`
    const to = serial ? `serial ${serial.value.toString()}` : 'nothing'
    return new StateConflictError(`refusing to write ${this.describe()}: the state moved from ${from} to ${to} since it was read (compare failed)${tail}`, 'another tsctl wrote it; run the command again')
  }

  private async takeLock(operation: string, commit: string | undefined): Promise<LockInfo> {
    if (this.held) throw new Error(`internal: ${this.describe()} is already locked by this process`)
    if (commit === undefined && this.opts.repo) {
      const r = spawnSync('git', ['rev-parse', '--verify', '--quiet', '--end-of-options', `${this.opts.commitRef ?? 'HEAD'}^{commit}`], {cwd: this.opts.repo, encoding: 'utf8', env: {...process.env, LC_ALL: 'C'}})
      if (r.status === 0) commit = r.stdout.trim()
    }
    const info = this.newInfo(operation, commit)
    // a watch leader's lock lives on its leadership lease: both end at the same instant
    const lease = this.fence ? undefined : (await this.etcd()).lease(this.config.ttlSeconds, {autoKeepAlive: true})
    lease?.on('lost', () => {})
    let leaseId: string
    try {
      leaseId = lease ? await lease.grant() : this.fence!.leaseId
    } catch (e) {
      lease?.release()
      throw e
    }
    const r = await (await this.etcd())
      .if(this.key(K.lock), 'Version', '==', 0)
      .then(this.putOp(K.lock, JSON.stringify(info), leaseId))
      .else({request_range: {key: Buffer.from(this.key(K.lock))}} as IRequestOp)
      .commit()
    if (r.succeeded) {
      this.held = {info, lease, leaseId}
      this.lost = undefined
      lease?.removeAllListeners('lost')
      lease?.on('lost', (err) => {
        if (this.held?.leaseId === leaseId) this.loseLock(`the state lock's lease ran out (${(err as Error)?.message ?? 'etcd unreachable'})`)
      })
      return info
    }
    if (lease) await lease.revoke().catch(() => lease.release())
    const kv = r.responses[0]?.response_range?.kvs?.[0]
    const holder = kv ? parseLock(kv.value) : null
    throw this.lockedBy(holder, kv?.lease)
  }

  private loseLock(why: string): void {
    if (!this.lost) this.opts.warn?.(why)
    this.lost = why
    this.held?.lease?.release()
    this.held = undefined
  }

  private async removeLock(opts: {force?: boolean; id?: string}): Promise<LockInfo | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const kv = await this.get(K.lock)
      if (!kv) {
        if (this.held) await this.dropHeld()
        return null
      }
      const info = parseLock(kv.value)
      const mine = info !== null && (info.id === this.held?.info.id || (opts.id !== undefined && info.id === opts.id))
      if (!mine && !opts.force) {
        if (!info) throw new LockedError(`${this.key(K.lock)} on ${this.describe()} is not a tsctl lock; use --force to remove it`)
        const err = this.lockedBy(info, kv.lease)
        throw new LockedError(err.message + '; it frees itself when its lease runs out, or run `tsctl state unlock --force` if that process is gone', info)
      }
      const r = await (await this.etcd()).if(this.key(K.lock), 'Mod', '==', kv.mod_revision).then(this.delOp(K.lock)).commit()
      if (!r.succeeded) continue
      if (mine && this.held && info?.id === this.held.info.id) await this.dropHeld()
      else if (kv.lease && kv.lease !== '0') {
        // someone else's lock: revoke its lease too, so its holder notices at its next keep-alive
        await (await this.etcd()).leaseClient.leaseRevoke({ID: kv.lease}).catch(() => {})
      }
      return info
    }
    throw new LockedError(`could not remove ${this.key(K.lock)} on ${this.describe()}: it keeps changing`)
  }

  private async dropHeld(): Promise<void> {
    const l = this.held?.lease
    this.held = undefined
    if (l) await l.revoke().catch(() => l.release())
  }

  private lockedBy(h: LockInfo | null, lease: string | undefined): LockedError {
    if (!h) return new LockedError(`state is locked: ${this.key(K.lock)} on ${this.describe()} is not a tsctl lock`)
    const extra = `${h.commit ? `, applying ${h.commit.slice(0, 12)}` : ''}${h.ttlSeconds ? `, lease TTL ${h.ttlSeconds}s${lease ? ` (lease ${lease})` : ''}` : ''}`
    return new LockedError(`state is locked by ${describeHolder(h)}${extra} [${this.key(K.lock)} on ${this.describe()}]`, h)
  }

  private newInfo(operation: string, commit: string | undefined): LockInfo {
    let user = process.env.USER ?? 'unknown'
    try {
      user = userInfo().username
    } catch {
      // no passwd entry (containers): keep $USER
    }
    return {operation, holder: `${user}@${this.host}`, pid: process.pid, host: this.host, created: new Date().toISOString(), id: randomUUID(), ttlSeconds: this.config.ttlSeconds, ...(commit ? {commit} : {})}
  }
}

/** The key after every key that starts with P (etcd's prefix range end). */
function prefixEnd(p: Buffer): Buffer {
  const end = Buffer.from(p)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0])
}

function chunk<T extends {bytes: number}>(ops: T[], maxOps: number, maxBytes: number): T[][] {
  const out: T[][] = [[]]
  let bytes = 0
  for (const o of ops) {
    const cur = out[out.length - 1]
    if (cur.length > 0 && (cur.length >= maxOps || bytes + o.bytes > maxBytes)) {
      out.push([o])
      bytes = o.bytes
    } else {
      cur.push(o)
      bytes += o.bytes
    }
  }
  return out
}

export function parseLock(v: Buffer): LockInfo | null {
  try {
    const o = JSON.parse(v.toString('utf8')) as LockInfo
    return typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.id === 'string' ? o : null
  } catch {
    return null
  }
}

/** Who leads the watchers (the value of `<prefix>/leader`). */
export interface LeaderInfo {
  host: string
  pid: number
  holder: string
  id: string
  since: string
}

export function parseLeader(v: Buffer): LeaderInfo | null {
  try {
    const o = JSON.parse(v.toString('utf8')) as LeaderInfo
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null
  } catch {
    return null
  }
}
