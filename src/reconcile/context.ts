/**
 * The working state of one reconcile pass: a private copy of the state that
 * the controllers edit, the inputs, and what the pass records (events).
 * Nothing here outlives the pass; reconcile() returns the copy.
 */
import type {Desired} from '../manifests/desired.js'
import type {KubeObject} from '../manifests/object.js'
import {keyOf} from '../manifests/object.js'
import type {State, StateEvent} from '../state/model.js'
import type {Action} from './plan.js'
import type {Observed} from './observed.js'
import {A} from '../manifests/annotations.js'
import {clone, controllerRef, isoAt, nodeNameOf, setAnn} from './util.js'


/** Events kept in the state; older ones are dropped (newest last). */
export const MAX_EVENTS = 1000

export class Ctx {
  readonly state: State
  readonly nowIso: string
  readonly events: StateEvent[] = []
  /** actions that are not about pods on hosts (DeleteClaim), added to the plan as they are */
  readonly extraActions: Action[] = []
  /** this pass's image answers (image → digest) and the images it needed but had none for (image-pins.ts) */
  imageAnswers: Record<string, string> = {}
  readonly imageNeeds = new Set<string>()
  private uidIndex = new Map<string, string>()
  /** kind → keys, and the sorted key list cached until the set changes */
  private kindIndex = new Map<string, {keys: Set<string>; sorted?: string[]}>()
  /** controller owner UID → keys of the objects it owns */
  private ownerIndex = new Map<string, {keys: Set<string>; sorted?: string[]}>()

  constructor(
    state: State,
    readonly desired: Desired,
    readonly observed: Observed,
    readonly now: number,
    readonly prune: boolean,
    readonly nodeGraceMs: number,
  ) {
    this.state = clone(state)
    this.nowIso = isoAt(now)
    for (const [k, o] of Object.entries(this.state.objects)) this.index(k, o)
  }

  private static add(m: Map<string, {keys: Set<string>; sorted?: string[]}>, id: string, key: string): void {
    let e = m.get(id)
    if (!e) m.set(id, (e = {keys: new Set()}))
    if (!e.keys.has(key)) {
      e.keys.add(key)
      e.sorted = undefined
    }
  }

  private static drop(m: Map<string, {keys: Set<string>; sorted?: string[]}>, id: string, key: string): void {
    const e = m.get(id)
    if (e?.keys.delete(key)) e.sorted = undefined
  }

  private static sorted(e: {keys: Set<string>; sorted?: string[]} | undefined): string[] {
    if (!e) return []
    return (e.sorted ??= [...e.keys].sort())
  }

  private index(key: string, o: KubeObject): void {
    if (o.metadata.uid) this.uidIndex.set(o.metadata.uid, key)
    Ctx.add(this.kindIndex, o.kind, key)
    const owner = controllerRef(o)?.uid
    if (owner) Ctx.add(this.ownerIndex, owner, key)
  }

  private unindex(key: string, o: KubeObject): void {
    if (o.metadata.uid && this.uidIndex.get(o.metadata.uid) === key) this.uidIndex.delete(o.metadata.uid)
    Ctx.drop(this.kindIndex, o.kind, key)
    const owner = controllerRef(o)?.uid
    if (owner) Ctx.drop(this.ownerIndex, owner, key)
  }

  get(key: string): KubeObject | undefined {
    return this.state.objects[key]
  }

  byUid(uid: string): KubeObject | undefined {
    const k = this.uidIndex.get(uid)
    return k ? this.state.objects[k] : undefined
  }

  put(o: KubeObject): void {
    const k = keyOf(o)
    const prev = this.state.objects[k]
    if (prev) this.unindex(k, prev)
    this.state.objects[k] = o
    this.index(k, o)
  }

  remove(key: string): void {
    const o = this.state.objects[key]
    if (!o) return
    this.unindex(key, o)
    delete this.state.objects[key]
  }

  /** Objects of a kind, sorted by key (the only iteration order reconcile uses). */
  list(kind: string): KubeObject[] {
    return Ctx.sorted(this.kindIndex.get(kind)).map((k) => this.state.objects[k])
  }

  /** Objects whose controller owner reference points at `uid`. */
  ownedBy(uid: string, kind?: string): KubeObject[] {
    const out: KubeObject[] = []
    for (const k of Ctx.sorted(this.ownerIndex.get(uid))) {
      const o = this.state.objects[k]
      if (!kind || o.kind === kind) out.push(o)
    }
    return out
  }

  /** The git object at the top of the owner chain (Deployment for its pods), or the object itself. */
  workloadOf(o: KubeObject): string {
    let cur = o
    for (let i = 0; i < 8; i++) {
      const ref = controllerRef(cur)
      const up = ref ? this.byUid(ref.uid) : undefined
      if (!up) break
      cur = up
    }
    return keyOf(cur)
  }

  event(type: 'Normal' | 'Warning', reason: string, object: string, message: string): void {
    this.events.push({time: this.nowIso, type, reason, object, message})
  }

  /** Like event(), but not again while the newest event of that reason for the object says the same. */
  eventOnce(type: 'Normal' | 'Warning', reason: string, object: string, message: string): void {
    const all = [...this.state.events, ...this.events]
    for (let i = all.length - 1; i >= 0; i--) {
      const e = all[i]
      if (e.object === object && e.reason === reason) {
        if (e.message === message) return
        break
      }
    }
    this.event(type, reason, object, message)
  }

  /**
   * Delete a pod the Kubernetes way: it stays in the state, terminating
   * (deletionTimestamp), until its host confirms it is gone; the plan stops
   * it meanwhile. A pod never bound to a node is simply removed.
   */
  deletePod(pod: KubeObject, reason: string): void {
    if (pod.metadata.deletionTimestamp) return
    if (!nodeNameOf(pod)) {
      this.remove(keyOf(pod))
      return
    }
    const p = clone(pod)
    p.metadata.deletionTimestamp = this.nowIso
    setAnn(p, A.deleteReason, reason)
    this.put(p)
  }

  /** Delete an object and, as the garbage collector does, everything it owns. */
  deleteObject(o: KubeObject, reason: string): void {
    if (o.kind === 'Pod') return this.deletePod(o, reason)
    const uid = o.metadata.uid
    this.remove(keyOf(o))
    if (!uid) return
    for (const child of this.ownedBy(uid)) this.deleteObject(child, reason)
  }

  /** Whether a reachable host runs a pod of that name (for adopting pods a lost state forgot). */
  runsOnHost(namespace: string, name: string): boolean {
    if (!this.hostPods) {
      this.hostPods = new Set()
      for (const on of Object.values(this.observed.nodes)) if (on.reachable) for (const o of on.pods) this.hostPods.add(`${o.namespace}/${o.name}`)
    }
    return this.hostPods.has(`${namespace}/${name}`)
  }

  private hostPods?: Set<string>

  /** Whether any reachable host reported any pod (lets controllers skip adoption work on a fresh fleet). */
  anyHostPods(): boolean {
    this.runsOnHost('', '')
    return this.hostPods!.size > 0
  }

  /** Pods in the state, sorted by key. */
  pods(): KubeObject[] {
    return this.list('Pod')
  }
}

