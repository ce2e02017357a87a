import {UserError} from '../errors.js'
import type {MergeInfo} from '../render/diff-model.js'
import {runGit, tsctlIdentity} from '../state/git-run.js'

const git = async (repo: string, args: string[], env?: Record<string, string>) => {
  const r = await runGit(repo, args, {env})
  return {code: r.code, out: r.stdout.toString('utf8').trim(), err: r.stderr}
}

async function resolve(repo: string, ref: string, flag: string): Promise<{sha: string; subject: string; date: string}> {
  const r = await git(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])
  if (r.code !== 0 || !/^[0-9a-f]{40,64}$/.test(r.out)) {
    throw new UserError(`${flag} ${JSON.stringify(ref)} does not name a commit in ${repo}`, undefined, [], 'fetch it first (git fetch origin BRANCH), or pass a sha')
  }
  const [subject, date] = (await git(repo, ['show', '-s', '--format=%s%x00%cI', r.out])).out.split('\0')
  return {sha: r.out, subject, date}
}

/**
 * The commit whose manifests `tsctl diff --ref REF --base BASE` plans: what
 * main would hold after merging the pull request.
 *
 * - BASE is an ancestor of REF (the branch is up to date): REF itself.
 * - REF is already in BASE: BASE.
 * - Otherwise `git merge-tree --write-tree` (git ≥ 2.38; no work tree, no
 *   index touched) merges them, and a commit of that tree with both as
 *   parents is written to the object store. Its author, committer and
 *   dates are fixed (tsctl, REF's committer date), so every runner makes
 *   the same sha and a saved plan of it verifies anywhere.
 * - A conflict is exit 2 naming the conflicting files: there is no
 *   "after the merge" to plan.
 */
export async function mergeCommit(opts: {repo: string; ref: string; base: string}): Promise<{sha: string; merge: MergeInfo}> {
  const head = await resolve(opts.repo, opts.ref, '--ref')
  const base = await resolve(opts.repo, opts.base, '--base')
  const info = (how: MergeInfo['how']): MergeInfo => ({base: {ref: opts.base, sha: base.sha}, head: {ref: opts.ref, sha: head.sha, subject: head.subject}, how})
  if ((await git(opts.repo, ['merge-base', '--is-ancestor', base.sha, head.sha])).code === 0) return {sha: head.sha, merge: info('fast-forward')}
  if ((await git(opts.repo, ['merge-base', '--is-ancestor', head.sha, base.sha])).code === 0) return {sha: base.sha, merge: info('up-to-date')}
  if ((await git(opts.repo, ['merge-base', base.sha, head.sha])).code !== 0) {
    // No common ancestor: merge-tree would report every file as a conflict. In CI this is a shallow clone.
    const shallow = (await git(opts.repo, ['rev-parse', '--is-shallow-repository'])).out === 'true'
    throw new UserError(
      `${opts.ref} and ${opts.base} have no common ancestor in ${opts.repo}${shallow ? ' (the clone is shallow)' : ''}`,
      undefined,
      [],
      shallow ? 'fetch the whole history: git fetch --unshallow (actions/checkout: fetch-depth: 0)' : 'are they branches of the same repository?',
    )
  }
  const m = await git(opts.repo, ['merge-tree', '--write-tree', '--name-only', '--no-messages', base.sha, head.sha])
  if (m.code === 1) {
    const files = m.out.split('\n').slice(1).filter(Boolean)
    throw new UserError(
      `${opts.ref} does not merge cleanly into ${opts.base}: conflicts in ${files.join(', ') || '(unknown files)'}`,
      undefined,
      files.map((file) => ({severity: 'error' as const, file, message: 'merge conflict'})),
      `merge ${opts.base} into the branch and resolve them, then diff again`,
    )
  }
  if (m.code !== 0) {
    const old = /unknown option|usage: git merge-tree/i.test(m.err)
    throw new UserError(`cannot merge ${opts.ref} into ${opts.base}: ${m.err.trim().split('\n')[0]}`, undefined, [], old ? 'diff --base needs git 2.38 or newer (merge-tree --write-tree)' : undefined)
  }
  const tree = m.out.split('\n')[0]
  const env = {...tsctlIdentity, GIT_AUTHOR_DATE: head.date, GIT_COMMITTER_DATE: head.date}
  const c = await git(opts.repo, ['commit-tree', tree, '-p', base.sha, '-p', head.sha, '-m', `Merge ${opts.ref} into ${opts.base}`], env)
  if (c.code !== 0) throw new UserError(`cannot write the merge commit in ${opts.repo}: ${c.err.trim().split('\n')[0]}`)
  return {sha: c.out, merge: info('merged')}
}
