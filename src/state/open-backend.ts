import {isAbsolute, join, resolve} from 'node:path'
import type {StateBackend} from './backend.js'
import {FileStateBackend} from './file-backend.js'

/** Where the state lives when `--state` is not given: `.tsctl/state.json` in the repo (git-ignored). */
export const defaultStatePath = join('.tsctl', 'state.json')

/**
 * The backend a command uses: `--state PATH` (relative to the working
 * directory, like any path flag) or `<repo>/.tsctl/state.json`. Later
 * backends (git, etcd) are chosen here from `tsctl.yaml`.
 */
export function openStateBackend(opts: {repo: string; state?: string; warn?: (m: string) => void}): StateBackend & {path: string} {
  const path = opts.state ? resolve(opts.state) : resolve(opts.repo, defaultStatePath)
  return new FileStateBackend(isAbsolute(path) ? path : resolve(path), {warn: opts.warn})
}
