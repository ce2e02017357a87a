/**
 * NodePorts (kube `plugins/nodeports`): a host port (protocol, port, IP) can
 * be used by one pod per node; 0.0.0.0 conflicts with every IP.
 */
import type {CycleState, Candidates, FilterPlugin} from '../framework.js'
import type {HostPort, NodeInfo} from '../types.js'
import {reasonId} from '../reasons.js'
import {portKey} from '../snapshot.js'

export const ErrReasonNodePorts = "node(s) didn't have free ports for the requested pod ports"
const reason = reasonId(ErrReasonNodePorts)
const wildcard = '0.0.0.0'

/** kube's `HostPortInfo.CheckConflict`. */
function conflicts(node: NodeInfo, p: HostPort): boolean {
  const used = node.usedPorts
  if (used.size === 0) return false
  if (p.ip === wildcard) {
    const prefix = `${p.protocol}/${p.port}/`
    for (const k of used.keys()) if (k.startsWith(prefix)) return true
    return false
  }
  return used.has(portKey(p.protocol, p.port, p.ip)) || used.has(portKey(p.protocol, p.port, wildcard))
}

export const NodePorts: FilterPlugin = {
  name: 'NodePorts',
  preFilter: (cycle) => (cycle.pod.hostPorts.length === 0 ? 'skip' : undefined),
  filter(cycle: CycleState, cand: Candidates) {
    const want = cycle.pod.hostPorts
    const nodes = cycle.cluster.nodes
    const idx = cand.idx
    let k = 0
    for (let j = 0; j < cand.n; j++) {
      const i = idx[j]
      let clash = false
      for (const p of want) if (conflicts(nodes[i], p)) clash = true
      if (clash) cycle.reject(reason)
      else idx[k++] = i
    }
    cand.n = k
  },
}
