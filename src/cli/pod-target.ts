import type {KubeObject} from '../manifests/object.js'
import type {RuntimeClient} from '../host/runtime-client.js'
import type {State} from '../state/model.js'
import type {CommonFlags} from './context.js'

/** One container of a pod, resolved for `logs`/`exec` from the state's binding. */
export interface PodTarget {
  pod: KubeObject
  /** spec.nodeName: where the pod was bound */
  nodeName: string
  /** the Node object from git (address, ssh), when the state has it */
  node?: KubeObject
  /** the pod's UID: the runtime's directory name on the host */
  uid: string
  /** the chosen container (by -c, else the first app container) */
  container: string
  /** app containers, then init containers */
  containers: string[]
  /** restartCount of the chosen container as last observed (for --previous) */
  restartCount: number
}

/**
 * Finds pod NAME in the namespace the flags give and picks its container, as
 * kubectl does: `-c`, else the first app container (with a note on stderr
 * when there are several). Pod not found, not bound to a node, or an unknown
 * container are UserErrors (exit 2).
 */
export async function resolvePodTarget(
  flags: CommonFlags,
  name: string,
  container: string | undefined,
  warn: (m: string) => void,
  note: (m: string) => void,
): Promise<PodTarget> {
  const {readState, namespacePhrase} = await import('./context.js')
  const {UserError} = await import('../errors.js')
  const {state} = await readState(flags, warn)
  const podName = name.replace(/^(pods?|po)\//, '')
  const ns = flags.namespace ?? 'default'
  const pod = findPod(state, ns, podName)
  if (!pod) {
    throw new UserError(`pods "${podName}" not found ${namespacePhrase({...flags, 'all-namespaces': false})}`, 2, [], 'tsctl get pods lists the pods the state knows; has the commit been synced?')
  }
  const nodeName = (pod.spec as {nodeName?: string} | undefined)?.nodeName
  if (!nodeName) {
    throw new UserError(`pod "${podName}" is not bound to a node (Pending)`, 2, [], `tsctl describe pod ${podName} says why`)
  }
  const spec = (pod.spec ?? {}) as {containers?: {name: string}[]; initContainers?: {name: string}[]}
  const apps = (spec.containers ?? []).map((c) => c.name)
  const inits = (spec.initContainers ?? []).map((c) => c.name)
  const all = [...apps, ...inits]
  let chosen = container
  if (chosen === undefined) {
    chosen = apps[0]
    if (chosen === undefined) throw new UserError(`pod "${podName}" has no containers`)
    if (apps.length > 1) note(`Defaulted container "${chosen}" out of: ${all.join(', ')}`)
  } else if (!all.includes(chosen)) {
    throw new UserError(`container ${chosen} is not valid for pod ${podName}`, 2, [], `choose one of: ${all.join(', ')}`)
  }
  const status = (pod.status ?? {}) as {containerStatuses?: {name: string; restartCount?: number}[]; initContainerStatuses?: {name: string; restartCount?: number}[]}
  const cs = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])].find((c) => c.name === chosen)
  return {
    pod, nodeName, node: state?.objects[`Node/${nodeName}`], uid: pod.metadata.uid ?? '',
    container: chosen, containers: all, restartCount: cs?.restartCount ?? 0,
  }
}

function findPod(state: State | null, ns: string, name: string): KubeObject | undefined {
  if (!state) return undefined
  const direct = state.objects[`Pod/${ns}/${name}`]
  if (direct?.kind === 'Pod') return direct
  return Object.values(state.objects).find((o) => o.kind === 'Pod' && o.metadata.name === name && (o.metadata.namespace ?? 'default') === ns)
}

/**
 * A RuntimeClient on the pod's node through the transport its Node asks for
 * (`address: local` → LocalTransport, else SSH with TSCTL_SSH_CONFIG /
 * TSCTL_SSH_KNOWN_HOSTS as sync uses them). ROOT is the runtime root on
 * the host (`--root` / TSCTL_ROOT, as for sync). `close()` releases the connection.
 */
export async function runtimeForNode(target: PodTarget, root: string): Promise<{client: RuntimeClient; close: () => Promise<void>}> {
  const {RuntimeClient} = await import('../host/runtime-client.js')
  const {TransportPool, sshOptionsFromEnv} = await import('../transport/index.js')
  const node: KubeObject = target.node ?? {apiVersion: 'v1', kind: 'Node', metadata: {name: target.nodeName}, spec: {address: target.nodeName}}
  const pool = new TransportPool({ssh: sshOptionsFromEnv()})
  const client = new RuntimeClient(pool.get(node), {root})
  return {client, close: () => pool.close()}
}

/** True when the runtime's stderr says the pod or container is not on the host. */
export function notOnHost(stderr: string): boolean {
  return /tsctl-runtime: no (pod|container) /.test(stderr)
}

