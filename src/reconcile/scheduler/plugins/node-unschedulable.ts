/**
 * NodeUnschedulable (kube `plugins/nodeunschedulable`): a cordoned node
 * (`spec.unschedulable: true`) takes no new pods, unless the pod tolerates
 * the `node.kubernetes.io/unschedulable:NoSchedule` taint (DaemonSet pods do).
 */
import type {CycleState, Candidates, FilterPlugin} from '../framework.js'
import type {PodInfo} from '../types.js'
import {keepIf} from '../plugin-helpers.js'
import {reasonId} from '../reasons.js'
import {toleratesTaint} from './taint-toleration.js'

export const ErrReasonUnschedulable = 'node(s) were unschedulable'
const reason = reasonId(ErrReasonUnschedulable)
const unschedulableTaint = {key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule'}

function tolerates(pod: PodInfo): boolean {
  return (pod.spec.tolerations ?? []).some((t) => toleratesTaint(t, unschedulableTaint))
}

export const NodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  staticKey: (pod) => (tolerates(pod) ? 't' : 'f'),
  filter(cycle: CycleState, cand: Candidates) {
    if (tolerates(cycle.pod)) return
    const nodes = cycle.cluster.nodes
    keepIf(cycle, cand, reason, (i) => !nodes[i].unschedulable)
  },
}
