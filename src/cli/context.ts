import {resolve} from 'node:path'
import type {KubeObject} from '../manifests/object.js'
import type {StateBackend} from '../state/backend.js'
import type {State} from '../state/model.js'
import {isClusterScoped} from './kinds.js'

/** The common flags as every command receives them. */
export interface CommonFlags {
  repo: string
  ref: string
  state?: string
  'state-backend'?: string
  'state-remote'?: string
  'state-ref'?: string
  namespace?: string
  'all-namespaces': boolean
}

/** The state backend the flags name (`--state`, else `<repo>/.tsctl/state.json`; `--state-backend git`: a ref). */
export async function openBackend(flags: CommonFlags, warn: (m: string) => void): Promise<StateBackend & {path: string}> {
  const {openStateBackend} = await import('../state/open-backend.js')
  return openStateBackend({
    repo: resolve(flags.repo),
    state: flags.state,
    backend: flags['state-backend'],
    stateRemote: flags['state-remote'],
    stateRef: flags['state-ref'],
    ref: flags.ref,
    warn,
  })
}

/** Opens the backend and reads the state (null: none yet). Read-only: takes no lock, since writes are atomic. */
export async function readState(flags: CommonFlags, warn: (m: string) => void): Promise<{backend: StateBackend & {path: string}; state: State | null}> {
  const backend = await openBackend(flags, warn)
  return {backend, state: await backend.read()}
}

/** -n/-A as a predicate; cluster-scoped kinds always pass. */
export function namespaceFilter(flags: CommonFlags): (o: KubeObject) => boolean {
  if (flags['all-namespaces']) return () => true
  const ns = flags.namespace ?? 'default'
  return (o) => isClusterScoped(o.kind) || (o.metadata.namespace ?? 'default') === ns
}

/** "in default namespace" / "in any namespace" for messages. */
export function namespacePhrase(flags: CommonFlags): string {
  return flags['all-namespaces'] ? 'in any namespace' : `in namespace ${flags.namespace ?? 'default'}`
}
