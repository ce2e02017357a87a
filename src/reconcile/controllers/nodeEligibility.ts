/**
 * Should a DaemonSet pod run on this node? (daemon controller's
 * nodeShouldRunDaemonPod): only the node-level rules — nodeSelector,
 * required node affinity, taints the pod does not tolerate (NoSchedule and
 * NoExecute). Resources are not considered here: a daemon pod that does not
 * fit stays Pending on its node, as in Kubernetes.
 * TODO(merge): use the scheduler's NodeAffinity and TaintToleration filters
 * when src/reconcile/scheduler exports them one by one.
 */
import type {SchedulerNode} from '../schedulerShim.js'
import type {Any} from '../util.js'

/** Tolerations the DaemonSet controller adds to every daemon pod. */
export const daemonTolerations = [
  {key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute'},
  {key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute'},
  {key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule'},
  {key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule'},
  {key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule'},
  {key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule'},
]

export function tolerates(tolerations: Any[], taint: {key: string; value?: string; effect: string}): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false
    if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '')
  })
}

function exprMatches(e: Any, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, e.key)
  const v = labels[e.key]
  const vals: string[] = e.values ?? []
  switch (e.operator) {
    case 'In': return has && vals.includes(v)
    case 'NotIn': return !has || !vals.includes(v)
    case 'Exists': return has
    case 'DoesNotExist': return !has
    case 'Gt': return has && Number(v) > Number(vals[0])
    case 'Lt': return has && Number(v) < Number(vals[0])
    default: return false
  }
}

/** `null` when the pod may run there, else the reason in kube-scheduler's words. */
export function daemonNodeMismatch(spec: Any, node: SchedulerNode): string | null {
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) {
    if (node.labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector"
  }
  const terms: Any[] = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []
  if (terms.length) {
    const fields = {'metadata.name': node.name}
    const ok = terms.some(
      (t) =>
        (t.matchExpressions ?? []).every((e: Any) => exprMatches(e, node.labels)) &&
        (t.matchFields ?? []).every((e: Any) => exprMatches(e, fields)),
    )
    if (!ok) return "node(s) didn't match Pod's node affinity/selector"
  }
  const tols = [...(spec?.tolerations ?? []), ...daemonTolerations]
  for (const t of node.taints) {
    if ((t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tols, t)) {
      return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`
    }
  }
  return null
}
