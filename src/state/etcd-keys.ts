import type {State} from './model.js'

/**
 * The state as many etcd keys under one prefix (docs/state-etcd.md), so
 * a write sends what changed, not the whole state:
 *
 *     <prefix>/meta/version  meta/serial  meta/lineage  meta/appliedCommit  meta/write
 *     <prefix>/objects/<Kind/ns/name>        objects from git and the rest
 *     <prefix>/pods/<Pod/ns/name>            pods (the bulk of a big state)
 *     <prefix>/revisions/<Kind/ns/name>      ReplicaSets, ControllerRevisions
 *     <prefix>/nodes/<name>
 *     <prefix>/events/<12-digit sequence>    oldest first
 *     <prefix>/lock  <prefix>/leader  <prefix>/pending   (not part of the state)
 *
 * Values are compact JSON. Keys here are relative to `<prefix>/`. Pure.
 */
export const K = {
  version: 'meta/version',
  serial: 'meta/serial',
  lineage: 'meta/lineage',
  appliedCommit: 'meta/appliedCommit',
  /** the id of the write that last committed: a retried txn whose reply was lost recognises itself */
  write: 'meta/write',
  lock: 'lock',
  leader: 'leader',
  /** present while a write split into several transactions is under way (or was torn by a crash) */
  pending: 'pending',
} as const

/** Keys of the prefix that are not the state. */
export const notState = new Set<string>([K.lock, K.leader, K.pending, K.write])

const categories = ['objects/', 'pods/', 'revisions/'] as const

/** The category key of a state object: Pods and revisions apart, so `etcdctl get --prefix …/pods/` lists pods. */
export function objectSubkey(objectKey: string): string {
  const kind = objectKey.slice(0, objectKey.indexOf('/'))
  if (kind === 'Pod') return 'pods/' + objectKey
  if (kind === 'ReplicaSet' || kind === 'ControllerRevision') return 'revisions/' + objectKey
  return 'objects/' + objectKey
}

const eventKey = (seq: number) => 'events/' + String(seq).padStart(12, '0')

/** What a backend remembers of the keys as they are in etcd now: the base of the next diff. */
export interface KeySnapshot {
  /** meta and node keys (relative) → value */
  kv: Map<string, string>
  /** objectKey → its JSON (under objects/, pods/ or revisions/) */
  objects: Map<string, string>
  /** the events' keys in order, with their JSON */
  events: {seq: number; json: string}[]
}

export interface KeyDelta {
  /** relative keys */
  puts: [string, string][]
  deletes: string[]
  /** the same changes to objects, by objectKey, for the snapshot */
  objectPuts: [string, string][]
  objectDeletes: string[]
  /** the events list after the write */
  events: KeySnapshot['events']
}

const has = Object.prototype.hasOwnProperty

/**
 * The keys to put and delete so that BASE becomes STATE. `changed` (the
 * objectKeys a caller knows it touched) skips serialising every other
 * object that exists in both: the caller promises they are unchanged since
 * BASE was read or written. Without it every object is serialised and
 * compared (CPU ∝ state; bytes sent ∝ change). Events are matched as a
 * sliding window (trimmed at the front, appended at the back), so adding
 * one event puts one key.
 */
export function diffState(base: KeySnapshot, state: State, changed?: ReadonlySet<string>): KeyDelta {
  const puts: [string, string][] = []
  const deletes: string[] = []
  const seen = new Set<string>()
  const put = (k: string, v: string) => {
    seen.add(k)
    if (base.kv.get(k) !== v) puts.push([k, v])
  }
  put(K.version, String(state.version))
  put(K.lineage, state.lineage)
  put(K.appliedCommit, JSON.stringify(state.appliedCommit ?? null))
  for (const name in state.nodes) if (has.call(state.nodes, name)) put('nodes/' + name, JSON.stringify(state.nodes[name]))
  for (const k of base.kv.keys()) if (!seen.has(k) && k !== K.serial && !notState.has(k)) deletes.push(k)
  const objectPuts: [string, string][] = []
  const objectDeletes: string[] = []
  let present = 0
  for (const key in state.objects) {
    if (!has.call(state.objects, key)) continue
    const had = base.objects.get(key)
    if (had !== undefined) {
      present++
      if (changed && !changed.has(key)) continue
    }
    const v = JSON.stringify(state.objects[key])
    if (had !== v) objectPuts.push([key, v])
  }
  // every object of STATE that BASE has, and as many: the same set, nothing removed
  if (present !== base.objects.size) for (const key of base.objects.keys()) if (!has.call(state.objects, key)) objectDeletes.push(key)
  for (const [key, v] of objectPuts) puts.push([objectSubkey(key), v])
  for (const key of objectDeletes) deletes.push(objectSubkey(key))
  // events: the longest tail of the old list that is the head of the new one is kept
  const next = state.events.map((e) => JSON.stringify(e))
  const old = base.events
  let keep = 0
  let from = old.length
  for (let i = 0; i < old.length; i++) {
    const n = old.length - i
    if (n > next.length || old[i].json !== next[0]) continue
    let ok = true
    for (let j = 1; j < n; j++) {
      if (old[i + j].json !== next[j]) {
        ok = false
        break
      }
    }
    if (ok) {
      keep = n
      from = i
      break
    }
  }
  const events: KeySnapshot['events'] = []
  for (let i = 0; i < from; i++) deletes.push(eventKey(old[i].seq))
  for (let i = from; i < from + keep; i++) events.push(old[i])
  let seq = old.length ? old[old.length - 1].seq + 1 : 1
  for (let j = keep; j < next.length; j++) {
    puts.push([eventKey(seq), next[j]])
    events.push({seq, json: next[j]})
    seq++
  }
  return {puts, deletes, objectPuts, objectDeletes, events}
}

/** Applies a committed delta to the snapshot (in place). */
export function applyDelta(base: KeySnapshot, d: KeyDelta, serial: number): void {
  for (const k of d.deletes) if (k.startsWith('meta/') || k.startsWith('nodes/')) base.kv.delete(k)
  for (const [k, v] of d.puts) if (k.startsWith('meta/') || k.startsWith('nodes/')) base.kv.set(k, v)
  for (const k of d.objectDeletes) base.objects.delete(k)
  for (const [k, v] of d.objectPuts) base.objects.set(k, v)
  base.kv.set(K.serial, String(serial))
  base.events = d.events
}

/** The snapshot of a key listing (relative key → value) as read from etcd. */
export function snapshotOf(entries: Iterable<[string, string]>): KeySnapshot {
  const kv = new Map<string, string>()
  const objects = new Map<string, string>()
  const events: KeySnapshot['events'] = []
  for (const [k, v] of entries) {
    if (notState.has(k)) continue
    if (k.startsWith('events/')) events.push({seq: Number(k.slice(7)), json: v})
    else {
      const c = categories.find((p) => k.startsWith(p))
      if (c) objects.set(k.slice(c.length), v)
      else kv.set(k, v)
    }
  }
  events.sort((a, b) => a.seq - b.seq)
  return {kv, objects, events}
}

/**
 * The raw state object of a snapshot (for upgradeState), or null when it
 * holds no serial (no state). Objects and nodes come back in the order
 * reconcile writes them (sorted keys); a JSON value that does not parse
 * throws naming its key.
 */
export function stateOf(s: KeySnapshot): Record<string, unknown> | null {
  const serial = s.kv.get(K.serial)
  if (serial === undefined) return null
  const parse = (k: string, v: string): unknown => {
    try {
      return JSON.parse(v)
    } catch (e) {
      throw new Error(`key ${k} is not valid JSON: ${(e as Error).message}`)
    }
  }
  const objectKeys = [...s.objects.keys()].sort()
  const nodeKeys: [string, string][] = []
  for (const k of s.kv.keys()) if (k.startsWith('nodes/')) nodeKeys.push([k.slice(6), k])
  nodeKeys.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const objects: Record<string, unknown> = {}
  for (const name of objectKeys) objects[name] = parse(objectSubkey(name), s.objects.get(name)!)
  const nodes: Record<string, unknown> = {}
  for (const [name, k] of nodeKeys) nodes[name] = parse(k, s.kv.get(k)!)
  const version = Number(s.kv.get(K.version))
  return {
    version: Number.isFinite(version) ? version : s.kv.get(K.version),
    serial: Number(serial),
    lineage: s.kv.get(K.lineage),
    appliedCommit: s.kv.has(K.appliedCommit) ? parse(K.appliedCommit, s.kv.get(K.appliedCommit)!) : null,
    objects,
    nodes,
    events: s.events.map((e) => parse(eventKey(e.seq), e.json)),
  }
}
