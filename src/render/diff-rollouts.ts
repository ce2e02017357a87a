// type-only; first, so the architecture test's cycle check sees it as type-only
import type {ObjectDiff} from './object-diff.js'
import type {Desired} from '../manifests/desired.js'
import type {PodSpec} from '../manifests/generated/index.js'
import {keyOf} from '../manifests/object.js'
import type {State} from '../state/model.js'
import {type PinnedImage, specImages} from './images.js'
import {field} from './kube.js'

/** A workload whose pods a sync would change: what a reviewer wants first in a PR comment. */
/** A pod in the diff's placements, compared with the state before. */
export interface PlacedPod {
  namespace: string
  name: string
  /** `Deployment/default/web`-style key of the workload that owns it, when known */
  owner?: string
  /** compared with the state before: new, replaced (same name, new uid), unchanged, deleted */
  status: 'new' | 'replaced' | 'unchanged' | 'deleted'
  /** new and replaced pods: their registry images and the digests they are pinned to (absent when none) */
  images?: PinnedImage[]
}

export interface RolloutChange {
  /** `Deployment/default/web` */
  workload: string
  kind: string
  /**
   * create/delete: the object is added/removed in git; update: its pod
   * template changed (a rollout starts); scale: only the replica count
   * changed; other: pods move without a change to the object (a changed
   * node, drift, a pod nothing owns).
   */
  change: 'create' | 'update' | 'scale' | 'delete' | 'other'
  /** e.g. `RollingUpdate maxSurge=25% maxUnavailable=25%`, `OnDelete` */
  strategy?: string
  replicas?: {from: number | null; to: number | null}
  /** changed fields under spec.template (values are in `objects`) */
  templateFields: string[]
  /** pods between the state and the end state */
  pods: {create: number; replace: number; delete: number}
  /** create/update: the new revision's registry images, with the digests its new pods are pinned to (absent when none) */
  images?: PinnedImage[]
}

/** Per node, how many pods appear, are replaced, stop or stay. */
export interface NodeMoves {
  node: string
  create: number
  replace: number
  delete: number
  unchanged: number
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const workloadKinds = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'])

/** Pods moving per node, from the placements of the diff. Pure. */
export function nodeMoves(placements: Array<{node: string; pods: PlacedPod[]}>): NodeMoves[] {
  return placements
    .map(({node, pods}) => ({
      node,
      create: pods.filter((p) => p.status === 'new').length,
      replace: pods.filter((p) => p.status === 'replaced').length,
      delete: pods.filter((p) => p.status === 'deleted').length,
      unchanged: pods.filter((p) => p.status === 'unchanged').length,
    }))
    .sort((a, b) => cmp(a.node, b.node))
}

/**
 * The workloads a sync would roll, scale, create or remove, sorted by key.
 * NEWPINS: per workload key, the image pins of its pods that are new in the
 * end state. Pure.
 */
export function rolloutsOf(objects: ObjectDiff[], placements: Array<{node: string; pods: PlacedPod[]}>, pending: Array<{owner?: string}>, desired: Desired, before: State, newPins: Map<string, Record<string, string>> = new Map()): RolloutChange[] {
  const pods = new Map<string, RolloutChange['pods']>()
  const count = (owner: string) => {
    let c = pods.get(owner)
    if (!c) pods.set(owner, (c = {create: 0, replace: 0, delete: 0}))
    return c
  }
  for (const {pods: list} of placements) {
    for (const p of list) {
      const owner = p.owner ?? `Pod/${p.namespace}/${p.name}`
      if (p.status === 'new') count(owner).create++
      else if (p.status === 'replaced') count(owner).replace++
      else if (p.status === 'deleted') count(owner).delete++
    }
  }
  const desiredByKey = new Map(desired.objects.map((d) => [keyOf(d.object), d.object]))
  const keys = new Set<string>([...pods.keys()])
  for (const o of objects) if (workloadKinds.has(o.kind)) keys.add(o.key)
  const out: RolloutChange[] = []
  for (const key of keys) {
    const od = objects.find((o) => o.key === key)
    const kind = key.split('/')[0]
    const want = desiredByKey.get(key)
    const had = before.objects[key]
    const templateFields = (od?.fields ?? []).map((f) => f.path).filter((p) => p.startsWith('spec.template') || (kind === 'Pod' && p.startsWith('spec.')))
    const onlyReplicas = od?.change === 'change' && od.fields.length > 0 && od.fields.every((f) => f.path === 'spec.replicas')
    const change: RolloutChange['change'] = od?.change === 'add' ? 'create' : od?.change === 'remove' ? 'delete' : templateFields.length ? 'update' : onlyReplicas ? 'scale' : 'other'
    const c = pods.get(key) ?? {create: 0, replace: 0, delete: 0}
    // A pending pod of a new workload is still part of what starts.
    if (change === 'create') c.create += pending.filter((p) => p.owner === key).length
    if (change === 'other' && c.create + c.replace + c.delete === 0) continue
    const strategy = strategyOf(want ?? had)
    const replicasOf = (o: unknown) => (o === undefined ? null : (field<number>(o, 'spec.replicas') ?? (kind === 'Deployment' || kind === 'StatefulSet' || kind === 'ReplicaSet' ? 1 : null)))
    const from = replicasOf(had)
    const to = replicasOf(want)
    const images = (change === 'create' || change === 'update') && want ? specImages(templateSpecOf(want), newPins.get(key) ?? {}) : []
    out.push({
      workload: key,
      kind,
      change,
      ...(strategy ? {strategy} : {}),
      ...(from !== null || to !== null ? {replicas: {from, to}} : {}),
      templateFields,
      pods: c,
      ...(images.length ? {images} : {}),
    })
  }
  return out.sort((a, b) => cmp(a.workload, b.workload))
}

function templateSpecOf(o: unknown): Partial<PodSpec> | undefined {
  const kind = field<string>(o, 'kind')
  if (kind === 'Pod') return field(o, 'spec')
  if (kind === 'CronJob') return field(o, 'spec.jobTemplate.spec.template.spec')
  return field(o, 'spec.template.spec')
}

function strategyOf(o: unknown): string | undefined {
  if (!o) return undefined
  const kind = field<string>(o, 'kind')
  if (kind === 'Deployment') {
    const type = field<string>(o, 'spec.strategy.type') ?? 'RollingUpdate'
    if (type !== 'RollingUpdate') return type
    const surge = field<string | number>(o, 'spec.strategy.rollingUpdate.maxSurge') ?? '25%'
    const unavail = field<string | number>(o, 'spec.strategy.rollingUpdate.maxUnavailable') ?? '25%'
    return `RollingUpdate maxSurge=${surge} maxUnavailable=${unavail}`
  }
  if (kind === 'StatefulSet') {
    const type = field<string>(o, 'spec.updateStrategy.type') ?? 'RollingUpdate'
    const partition = field<number>(o, 'spec.updateStrategy.rollingUpdate.partition')
    return partition ? `${type} partition=${partition}` : type
  }
  if (kind === 'DaemonSet') {
    const type = field<string>(o, 'spec.updateStrategy.type') ?? 'RollingUpdate'
    const unavail = field<string | number>(o, 'spec.updateStrategy.rollingUpdate.maxUnavailable')
    return type === 'RollingUpdate' ? `RollingUpdate maxUnavailable=${unavail ?? 1}` : type
  }
  return undefined
}
