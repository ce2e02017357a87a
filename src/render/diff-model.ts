import type {Diagnostic} from '../errors.js'
import {withoutAllocations} from '../reconcile/network.js'
import type {CommitInfo, Desired} from '../manifests/desired.js'
import {type KubeObject, keyOf} from '../manifests/object.js'
import type {Plan} from '../reconcile/plan.js'
import type {State} from '../state/model.js'
import {pinsOf} from '../reconcile/image-pins.js'
import {podImages} from './images.js'
import {byNsName, controllerOf, field, isManaged, unschedulableMessage} from './kube.js'
import {type NodeMoves, type PlacedPod, type RolloutChange, nodeMoves, rolloutsOf} from './diff-rollouts.js'
import {type ObjectDiff, diffFields} from './object-diff.js'


/** Version of the `tsctl diff -o json` document (schemas/output/diff.json). */
export const diffApiVersion = 'tsctl.io/v1'

export interface WorkloadEnd {
  key: string
  /** replicas asked for (null where the kind has no replica count: DaemonSet, CronJob) */
  desired: number | null
  /** pods bound to a node in the end state */
  scheduled: number
  /** pods that stay Pending in the end state */
  pending: number
  nodes: string[]
}

/** The whole `tsctl diff` result: what `-o json` prints and the text/markdown renderers read. */
export interface DiffResult {
  apiVersion: typeof diffApiVersion
  kind: 'Diff'
  commit: CommitInfo
  /** true with --offline: observed status came from the state, no host was contacted */
  offline: boolean
  /** where observed status came from */
  observedFrom: 'state' | 'hosts'
  changes: boolean
  summary: {
    create: number
    replace: number
    delete: number
    unchanged: number
    objectsAdded: number
    objectsChanged: number
    objectsRemoved: number
  }
  objects: ObjectDiff[]
  /** the first plan, exactly what `tsctl sync` would execute first */
  actions: Array<{type: string; node: string; target: string; reason: string}>
  /** per node, the pods of the converged end state (plus those it deletes) */
  placements: Array<{node: string; pods: PlacedPod[]}>
  /** pods no node can take, with the scheduler's reason */
  pending: Array<{namespace: string; name: string; owner?: string; reason: string}>
  /** converged: no pass is left with work; stuck: why not (unschedulable pods, unreachable nodes, pass limit) */
  endState: {converged: boolean; stuck: string[]; steps: number | null; workloads: WorkloadEnd[]}
  warnings: Diagnostic[]
  /** workloads whose pods change: rollouts that would start, scaling, new and removed workloads */
  rollouts: RolloutChange[]
  /** per node: pods created, replaced, stopped, unchanged (end state against the state) */
  nodes: NodeMoves[]
  /** the state planned from (null: none yet), when the caller names it */
  state?: PlannedFrom['state']
  /** where the state was read (e.g. `git origin refs/tsctl/state`), when the caller names it */
  backend?: string
  /** `diff --base`: the manifests are the merge of `head` into `base` */
  merge?: MergeInfo
}

/** What a diff was planned from (the saved-plan origin shows the same). */
export interface PlannedFrom {
  state: {lineage: string; serial: number} | null
  backend: string
}

/** `tsctl diff --ref HEAD_REF --base BASE_REF`: which commits were merged, and how. */
export interface MergeInfo {
  base: {ref: string; sha: string}
  head: {ref: string; sha: string; subject: string}
  /** fast-forward: base is an ancestor of head; merged: a merge commit was made; up-to-date: head is already in base */
  how: 'fast-forward' | 'merged' | 'up-to-date'
}

export interface DiffInput {
  desired: Desired
  /** the state as read */
  before: State
  /** the first reconcile pass's plan */
  plan: Plan
  /** the state after converging (every plan applied and observed as planned) */
  after: State
  /** why the end state is not fully converged; empty when it is */
  stuck: string[]
  /** reconcile passes to get there */
  steps: number | null
  offline: boolean
  observedFrom: 'state' | 'hosts'
  from?: PlannedFrom
  merge?: MergeInfo
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Builds the diff document from the inputs. Pure and deterministic (sorted
 * everywhere), so golden files can pin its renderings.
 *
 * The summary line counts pods between the state before and the converged
 * end state, so it describes the whole rollout; `actions` is only its first
 * step (a rolling update takes several).
 */
export function buildDiff(input: DiffInput): DiffResult {
  const objects = diffObjects(input.desired, input.before)
  const beforePods = podMap(input.before)
  const afterPods = podMap(input.after)
  const owners = ownerResolver([input.before, input.after])

  const byNode = new Map<string, PlacedPod[]>()
  const pending: DiffResult['pending'] = []
  const summary = {create: 0, replace: 0, delete: 0, unchanged: 0}
  // per workload, the pins of its pods made by this rollout (pending ones too): its new revision's digests
  const newPins = new Map<string, Record<string, string>>()
  for (const [key, pod] of afterPods) {
    const old = beforePods.get(key)
    const owner = owners(pod)
    const node = field<string>(pod, 'spec.nodeName')
    if (!old || old.metadata.uid !== pod.metadata.uid) newPins.set(owner ?? key, {...newPins.get(owner ?? key), ...pinsOf(pod)})
    if (!node) {
      pending.push({namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, ...(owner ? {owner} : {}), reason: unschedulableMessage(pod) ?? 'not scheduled yet'})
      continue
    }
    const status: PlacedPod['status'] = !old ? 'new' : old.metadata.uid !== pod.metadata.uid || field(old, 'spec.nodeName') !== node ? 'replaced' : 'unchanged'
    summary[status === 'new' ? 'create' : status === 'replaced' ? 'replace' : 'unchanged']++
    const images = status === 'unchanged' ? [] : podImages(pod)
    push(byNode, node, {namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, ...(owner ? {owner} : {}), status, ...(images.length ? {images} : {})})
  }
  for (const [key, pod] of beforePods) {
    if (afterPods.has(key)) continue
    summary.delete++
    const node = field<string>(pod, 'spec.nodeName') ?? '(unbound)'
    const owner = owners(pod)
    push(byNode, node, {namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, ...(owner ? {owner} : {}), status: 'deleted'})
  }
  const placements = [...byNode.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([node, pods]) => ({node, pods: pods.sort((a, b) => cmp(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`))}))
  pending.sort((a, b) => cmp(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`))

  const actions = input.plan.actions.map((a) => ({type: a.type, node: a.node, target: a.target, reason: a.reason}))
  const objectsAdded = objects.filter((o) => o.change === 'add').length
  const objectsChanged = objects.filter((o) => o.change === 'change').length
  const objectsRemoved = objects.filter((o) => o.change === 'remove').length
  const changes = objects.length > 0 || actions.length > 0 || summary.create + summary.replace + summary.delete > 0
  return {
    apiVersion: diffApiVersion,
    kind: 'Diff',
    commit: input.desired.commit,
    offline: input.offline,
    observedFrom: input.observedFrom,
    changes,
    summary: {...summary, objectsAdded, objectsChanged, objectsRemoved},
    objects,
    actions,
    placements,
    pending,
    endState: {converged: input.stuck.length === 0, stuck: input.stuck, steps: input.steps, workloads: workloads(input.desired, input.after, owners)},
    warnings: input.desired.warnings,
    rollouts: rolloutsOf(objects, placements, pending, input.desired, input.before, newPins),
    nodes: nodeMoves(placements),
    ...(input.from ? {state: input.from.state, backend: input.from.backend} : {}),
    ...(input.merge ? {merge: input.merge} : {}),
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const l = m.get(k)
  if (l) l.push(v)
  else m.set(k, [v])
}

function podMap(s: State): Map<string, KubeObject> {
  return new Map(
    Object.values(s.objects)
      .filter((o) => o.kind === 'Pod')
      .sort(byNsName)
      .map((o) => [keyOf(o), o]),
  )
}

/** Desired (from git) against the state's git-managed objects. Controller-made objects are not part of this diff. */
export function diffObjects(desired: Desired, before: State): ObjectDiff[] {
  const out: ObjectDiff[] = []
  const seen = new Set<string>()
  for (const {object, source} of desired.objects) {
    const key = keyOf(object)
    seen.add(key)
    const old = before.objects[key]
    const base = {key, kind: object.kind, ...(object.metadata.namespace ? {namespace: object.metadata.namespace} : {}), name: object.metadata.name, source: {file: source.file, line: source.line, col: source.col}}
    if (!old) out.push({...base, change: 'add', fields: []})
    else {
      const fields = diffFields(withoutAllocations(old, object), object)
      if (fields.length) out.push({...base, change: 'change', fields})
    }
  }
  for (const [key, o] of Object.entries(before.objects)) {
    if (seen.has(key) || !isManaged(o)) continue
    out.push({key, kind: o.kind, ...(o.metadata.namespace ? {namespace: o.metadata.namespace} : {}), name: o.metadata.name, change: 'remove', fields: []})
  }
  return out.sort((a, b) => cmp(a.key, b.key))
}

/** Maps a pod to the key of its top-level owner (Pod → ReplicaSet → Deployment; Job → CronJob). */
function ownerResolver(states: State[]): (o: KubeObject) => string | undefined {
  const byUid = new Map<string, KubeObject>()
  for (const s of states) for (const o of Object.values(s.objects)) if (o.metadata.uid) byUid.set(o.metadata.uid, o)
  return (o) => {
    let cur = o
    let top: KubeObject | undefined
    for (let depth = 0; depth < 5; depth++) {
      const ref = controllerOf(cur)
      if (!ref) break
      const next = byUid.get(ref.uid) ?? findByName(states, ref.kind, cur.metadata.namespace, ref.name)
      if (!next) {
        return `${ref.kind}/${cur.metadata.namespace ?? 'default'}/${ref.name}`
      }
      top = next
      cur = next
    }
    return top ? keyOf(top) : undefined
  }
}

function findByName(states: State[], kind: string, ns: string | undefined, name: string): KubeObject | undefined {
  for (const s of states) {
    const o = Object.values(s.objects).find((x) => x.kind === kind && x.metadata.name === name && (x.metadata.namespace ?? 'default') === (ns ?? 'default'))
    if (o) return o
  }
  return undefined
}

const workloadKinds = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'])

function workloads(desired: Desired, after: State, owners: (o: KubeObject) => string | undefined): WorkloadEnd[] {
  // each pod's workload looked up once (the owner walk), not once per workload
  const byKey = new Map<string, KubeObject[]>()
  const add = (k: string | undefined, p: KubeObject) => {
    if (k === undefined) return
    const list = byKey.get(k)
    if (list) list.push(p)
    else byKey.set(k, [p])
  }
  for (const o of Object.values(after.objects)) {
    if (o.kind !== 'Pod') continue
    add(`bare:${keyOf(o)}`, o)
    add(owners(o), o)
  }
  const out: WorkloadEnd[] = []
  for (const {object} of desired.objects) {
    if (!workloadKinds.has(object.kind)) continue
    const key = keyOf(object)
    const mine = byKey.get(object.kind === 'Pod' ? `bare:${key}` : key) ?? []
    const nodes = [...new Set(mine.map((p) => field<string>(p, 'spec.nodeName')).filter((n): n is string => !!n))].sort(cmp)
    let want: number | null = null
    if (object.kind === 'Deployment' || object.kind === 'StatefulSet' || object.kind === 'ReplicaSet') want = field<number>(object, 'spec.replicas') ?? 1
    else if (object.kind === 'Job') want = field<number>(object, 'spec.parallelism') ?? 1
    else if (object.kind === 'Pod') want = 1
    const scheduled = mine.filter((p) => field(p, 'spec.nodeName')).length
    out.push({key, desired: want, scheduled, pending: mine.length - scheduled, nodes})
  }
  return out.sort((a, b) => cmp(a.key, b.key))
}
