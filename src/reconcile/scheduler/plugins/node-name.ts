/**
 * NodeName (kube `plugins/nodename`): a pod that names its node
 * (`spec.nodeName`) fits only there.
 */
import type {CycleState, Candidates, FilterPlugin} from '../framework.js'
import {keepIf} from '../plugin-helpers.js'
import {reasonId} from '../reasons.js'

export const ErrReasonNodeName = "node(s) didn't match the requested node name"
const reason = reasonId(ErrReasonNodeName)

export const NodeName: FilterPlugin = {
  name: 'NodeName',
  staticKey: (pod) => pod.spec.nodeName ?? '',
  filter(cycle: CycleState, cand: Candidates) {
    const want = cycle.pod.spec.nodeName
    if (!want) return
    const nodes = cycle.cluster.nodes
    keepIf(cycle, cand, reason, (i) => nodes[i].name === want)
  },
}
