import {isAbsolute, join, resolve} from 'node:path'
import {UserError} from '../errors.js'
import type {StateBackend} from './backend.js'
import {FileStateBackend} from './file-backend.js'
import {GitStateBackend} from './git-backend.js'
import {EtcdStateBackend} from './etcd-backend.js'
import {type StateConfig, readStateConfig, resolveEtcdConfig} from './etcd-config.js'

/** Where the state lives when `--state` is not given: `.tsctl/state.json` in the repo (git-ignored). */
export const defaultStatePath = join('.tsctl', 'state.json')

/** The backend choice as the flags (or their TSCTL_STATE_* environment variables) give it. */
export interface BackendChoice {
  repo: string
  /** `file` (default), `git` or `etcd`; `--state-remote`/`--state-ref` imply `git`; else tsctl.yaml's `state.backend` */
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
  /** tsctl.yaml's `state:` (default: read from HEAD of `repo` when the flags leave the backend open) */
  config?: StateConfig
}

/**
 * The backend a command uses. `file`: `--state PATH` (relative to the
 * working directory, like any path flag) or `<repo>/.tsctl/state.json`.
 * `git`: a ref of the manifests repo (src/state/git-backend.ts). `etcd`:
 * keys under a prefix (src/state/etcd-backend.ts), configured by
 * tsctl.yaml's `state:` and TSCTL_ETCD_* (src/state/etcd-config.ts).
 * Flags and their variables win over tsctl.yaml. Choosing both a state
 * file and git options is an error (exit 2): silently ignoring one of them
 * would read the wrong state.
 */
export function openStateBackend(opts: BackendChoice): StateBackend & {path: string} {
  const wantsGit = opts.stateRemote !== undefined || opts.stateRef !== undefined
  let config = opts.config
  if (!config && !wantsGit && !opts.state && (opts.backend === undefined || opts.backend === 'etcd')) config = readStateConfig(resolve(opts.repo))
  const kind = opts.backend ?? (wantsGit ? 'git' : opts.state ? 'file' : config?.backend ?? 'file')
  if (kind !== 'file' && kind !== 'git' && kind !== 'etcd') {
    throw new UserError(`--state-backend ${JSON.stringify(kind)}: expected file, git or etcd`)
  }
  if (kind === 'file') {
    if (wantsGit) throw new UserError('--state-remote and --state-ref belong to the git backend, but --state-backend is file', undefined, [], 'drop them, or use --state-backend git')
    const path = opts.state ? resolve(opts.state) : resolve(opts.repo, defaultStatePath)
    return new FileStateBackend(isAbsolute(path) ? path : resolve(path), {warn: opts.warn})
  }
  if (kind === 'etcd') {
    if (wantsGit) throw new UserError('--state-remote and --state-ref belong to the git backend, but the state backend is etcd', undefined, [], 'drop them, or use --state-backend git')
    if (opts.state) throw new UserError('--state names a state file, but the state backend is etcd', undefined, [], 'drop --state (the etcd backend keeps the state under state.prefix), or use --state-backend file')
    return new EtcdStateBackend({config: resolveEtcdConfig(config?.etcd ?? {}, resolve(opts.repo)), repo: resolve(opts.repo), commitRef: opts.ref, warn: opts.warn})
  }
  if (opts.state) throw new UserError('--state names a state file, but the state backend is git', undefined, [], 'drop --state (the git backend keeps the state on --state-ref), or use --state-backend file')
  return new GitStateBackend({repo: resolve(opts.repo), remote: opts.stateRemote, ref: opts.stateRef, commitRef: opts.ref, warn: opts.warn})
}
