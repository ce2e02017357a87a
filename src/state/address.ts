import {resolve} from 'node:path'
import {UserError} from '../errors.js'
import type {StateBackend} from './backend.js'
import {EtcdStateBackend} from './etcd-backend.js'
import {parseEtcdAddress, readStateConfig, resolveEtcdConfig} from './etcd-config.js'
import {FileStateBackend} from './file-backend.js'
import {GitStateBackend} from './git-backend.js'

/**
 * A state named by one string (`tsctl state migrate --to/--from`, `state show --from`):
 *
 *     file:PATH                      a state file (relative to the working directory)
 *     git | git:REMOTE | git:REMOTE#REF | git:#REF
 *                                    the git backend on the manifests repo (REMOTE `.` = the repo itself)
 *     etcd://HOST:PORT[,HOST:PORT…]/PREFIX   (etcds:// for TLS)
 *                                    the etcd backend; TLS, auth and TTL come from tsctl.yaml's
 *                                    `state:` and TSCTL_ETCD_* as for any command
 */
export function openStateAddress(address: string, ctx: {repo: string; warn?: (m: string) => void}): StateBackend & {path: string} {
  const repo = resolve(ctx.repo)
  if (address.startsWith('file:')) {
    const p = address.slice(5)
    if (!p) throw new UserError(`${JSON.stringify(address)}: file: needs a path`, undefined, [], 'e.g. file:.tsctl/state.json')
    return new FileStateBackend(resolve(p), {warn: ctx.warn})
  }
  if (address === 'git' || address.startsWith('git:')) {
    const rest = address === 'git' ? '' : address.slice(4)
    const [remote, ref] = rest.split('#', 2)
    return new GitStateBackend({repo, remote: remote || undefined, ref: ref || undefined, warn: ctx.warn})
  }
  if (address.startsWith('etcd://') || address.startsWith('etcds://')) {
    const a = parseEtcdAddress(address)
    if (!a) throw new UserError(`${JSON.stringify(address)} is not an etcd address`, undefined, [], 'e.g. etcd://127.0.0.1:2379/tsctl/prod or etcd://h1:2379,h2:2379/tsctl/prod')
    const settings = readStateConfig(repo).etcd
    const env = {...process.env}
    delete env.TSCTL_ETCD_ENDPOINTS
    delete env.TSCTL_ETCD_PREFIX
    return new EtcdStateBackend({config: resolveEtcdConfig({...settings, endpoints: a.endpoints, prefix: a.prefix}, repo, env), repo, warn: ctx.warn})
  }
  throw new UserError(`${JSON.stringify(address)} names no state backend`, undefined, [], 'write file:PATH, git[:REMOTE][#REF] or etcd://HOST:PORT/PREFIX')
}
