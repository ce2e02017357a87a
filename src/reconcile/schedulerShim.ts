/**
 * TEMPORARY stand-in for the scheduler helper's src/reconcile/scheduler/schedule.ts,
 * with the same exported names, so the controllers build and test before the
 * scheduler branch is merged. Delete on merge and point scheduling.ts at
 * ./scheduler/schedule.js. Filters: NodeName, NodeUnschedulable,
 * TaintToleration, nodeSelector, NodeResourcesFit (requests), claims; score:
 * least allocated, ties by name.
 */
import type {KubeObject} from '../manifests/object.js'
import {bytes, milliCPU} from '../manifests/quantity.js'
import type {Any} from './util.js'

export interface SchedulerNode {
  name: string
  labels: Record<string, string>
  taints: Array<{key: string; value?: string; effect: string}>
  unschedulable: boolean
  capacity: {cpu: string; memory: string; pods: string}
}

export type ScheduleResult = {ok: true; node: string} | {ok: false; message: string; reasons: Record<string, string>}

export interface Snapshot {
  assume(pod: KubeObject, node: string): void
  nodes: SchedulerNode[]
  used: Map<string, {cpu: number; mem: number; pods: number}>
  claims: Record<string, string>
}

function requests(pod: KubeObject): {cpu: number; mem: number} {
  let cpu = 0
  let mem = 0
  for (const c of ((pod as Any).spec?.containers ?? []) as Any[]) {
    cpu += milliCPU(c.resources?.requests?.cpu)
    mem += bytes(c.resources?.requests?.memory)
  }
  return {cpu, mem}
}

export function createSnapshot(nodes: SchedulerNode[], boundPods: KubeObject[], claims: Record<string, string> = {}): Snapshot {
  const used = new Map<string, {cpu: number; mem: number; pods: number}>()
  for (const n of nodes) used.set(n.name, {cpu: 0, mem: 0, pods: 0})
  const snap: Snapshot = {
    nodes,
    used,
    claims,
    assume(pod, node) {
      const u = used.get(node)
      if (!u) return
      const r = requests(pod)
      u.cpu += r.cpu
      u.mem += r.mem
      u.pods += 1
    },
  }
  for (const p of boundPods) snap.assume(p, (p as Any).spec.nodeName)
  return snap
}

function tolerates(tols: Any[], t: {key: string; value?: string; effect: string}): boolean {
  return tols.some(
    (x) =>
      (!x.effect || x.effect === t.effect) &&
      ((x.operator === 'Exists' && (!x.key || x.key === t.key)) || (x.key === t.key && (x.value ?? '') === (t.value ?? ''))),
  )
}

export function schedulePod(snap: Snapshot, pod: KubeObject): ScheduleResult {
  const spec = (pod as Any).spec ?? {}
  const r = requests(pod)
  const reasons: Record<string, string> = {}
  const fits: Array<{name: string; score: number}> = []
  const ns = pod.metadata.namespace ?? 'default'
  const claimNodes = ((spec.volumes ?? []) as Any[])
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter(Boolean)
    .map((c: string) => snap.claims[`${ns}/${c}`])
    .filter(Boolean)
  for (const n of snap.nodes) {
    const u = snap.used.get(n.name)!
    let why: string | undefined
    if (spec.nodeName && spec.nodeName !== n.name) why = "node(s) didn't match the requested node name"
    else if (n.unschedulable && !tolerates(spec.tolerations ?? [], {key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule'}))
      why = 'node(s) were unschedulable'
    else {
      const bad = n.taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(spec.tolerations ?? [], t))
      if (bad) why = `node(s) had untolerated taint {${bad.key}: ${bad.value ?? ''}}`
      else if (Object.entries(spec.nodeSelector ?? {}).some(([k, v]) => n.labels[k] !== v))
        why = "node(s) didn't match Pod's node affinity/selector"
      else if (claimNodes.some((c) => c !== n.name)) why = "node(s) had volume node affinity conflict"
      else if (u.cpu + r.cpu > milliCPU(n.capacity.cpu)) why = 'Insufficient cpu'
      else if (u.mem + r.mem > bytes(n.capacity.memory)) why = 'Insufficient memory'
      else if (u.pods + 1 > Number(n.capacity.pods)) why = 'Too many pods'
    }
    if (why) reasons[n.name] = why
    else fits.push({name: n.name, score: -(u.cpu / Math.max(1, milliCPU(n.capacity.cpu)) + u.mem / Math.max(1, bytes(n.capacity.memory)))})
  }
  if (fits.length === 0) {
    const counts = new Map<string, number>()
    for (const w of Object.values(reasons)) counts.set(w, (counts.get(w) ?? 0) + 1)
    const parts = [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([w, c]) => `${c} ${w}`)
    return {ok: false, message: `0/${snap.nodes.length} nodes are available: ${parts.join(', ')}.`, reasons}
  }
  fits.sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : 1))
  return {ok: true, node: fits[0].name}
}
