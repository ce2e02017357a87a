import {UserError} from '../errors.js'
import {clusterScopedKinds} from '../manifests/object.js'

/** A kind as `get`/`describe` accept it, with kubectl's names for it. */
export interface KindInfo {
  kind: string
  /** kubectl's resource name, e.g. `deployments` */
  plural: string
  /** `-o name` prefix, e.g. `deployment.apps` */
  resource: string
  aliases: string[]
}

const table: KindInfo[] = [
  {kind: 'Pod', plural: 'pods', resource: 'pod', aliases: ['po']},
  {kind: 'Deployment', plural: 'deployments', resource: 'deployment.apps', aliases: ['deploy']},
  {kind: 'ReplicaSet', plural: 'replicasets', resource: 'replicaset.apps', aliases: ['rs']},
  {kind: 'StatefulSet', plural: 'statefulsets', resource: 'statefulset.apps', aliases: ['sts']},
  {kind: 'DaemonSet', plural: 'daemonsets', resource: 'daemonset.apps', aliases: ['ds']},
  {kind: 'Job', plural: 'jobs', resource: 'job.batch', aliases: []},
  {kind: 'CronJob', plural: 'cronjobs', resource: 'cronjob.batch', aliases: ['cj']},
  {kind: 'Service', plural: 'services', resource: 'service', aliases: ['svc']},
  {kind: 'Endpoints', plural: 'endpoints', resource: 'endpoints', aliases: ['ep']},
  {kind: 'ConfigMap', plural: 'configmaps', resource: 'configmap', aliases: ['cm']},
  {kind: 'Secret', plural: 'secrets', resource: 'secret', aliases: []},
  {kind: 'Node', plural: 'nodes', resource: 'node', aliases: ['no']},
  {kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', resource: 'persistentvolumeclaim', aliases: ['pvc']},
  {kind: 'Namespace', plural: 'namespaces', resource: 'namespace', aliases: ['ns']},
  {kind: 'ControllerRevision', plural: 'controllerrevisions', resource: 'controllerrevision.apps', aliases: []},
]

/** Every kind `get` knows, in kubectl's order for `tsctl get all`-like listings. */
export const knownKinds: readonly KindInfo[] = table

/** `po`, `pod`, `pods`, `Pod`, `deployment.apps` → the kind. Exit 2 with the list when unknown. */
export function resolveKind(word: string): KindInfo {
  const w = word.toLowerCase()
  const k = table.find((t) => t.kind.toLowerCase() === w || t.plural === w || t.resource === w || t.aliases.includes(w) || t.resource.split('.')[0] === w)
  if (!k) {
    throw new UserError(`unknown resource type "${word}"`, undefined, [], `one of: ${table.map((t) => [t.plural, ...t.aliases].join('/')).join(', ')}`)
  }
  return k
}

export function isClusterScoped(kind: string): boolean {
  return clusterScopedKinds.has(kind)
}

/** `KIND/NAME`, `KIND NAME` or `KIND` → parts. */
export function parseTarget(args: string[]): {kind: KindInfo; name?: string} {
  const [first, second] = args
  if (!first) throw new UserError('a resource type is required, e.g. `pods` or `deploy/web`')
  const slash = first.indexOf('/')
  if (slash >= 0) {
    if (second) throw new UserError(`give either KIND/NAME or KIND NAME, not both ("${first}" and "${second}")`)
    const name = first.slice(slash + 1)
    if (!name) throw new UserError(`"${first}": a name is missing after the slash`)
    return {kind: resolveKind(first.slice(0, slash)), name}
  }
  return {kind: resolveKind(first), ...(second ? {name: second} : {})}
}
