import {simpleGit, type SimpleGit} from 'simple-git'

/**
 * The few git questions the loop asks of the repo it syncs from (a local
 * repo, or the mirror of a remote). Every call is one short git process
 * with a timeout, and every answer is bounded in size: the loop never
 * lists a whole history, it asks for the one next commit.
 */
export interface CommitOrder {
  /** the commit `ref` names, or null when it does not exist (yet) */
  resolve(ref: string): Promise<string | null>
  /** `a` is `b` or an ancestor of it */
  isAncestor(a: string, b: string): Promise<boolean>
  /** the oldest commit of `from..to` on `to`'s first-parent chain, and how many there are */
  oldestAfter(from: string, to: string): Promise<{sha: string; count: number} | null>
  subject(sha: string): Promise<string>
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/

/** CommitOrder over simple-git. */
export class GitCommitLog implements CommitOrder {
  private g: SimpleGit | undefined

  constructor(readonly repo: string, private readonly timeoutMs = 30_000) {}

  /** made on first use: a remote's mirror does not exist before the first fetch */
  private get git(): SimpleGit {
    return (this.g ??= simpleGit({baseDir: this.repo, maxConcurrentProcesses: 2, timeout: {block: this.timeoutMs}}))
  }

  async resolve(ref: string): Promise<string | null> {
    try {
      const sha = (await this.git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim()
      return SHA.test(sha) ? sha : null
    } catch {
      return null
    }
  }

  async isAncestor(a: string, b: string): Promise<boolean> {
    if (!SHA.test(a) || !SHA.test(b)) return false
    try {
      await this.git.raw(['merge-base', '--is-ancestor', a, b])
      return true
    } catch {
      return false
    }
  }

  async oldestAfter(from: string, to: string): Promise<{sha: string; count: number} | null> {
    if (!SHA.test(from) || !SHA.test(to)) throw new Error(`not commit shas: ${from} ${to}`)
    const range = `${from}..${to}`
    const count = Number((await this.git.raw(['rev-list', '--count', '--first-parent', range])).trim())
    if (!count) return null
    // newest first, so the oldest is the last: skip the others, list one
    const sha = (await this.git.raw(['rev-list', '--first-parent', `--skip=${count - 1}`, '--max-count=1', range])).trim()
    return SHA.test(sha) ? {sha, count} : null
  }

  async subject(sha: string): Promise<string> {
    if (!SHA.test(sha)) return ''
    return (await this.git.raw(['show', '-s', '--format=%s', sha])).trim().slice(0, 200)
  }
}

/** What the loop should apply next, and why. */
export type NextCommit =
  | {sha: string; behind: number; skipped: number; rewritten: boolean}
  | null

/**
 * The ordering rule: after `last`, the oldest first-parent commit up to
 * `tip`, so each commit gets its own pass in the order the branch got
 * them (a merge is one pass: its first parent chain is the branch's
 * history). `coalesce` jumps straight to the tip. When `last` is not an
 * ancestor of the tip (a force push rewrote history) or nothing was applied
 * yet, the tip is next: replaying an abandoned or ancient history would
 * roll the fleet through states nobody asked for.
 */
export async function nextCommit(log: CommitOrder, last: string | null, tip: string | null, coalesce = false): Promise<NextCommit> {
  if (!tip || tip === last) return null
  if (!last) return {sha: tip, behind: 1, skipped: 0, rewritten: false}
  if (!(await log.isAncestor(last, tip))) return {sha: tip, behind: 1, skipped: 0, rewritten: true}
  const oldest = await log.oldestAfter(last, tip)
  if (!oldest) return null
  if (coalesce) return {sha: tip, behind: oldest.count, skipped: oldest.count - 1, rewritten: false}
  return {sha: oldest.sha, behind: oldest.count, skipped: 0, rewritten: false}
}
