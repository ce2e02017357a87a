/**
 * NodeName (kube `plugins/nodename`): a pod that names its node
 * (`spec.nodeName`) fits only there.
 */
import {type CycleState, type Candidates, type FilterPlugin, keepIf, reasonId} from '../framework.js'

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
