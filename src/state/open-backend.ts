import {isAbsolute, join, resolve} from 'node:path'
import {UserError} from '../errors.js'
import type {StateBackend} from './backend.js'
import {FileStateBackend} from './file-backend.js'
import {GitStateBackend} from './git-backend.js'

/** Where the state lives when `--state` is not given: `.tsctl/state.json` in the repo (git-ignored). */
export const defaultStatePath = join('.tsctl', 'state.json')

/** The backend choice as the flags (or their TSCTL_STATE_* environment variables) give it. */
export interface BackendChoice {
  repo: string
  /** `file` (default) or `git`; `--state-remote`/`--state-ref` imply `git` */
  backend?: string
  /** file backend: the state file */
  state?: string
  /** git backend: a remote name or URL, `.` for the repo itself (default: origin when it exists) */
  stateRemote?: string
  /** git backend: the ref (default refs/tsctl/state; the lock is refs/tsctl/lock) */
  stateRef?: string
  /** the command's --ref: the commit a git lock records */
  ref?: string
  warn?: (m: string) => void
}

/**
 * The backend a command uses. `file`: `--state PATH` (relative to the
 * working directory, like any path flag) or `<repo>/.tsctl/state.json`.
 * `git`: a ref of the manifests repo (src/state/git-backend.ts). Choosing
 * both a state file and git options is an error (exit 2): silently
 * ignoring one of them would read the wrong state.
 */
export function openStateBackend(opts: BackendChoice): StateBackend & {path: string} {
  const wantsGit = opts.stateRemote !== undefined || opts.stateRef !== undefined
  const kind = opts.backend ?? (wantsGit ? 'git' : 'file')
  if (kind !== 'file' && kind !== 'git') {
    throw new UserError(`--state-backend ${JSON.stringify(kind)}: expected file or git`)
  }
  if (kind === 'file') {
    if (wantsGit) throw new UserError('--state-remote and --state-ref belong to the git backend, but --state-backend is file', undefined, [], 'drop them, or use --state-backend git')
    const path = opts.state ? resolve(opts.state) : resolve(opts.repo, defaultStatePath)
    return new FileStateBackend(isAbsolute(path) ? path : resolve(path), {warn: opts.warn})
  }
  if (opts.state) throw new UserError('--state names a state file, but the state backend is git', undefined, [], 'drop --state (the git backend keeps the state on --state-ref), or use --state-backend file')
  return new GitStateBackend({repo: resolve(opts.repo), remote: opts.stateRemote, ref: opts.stateRef, commitRef: opts.ref, warn: opts.warn})
}
