/**
 * The one ordered plugin list (kube's default profile, `getDefaultPlugins`
 * in pkg/scheduler/apis/config/v1/default_plugins.go). Filters run in this
 * order and a node's reason is the first filter that rejects it, so the
 * order shapes the "0/N nodes are available" message exactly as in kube.
 * The static plugins come first: their verdicts are memoised per pod
 * template (see schedule.ts).
 *
 * kube plugins left out: SchedulingGates, PrioritySort (the caller orders
 * pods), the cloud volume limits and VolumeZone (no cloud disks),
 * DefaultPreemption (no priorities), ImageLocality (weight 1; tsctl does not
 * know which images a host holds, so it would score every node 0 and change
 * nothing), DefaultBinder. VolumeBinding is replaced by ClaimNode.
 */
import type {FilterPlugin, Plugin, ScorePlugin} from './framework.js'
import {isFilter, isScorer} from './framework.js'
import {NodeResourcesBalancedAllocation} from './plugins/balanced-allocation.js'
import {ClaimNode} from './plugins/claim-node.js'
import {InterPodAffinity} from './plugins/inter-pod-affinity.js'
import {NodeAffinity} from './plugins/node-affinity.js'
import {NodeName} from './plugins/node-name.js'
import {NodePorts} from './plugins/node-ports.js'
import {NodeResourcesFit} from './plugins/node-resources-fit.js'
import {NodeUnschedulable} from './plugins/node-unschedulable.js'
import {PodTopologySpread} from './plugins/pod-topology-spread.js'
import {TaintToleration} from './plugins/taint-toleration.js'

/** In kube's MultiPoint order. Weights (scorers): TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1, PodTopologySpread 2, InterPodAffinity 2, NodeResourcesBalancedAllocation 1. */
export const plugins: readonly Plugin[] = [
  NodeUnschedulable,
  NodeName,
  TaintToleration,
  NodeAffinity,
  NodePorts,
  NodeResourcesFit,
  ClaimNode,
  PodTopologySpread,
  InterPodAffinity,
  NodeResourcesBalancedAllocation,
]

/** Filters whose verdict depends only on the pod template and static node fields (they have a staticKey). */
export const staticFilters: readonly FilterPlugin[] = plugins.filter(isFilter).filter((p) => p.staticKey)
/** The other filters, run per pod, after the static ones. */
export const dynamicFilters: readonly FilterPlugin[] = plugins.filter(isFilter).filter((p) => !p.staticKey)
export const scorers: readonly ScorePlugin[] = plugins.filter(isScorer)

/** Plugins whose staticKey makes up the template key (static filters and static scorers alike). */
export const staticKeyed: readonly Plugin[] = plugins.filter((p) => p.staticKey)

/**
 * Templates memoise the static filters' verdicts, which is only exact if
 * every static filter runs before every dynamic one — as kube's order has
 * it. Checked by a unit test so a reordering cannot slip in.
 */
export function registryOrderIsKubes(): boolean {
  const filters = plugins.filter(isFilter)
  const firstDynamic = filters.findIndex((p) => !p.staticKey)
  return filters.slice(firstDynamic).every((p) => !p.staticKey) && filters.map((p) => p.name).join(',') === 'NodeUnschedulable,NodeName,TaintToleration,NodeAffinity,NodePorts,NodeResourcesFit,ClaimNode,PodTopologySpread,InterPodAffinity'
}
