import {mkdir} from 'node:fs/promises'
import {isAbsolute, join, resolve} from 'node:path'
import {simpleGit} from 'simple-git'
import {GitCommitLog} from './commit-log.js'

/**
 * Where the loop learns that the tracked branch may have moved. `tip()`
 * resolves the branch now; `onChange` is called (possibly spuriously, never
 * with data) whenever it might have changed. The loop also calls `tip()`
 * on every resync tick, so a missed notification costs at most one tick.
 */
export interface TipSource {
  /** the repo sync reads commits from (the local repo, or the mirror of a remote) */
  readonly repo: string
  /** the full ref name tracked, e.g. refs/heads/main */
  readonly ref: string
  start(onChange: () => void): Promise<void>
  tip(): Promise<string | null>
  /** the last failure to learn the tip (a fetch), for the log; undefined when fine */
  readonly lastError?: string
  close(): Promise<void>
}

/**
 * A branch name as git allows it, and nothing a shell or git could read as
 * an option or a pattern. Throws with the reason.
 */
export function checkBranch(branch: string): string {
  const bad =
    !/^[A-Za-z0-9._/-]+$/.test(branch) ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.endsWith('.lock') ||
    branch.includes('..') ||
    branch.includes('//') ||
    branch.split('/').some((p) => p.startsWith('.'))
  if (bad) throw new Error(`invalid branch name ${JSON.stringify(branch)}`)
  return branch
}

/** `--repo` names a remote (URL or scp-like `host:path`) rather than a local directory. */
export function isRemote(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/:]+@[^/:]+:/.test(repo)
}

/**
 * A local repository (work tree or bare): chokidar watches the branch's
 * loose ref file (under refs/heads, which git replaces by renaming
 * `<ref>.lock`) and `packed-refs` (rewritten by `git pack-refs`/gc, and
 * the only place a packed branch moves).
 */
export class LocalTipSource implements TipSource {
  readonly ref: string
  private readonly log: GitCommitLog
  private watcher: {close(): Promise<void>} | undefined

  constructor(readonly repo: string, branch: string) {
    this.ref = `refs/heads/${checkBranch(branch)}`
    this.log = new GitCommitLog(repo)
  }

  async start(onChange: () => void): Promise<void> {
    const gitDir = (await simpleGit({baseDir: this.repo}).raw(['rev-parse', '--absolute-git-dir'])).trim()
    // a linked worktree keeps its refs in the common dir
    let common = (await simpleGit({baseDir: this.repo}).raw(['rev-parse', '--git-common-dir'])).trim()
    if (!isAbsolute(common)) common = resolve(this.repo, common)
    const dir = common || gitDir
    await mkdir(join(dir, 'refs', 'heads'), {recursive: true})
    const {watch} = await import('chokidar')
    const w = watch([join(dir, 'refs', 'heads'), join(dir, 'packed-refs')], {
      ignoreInitial: true,
      // lock files come and go on every update; their rename is the event
      ignored: (p: string) => p.endsWith('.lock'),
    })
    w.on('all', () => onChange())
    w.on('error', () => onChange())
    await new Promise<void>((r) => w.once('ready', () => r()))
    this.watcher = w
  }

  tip(): Promise<string | null> {
    return this.log.resolve(this.ref)
  }

  async close(): Promise<void> {
    await this.watcher?.close()
    this.watcher = undefined
  }
}

/**
 * A remote URL: a bare mirror under `mirror` fetched with simple-git every
 * `intervalMs` (and at start). Only the tracked branch is fetched, into the
 * mirror's own `refs/heads/<branch>`, forced, so a force push upstream is
 * seen as one (the loop then goes to the new tip).
 */
export class RemoteTipSource implements TipSource {
  readonly ref: string
  private readonly log: GitCommitLog
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private fetching: Promise<void> | undefined
  /** the last fetch failure, for the log; cleared by a successful fetch */
  lastError: string | undefined

  constructor(
    readonly url: string,
    branch: string,
    readonly repo: string,
    private readonly intervalMs: number,
    private readonly timeoutMs = 60_000,
  ) {
    if (url.startsWith('-')) throw new Error(`invalid repository URL ${JSON.stringify(url)}`)
    this.ref = `refs/heads/${checkBranch(branch)}`
    this.log = new GitCommitLog(repo)
  }

  async start(onChange: () => void): Promise<void> {
    await mkdir(this.repo, {recursive: true})
    const git = simpleGit({baseDir: this.repo, timeout: {block: this.timeoutMs}})
    if (!(await git.checkIsRepo().catch(() => false))) await git.raw(['init', '--bare', '--quiet'])
    await this.fetch()
    const tick = async () => {
      if (this.closed) return
      const before = await this.tip()
      await this.fetch()
      if ((await this.tip()) !== before) onChange()
      if (!this.closed) this.timer = setTimeout(tick, this.intervalMs)
    }
    this.timer = setTimeout(tick, this.intervalMs)
  }

  /** One fetch at a time; errors are kept for the log and retried on the next tick. */
  fetch(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        await simpleGit({baseDir: this.repo, timeout: {block: this.timeoutMs}}).raw([
          // git (and simple-git) refuse the ext:: transport by default; --end-of-options keeps the URL an operand
          'fetch', '--quiet', '--no-tags', '--force', '--end-of-options', this.url, `+${this.ref}:${this.ref}`,
        ])
        this.lastError = undefined
      } catch (e) {
        this.lastError = String((e as Error).message ?? e).trim().split('\n')[0].slice(0, 300)
      } finally {
        this.fetching = undefined
      }
    })()
    return this.fetching
  }

  tip(): Promise<string | null> {
    return this.log.resolve(this.ref)
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    await this.fetching
  }
}
