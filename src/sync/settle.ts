import type {KubeObject} from '../manifests/object.js'
import type {State} from '../state/model.js'

type PodLike = KubeObject & {spec?: {nodeName?: string}; status?: {phase?: string; conditions?: {type: string; status: string}[]}}

/**
 * Whether anything can still move on the nodes that work: a pod bound to a
 * node outside BAD that is not finished and not Ready (starting, probing),
 * or still terminating. When nothing is in progress and the plan is empty,
 * a sync with failed or unreachable nodes has done all it can (exit 4)
 * instead of waiting for its --timeout.
 */
export function inProgress(state: State, bad: ReadonlySet<string>): boolean {
  for (const o of Object.values(state.objects) as PodLike[]) {
    if (o.kind !== 'Pod') continue
    const node = o.spec?.nodeName
    if (!node || bad.has(node)) continue
    if (o.metadata.deletionTimestamp) return true
    const phase = o.status?.phase
    if (phase === 'Succeeded' || phase === 'Failed') continue
    if (o.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') return true
  }
  return false
}
