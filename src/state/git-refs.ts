import {randomUUID} from 'node:crypto'
import {UserError} from '../errors.js'
import {firstLine, git, maskUrl, runGit, tsctlIdentity} from './git-run.js'

/** One compare-and-swap step: `old` null = the ref must not exist; `new` null = delete it. */
export interface RefUpdate {
  ref: string
  new: string | null
  old: string | null
}

/**
 * Where refs of the state live, and the only two things we do to them:
 * read one ref (with the objects it names), and apply compare-and-swap
 * updates to one or more refs atomically. Objects are always made in the
 * local repository `repo` (its object store, mode 0400 through runGit's
 * umask) and pushed from there, so a remote's credentials and config
 * (e.g. the extraheader actions/checkout sets) apply unchanged.
 *
 * - local (`remote` null): `git update-ref --stdin` with create/update/delete
 *   lines carrying the expected old value: one transaction, all or nothing.
 * - remote (a remote name or URL): `git push --porcelain [--atomic]
 *   --force-with-lease=REF:OLD` (empty OLD: must not exist). The push
 *   protocol sends the old value with every update and receive-pack checks
 *   it under its ref lock, so this is a CAS on the server, never a blind
 *   overwrite.
 */
export class RefStore {
  constructor(readonly repo: string, readonly remote: string | null) {}

  /** The sha `ref` points at (fetching it, and the objects it needs, from a remote), or null when absent. */
  async get(ref: string): Promise<string | null> {
    if (this.remote === null) {
      const r = await runGit(this.repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])
      const sha = r.stdout.toString('utf8').trim()
      return r.code === 0 && sha ? sha : null
    }
    // A private temporary ref per call: concurrent tsctl processes in one clone never fight over a ref lock.
    const tmp = `refs/tsctl-fetch/${randomUUID()}`
    const r = await runGit(this.repo, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', this.remote, `+${ref}:${tmp}`])
    if (r.code !== 0) {
      if (/couldn't find remote ref/i.test(r.stderr)) return null
      throw new UserError(`cannot read ${ref} from ${this.where()}: ${firstLine(r.stderr)}`, undefined, [], 'check the remote name or URL (--state-remote) and that this runner may fetch from it')
    }
    try {
      return (await git(this.repo, ['rev-parse', '--verify', tmp])).trim()
    } finally {
      await runGit(this.repo, ['update-ref', '-d', tmp])
    }
  }

  /**
   * Applies every update or none. Returns `{ok: false, message}` when git
   * refused: a CAS conflict, or something else — the caller re-reads to
   * tell which (a ref that did not move means the refusal was not a race).
   */
  async update(updates: RefUpdate[]): Promise<{ok: true} | {ok: false; message: string}> {
    // Another process inside its own ref transaction holds git's `.lock` file for a moment. That is not
    // an answer to our compare-and-swap yet: wait for its transaction to end and ask again, so the
    // caller's re-read sees where the ref went.
    for (let attempt = 0; ; attempt++) {
      const r = await this.updateOnce(updates)
      if (r.ok || attempt >= 20 || !/unable to create '[^']*\.lock'|\.lock': file exists|failed to lock/i.test(r.message)) return r
      await new Promise((res) => setTimeout(res, 10 + attempt * 10))
    }
  }

  private async updateOnce(updates: RefUpdate[]): Promise<{ok: true} | {ok: false; message: string}> {
    if (this.remote === null) {
      const lines = updates.map((u) => (u.new === null ? `delete ${u.ref} ${u.old ?? ''}` : u.old === null ? `create ${u.ref} ${u.new}` : `update ${u.ref} ${u.new} ${u.old}`))
      const r = await runGit(this.repo, ['update-ref', '--stdin'], {input: lines.join('\n') + '\n'})
      return r.code === 0 ? {ok: true} : {ok: false, message: firstLine(r.stderr)}
    }
    const args = ['push', '--porcelain', '--no-verify']
    if (updates.length > 1) args.push('--atomic')
    for (const u of updates) args.push(`--force-with-lease=${u.ref}:${u.old ?? ''}`)
    args.push(this.remote, ...updates.map((u) => `${u.new ?? ''}:${u.ref}`))
    const r = await runGit(this.repo, args)
    if (r.code === 0) return {ok: true}
    const out = r.stdout.toString('utf8')
    const rejected = out.split('\n').find((l) => l.startsWith('!'))
    return {ok: false, message: maskUrl(rejected ? rejected.split('\t').slice(2).join(' ') : firstLine(r.stderr))}
  }

  /** Makes a parentless commit whose tree holds one file; returns its sha. Objects land in `repo`, mode 0400. */
  async commitFile(file: string, content: string, message: string): Promise<string> {
    const blob = (await git(this.repo, ['hash-object', '-w', '--stdin'], {input: content})).trim()
    const tree = (await git(this.repo, ['mktree'], {input: `100644 blob ${blob}\t${file}\n`})).trim()
    return (await git(this.repo, ['commit-tree', tree, '-m', message], {env: tsctlIdentity})).trim()
  }

  /** The file's bytes in commit `sha`, or null when the commit has no such file (not a tsctl ref). */
  async readFile(sha: string, file: string): Promise<string | null> {
    const r = await runGit(this.repo, ['cat-file', 'blob', `${sha}:${file}`])
    return r.code === 0 ? r.stdout.toString('utf8') : null
  }

  /** `origin (https://***@github.com/acme/fleet.git)`, or the repo path: for messages, credentials masked. */
  where(): string {
    return this.remote === null ? this.repo : maskUrl(this.remote)
  }
}
