/**
 * Reads one commit of a manifests repo straight from git objects (never the
 * working tree), so `diff` of a PR branch and `sync` of a pushed commit read
 * exactly what was committed.
 *
 * Cost is three git processes whatever the repo size: `rev-parse` +
 * `show -s` for the commit, one `ls-tree -r -l` for the file list with blob
 * sizes, and one `git show BLOB…` per 500 files whose concatenated output is
 * split by those sizes (`showBuffer`, so multi-byte text is cut on bytes).
 */
import {simpleGit, type SimpleGit} from 'simple-git'
import {ExitCode, UserError} from '../errors.js'
import type {CommitInfo} from './desired.js'

/** A file of the commit, as bytes decoded to text. */
export interface GitFile {
  path: string
  text: string
}

export interface TreeEntry {
  path: string
  blob: string
  size: number
}

/** An open manifests repo at a resolved commit. */
export interface CommitReader {
  commit: CommitInfo
  /** every blob of the commit's tree (symlinks and submodules left out), sorted by path */
  entries: TreeEntry[]
  /** the contents of the given entries, in the same order; not UTF-8 → `text` undefined */
  read(entries: TreeEntry[]): Promise<{entry: TreeEntry; text?: string}[]>
}

const batchSize = 500

function gitMessage(e: unknown): string {
  return String((e as Error)?.message ?? e).trim().split('\n')[0]
}

/**
 * Opens `repo` at `ref` (default `HEAD`). Throws UserError (exit 2) when
 * `repo` is not a git repository or `ref` does not name a commit.
 */
export async function openCommit(repo: string, ref = 'HEAD'): Promise<CommitReader> {
  let git: SimpleGit
  try {
    git = simpleGit({baseDir: repo, maxConcurrentProcesses: 2})
    await git.raw(['rev-parse', '--git-dir'])
  } catch (e) {
    throw new UserError(`${repo} is not a git repository (${gitMessage(e)})`, ExitCode.invalid, [], 'pass --repo DIR of a git repository, or run `git init` and commit the manifests')
  }
  let sha: string
  try {
    sha = (await git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim()
  } catch {
    sha = ''
  }
  if (!/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new UserError(`--ref ${JSON.stringify(ref)} does not name a commit in ${repo}`, ExitCode.invalid, [], ref === 'HEAD' ? 'the repository has no commits yet: commit the manifests first' : 'pass a branch, tag or commit sha that exists (git log --oneline shows them)')
  }
  const [h, subject, author, date] = (await git.raw(['show', '-s', '--format=%H%x00%s%x00%an <%ae>%x00%cI', sha])).replace(/\n$/, '').split('\0')
  const commit: CommitInfo = {sha: h, subject, author, date}

  const entries: TreeEntry[] = []
  const tree = await git.raw(['ls-tree', '-r', '-l', '-z', '--full-tree', sha])
  for (const rec of tree.split('\0')) {
    if (!rec) continue
    const tab = rec.indexOf('\t')
    const [mode, type, blob, size] = rec.slice(0, tab).split(/\s+/)
    // symlinks (120000) point outside git's objects; submodules are commits
    if (type !== 'blob' || mode === '120000') continue
    entries.push({path: rec.slice(tab + 1), blob, size: Number(size)})
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))

  const decoder = new TextDecoder('utf-8', {fatal: true})
  return {
    commit,
    entries,
    async read(wanted) {
      const unique = [...new Map(wanted.map((e) => [e.blob, e])).values()]
      const texts = new Map<string, string | undefined>()
      for (let i = 0; i < unique.length; i += batchSize) {
        const batch = unique.slice(i, i + batchSize)
        const buf = await git.showBuffer(['--no-textconv', ...batch.map((e) => e.blob)])
        let off = 0
        for (const e of batch) {
          const bytes = buf.subarray(off, off + e.size)
          off += e.size
          try {
            texts.set(e.blob, decoder.decode(bytes))
          } catch {
            texts.set(e.blob, undefined)
          }
        }
        if (off !== buf.length) throw new Error(`git show returned ${buf.length} bytes for blobs totalling ${off}`)
      }
      return wanted.map((entry) => ({entry, text: texts.get(entry.blob)}))
    },
  }
}
