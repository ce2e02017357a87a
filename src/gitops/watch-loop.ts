import type {WatchRecordOutput} from '../manifests/generated/output.js'
import type {StateBackend} from '../state/backend.js'
import type {Leadership} from '../state/leadership.js'
import {type CommitOrder, nextCommit} from './commit-log.js'
import type {SyncFn, SyncPortOptions, SyncPortResult} from './sync-port.js'
import type {TipSource} from './tip-source.js'

/**
 * One structured log record of the loop (`-o json` prints one per line).
 * Its shape is schemas/output/watch-record.json, the source of truth; the
 * type is generated from it, so an event the schema does not list fails to compile.
 */
export type WatchRecord = WatchRecordOutput

export interface WatchLoopOptions {
  source: TipSource
  order: CommitOrder
  sync: SyncFn
  backend: StateBackend
  /** the commit already applied (state.appliedCommit), or null */
  applied: string | null
  /** periodic passes of the last commit when idle; 0 = none */
  resyncMs: number
  coalesce?: boolean
  /** options passed through to every sync() */
  syncOptions?: Omit<SyncPortOptions, 'repo' | 'ref' | 'backend' | 'onEvent' | 'shouldStop' | 'now' | 'dryRun'>
  /** aborting it stops the loop after the step in flight */
  signal: AbortSignal
  emit: (r: WatchRecord) => void
  now?: () => number
  /** delay before retrying a pass that could not start (locked state, git error); doubles to max */
  retryMs?: {min: number; max: number}
  /**
   * Several watchers of one state (etcd): only the leader runs passes; the
   * others report `standby (leader: host/pid)` and wait. On becoming leader
   * the loop resumes after the state's applied commit (what the previous
   * leader finished), so no commit is applied twice or skipped.
   */
  leadership?: Leadership
  /**
   * The endpoints-only refresh between passes (docs/networking.md,
   * "Readiness across hosts"): every `everyMs` while idle, for the last
   * valid commit, by the leader only, never while a pass runs. 0 or absent:
   * none.
   */
  endpoints?: {everyMs: number; refresh: EndpointsRefreshPort}
}

/**
 * The part of the endpoints refresh (src/sync/endpoints-refresh.ts) the loop
 * uses, structurally, so the loop is unit-tested with a recording fake:
 * `run` observes the hosts and re-applies only network files that changed,
 * taking the state lock only then; it never throws for a host problem.
 */
export interface EndpointsRefreshPort {
  run(o: {ref: string; shouldStop: () => boolean}): Promise<{changed: {node: string}[]; failed: {node: string; error: string}[]; ms: number; skipped?: string}>
}

export interface WatchLoopResult {
  passes: number
  /** the last commit a pass was run for */
  last: string | null
}

/** Exit codes that mean "could not run the pass now, try again": the lock. */
const RETRY_CODES = new Set([3])

/**
 * The GitOps loop: one sync pass per new commit of the tracked branch, in
 * first-parent order (never skipping one unless `coalesce`), and a resync
 * pass of the last commit after `resyncMs` without one (drift, node
 * failure, CronJobs). A pass is superseded — sync's `shouldStop` turns true
 * so it returns after the step in flight — as soon as the branch tip is
 * another commit than the one being applied, or the signal aborts.
 * Between passes, `endpoints` refreshes the hosts' Service rules from a
 * fresh observation (readiness across hosts); it runs in this loop's turn,
 * so never beside a pass.
 *
 * Bounded: no queue is kept (the next commit is asked of git each time),
 * one pass runs at a time, retries back off up to `retryMs.max`, and each
 * record's message is capped.
 */
export async function watchLoop(o: WatchLoopOptions): Promise<WatchLoopResult> {
  const now = o.now ?? Date.now
  const retry = o.retryMs ?? {min: 1000, max: 30_000}
  const emit = (r: Omit<WatchRecord, 'time'>) => o.emit({time: new Date(now()).toISOString(), ...r, message: r.message.slice(0, 2000)})
  let passes = 0
  let last: string | null = null
  /** the commit a resync pass applies: the last commit that was not rejected as invalid */
  let resyncRef: string | null = null
  /** the newest tip seen, refreshed on every change notification */
  let knownTip: string | null = null
  let inFlight: string | null = null
  let backoff = retry.min
  let reportedError: string | undefined
  const gate = o.leadership
  // Deadlines on the monotonic clock (o.now only stamps records). The resync deadline starts
  // again on every wait but one that follows a refresh, so refreshes do not postpone resyncs.
  const refreshEvery = o.endpoints && o.endpoints.everyMs > 0 ? o.endpoints.everyMs : 0
  let refreshDue = 0
  let resyncDue = 0
  let afterRefresh = false
  /** the last refresh problem reported (error text or failed nodes), so a lasting one is one record */
  let refreshReported: string | undefined

  const wake = new Waker()
  const refreshTip = async () => {
    try {
      knownTip = await o.source.tip()
    } catch {
      // keep the old one; the next tick asks again
    }
    wake.notify()
  }
  o.signal.addEventListener('abort', () => wake.notify(), {once: true})
  try {
    await o.source.start(() => void refreshTip())
    knownTip = await o.source.tip()
    // resume after the applied commit when it is still in the branch's history
    if (o.applied && knownTip && (await o.order.isAncestor(o.applied, knownTip))) last = resyncRef = o.applied
    emit({level: 'info', event: 'watch.start', message: `watching ${o.source.ref} of ${o.source.repo}${last ? `, applied ${short(last)}` : ''}`, ...(knownTip ? {commit: knownTip} : {})})
    if (gate) {
      gate.onLost(() => wake.notify())
      await lead()
    }

    while (!o.signal.aborted) {
      if (gate && !gate.isLeader()) {
        emit({level: 'warn', event: 'leadership.lost', message: `lost the leadership: ${gate.lostReason() ?? 'unknown'}; standing by`})
        if (!(await lead())) break
        continue
      }
      let next
      if (o.source.lastError !== reportedError) {
        reportedError = o.source.lastError
        if (reportedError) emit({level: 'warn', event: 'fetch.error', message: reportedError})
      }
      try {
        knownTip = await o.source.tip()
        next = await nextCommit(o.order, last, knownTip, o.coalesce)
      } catch (e) {
        emit({level: 'error', event: 'git.error', message: errText(e)})
        await wake.wait(backoff, o.signal)
        backoff = Math.min(backoff * 2, retry.max)
        continue
      }
      if (next) {
        if (next.rewritten) emit({level: 'warn', event: 'rewritten', commit: next.sha, message: `${short(last)} is not in the history of ${o.source.ref} any more (force push?): going to the tip ${short(next.sha)}`})
        const subject = await o.order.subject(next.sha).catch(() => '')
        emit({level: 'info', event: 'commit', commit: next.sha, subject, behind: next.behind - 1, ...(next.skipped ? {skipped: next.skipped} : {}), message: `new commit ${short(next.sha)} ${JSON.stringify(subject)}${next.skipped ? ` (coalesced ${next.skipped} older)` : ''}`})
        const r = await pass(next.sha, subject, 'commit')
        if (r === 'retry') {
          await wake.wait(backoff, o.signal)
          backoff = Math.min(backoff * 2, retry.max)
          continue
        }
        backoff = retry.min
        last = next.sha
        if (r.exitCode !== 2) resyncRef = next.sha
        continue
      }
      // idle: wait for a change, the resync tick, the endpoints tick or the stop signal
      const t = performance.now()
      if (!afterRefresh) resyncDue = t + o.resyncMs
      afterRefresh = false
      const untilResync = o.resyncMs > 0 ? Math.max(0, resyncDue - t) : undefined
      const untilRefresh = refreshEvery && resyncRef ? Math.max(0, refreshDue - t) : undefined
      const refreshNext = untilRefresh !== undefined && (untilResync === undefined || untilRefresh < untilResync)
      const woke = await wake.wait(refreshNext ? untilRefresh : untilResync, o.signal)
      if (woke || o.signal.aborted || !resyncRef) continue
      if (refreshNext) {
        if (gate && !gate.isLeader()) continue
        await refresh(resyncRef)
        afterRefresh = true
        continue
      }
      // before resyncing, make sure no commit arrived unnoticed
      knownTip = await o.source.tip().catch(() => knownTip)
      if (knownTip && knownTip !== last) continue
      const r = await pass(resyncRef, await o.order.subject(resyncRef).catch(() => ''), 'resync')
      if (r === 'retry') backoff = Math.min(backoff * 2, retry.max)
    }
    emit({level: 'info', event: 'watch.stop', message: `stopped after ${passes} pass${passes === 1 ? '' : 'es'}`, ...(last ? {commit: last} : {})})
    return {passes, last}
  } finally {
    await gate?.resign().catch(() => {})
    await o.source.close()
  }

  /** Stands by until this watcher leads, then resumes after the commit the state says was applied. false: stopped. */
  async function lead(): Promise<boolean> {
    const ok = await gate!.acquire(o.signal, (l) => emit({level: 'info', event: 'standby', leader: l, message: `standby (leader: ${l.host}/${l.pid})`}))
    if (!ok) return false
    let applied: string | null = null
    for (;;) {
      try {
        applied = (await o.backend.read())?.appliedCommit?.sha ?? null
        knownTip = await o.source.tip()
        last = resyncRef = applied && knownTip && (await o.order.isAncestor(applied, knownTip)) ? applied : null
        break
      } catch (e) {
        emit({level: 'error', event: 'git.error', message: errText(e)})
        await wake.wait(backoff, o.signal)
        if (o.signal.aborted) return false
        backoff = Math.min(backoff * 2, retry.max)
      }
    }
    emit({level: 'info', event: 'leader', message: `leading (${gate!.describe()})${last ? `, applied ${short(last)}` : ''}`, ...(last ? {commit: last} : {})})
    return true
  }

  async function pass(sha: string, subject: string, reason: 'commit' | 'resync'): Promise<SyncPortResult | 'retry'> {
    passes++
    const n = passes
    inFlight = sha
    afterRefresh = false
    let superseded = false
    emit({level: 'info', event: 'pass.start', pass: n, reason, commit: sha, subject, message: `pass ${n}: ${reason} ${short(sha)} ${JSON.stringify(subject)}`})
    try {
      const r = await o.sync({
        ...o.syncOptions,
        repo: o.source.repo,
        ref: sha,
        backend: o.backend,
        ...(o.now ? {now: o.now} : {}),
        onEvent: (e) => emit({level: 'info', event: 'sync', pass: n, commit: sha, message: eventText(e), detail: e as object}),
        shouldStop: () => {
          if (o.signal.aborted) return true
          if (gate && !gate.isLeader()) return true
          if (knownTip !== null && knownTip !== inFlight) superseded = true
          return superseded
        },
      })
      if (RETRY_CODES.has(r.exitCode)) {
        emit({level: 'warn', event: 'pass.error', pass: n, reason, commit: sha, exitCode: r.exitCode, message: `pass ${n}: the state is locked; retrying`})
        passes--
        return 'retry'
      }
      if (superseded && !r.converged) emit({level: 'info', event: 'superseded', pass: n, commit: sha, message: `pass ${n}: ${short(sha)} superseded by ${short(knownTip)} after the step in flight`})
      emit({
        // a pass superseded or stopped by a signal stopped on purpose: not an error, whatever code sync gave it
        level: r.exitCode === 0 || ((superseded || o.signal.aborted) && !r.converged) ? 'info' : 'error',
        event: 'pass.end',
        pass: n,
        reason,
        commit: sha,
        exitCode: r.exitCode,
        converged: r.converged,
        message: `pass ${n}: ${short(sha)} ${r.converged ? 'converged' : superseded ? 'superseded' : o.signal.aborted ? 'stopped' : 'not converged'} (exit ${r.exitCode})`,
      })
      return r
    } catch (e) {
      const code = (e as {exitCode?: number}).exitCode
      if (code !== undefined && RETRY_CODES.has(code)) {
        emit({level: 'warn', event: 'pass.error', pass: n, reason, commit: sha, exitCode: code, message: `pass ${n}: ${errText(e)}; retrying`})
        passes--
        return 'retry'
      }
      const exitCode = typeof code === 'number' ? code : 2
      emit({level: 'error', event: 'pass.error', pass: n, reason, commit: sha, exitCode, message: `pass ${n}: ${short(sha)} failed: ${errText(e)}`})
      return {exitCode, converged: false, commit: null}
    } finally {
      inFlight = null
      refreshDue = performance.now() + refreshEvery
    }
  }

  /** One endpoints refresh of REF: a record when it changed a host's rules (or a new problem), none otherwise. */
  async function refresh(ref: string): Promise<void> {
    try {
      const r = await o.endpoints!.refresh.run({ref, shouldStop: () => o.signal.aborted || (gate !== undefined && !gate.isLeader())})
      const failed = r.failed.map((f) => `${f.node}: ${f.error}`).join('; ')
      const newFailure = failed !== '' && failed !== refreshReported
      refreshReported = failed || undefined
      if (r.changed.length === 0 && !newFailure) return
      const nodes = r.changed.map((c) => c.node)
      emit({
        level: failed ? 'warn' : 'info',
        event: 'endpoints',
        commit: ref,
        nodes,
        ms: r.ms,
        ...(r.failed.length ? {failedNodes: r.failed} : {}),
        message: `endpoints: ${nodes.length ? `rules updated on ${nodes.join(', ')} in ${r.ms} ms` : 'no rules updated'}${failed ? `; failed on ${failed}` : ''}`,
      })
    } catch (e) {
      const m = `endpoints refresh of ${short(ref)} failed: ${errText(e)}`
      if (m !== refreshReported) emit({level: 'warn', event: 'endpoints', commit: ref, nodes: [], message: m})
      refreshReported = m
    } finally {
      refreshDue = performance.now() + refreshEvery
    }
  }
}

function short(sha: string | null): string {
  return sha ? sha.slice(0, 8) : '(none)'
}

function errText(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]
}

/** A sync event as one line: its message when it has one. */
export function eventText(e: unknown): string {
  if (e && typeof e === 'object') {
    const m = (e as {message?: unknown}).message
    if (typeof m === 'string') return m
    const t = (e as {type?: unknown}).type
    return typeof t === 'string' ? `${t} ${JSON.stringify(e).slice(0, 300)}` : JSON.stringify(e).slice(0, 300)
  }
  return String(e)
}

/** A one-shot-per-wait notification: wait() resolves true when notified, false on timeout. */
export class Waker {
  private pending = false
  private resolve: ((v: boolean) => void) | undefined

  notify(): void {
    if (this.resolve) {
      const r = this.resolve
      this.resolve = undefined
      r(true)
    } else this.pending = true
  }

  wait(ms: number | undefined, signal?: AbortSignal): Promise<boolean> {
    if (this.pending || signal?.aborted) {
      this.pending = false
      return Promise.resolve(!signal?.aborted)
    }
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => {
        this.resolve = undefined
        resolve(false)
      }, ms)
      this.resolve = (v) => {
        if (timer) clearTimeout(timer)
        resolve(v)
      }
    })
  }
}
