import type {KubeObject} from '../manifests/object.js'
import {SENSITIVE, isSensitivePath} from './mask.js'
import {secretsForDiff} from '../secrets/diff-view.js'

/** One changed leaf (or subtree) of an object. Secret values are already masked. */
/** One object's change between the state and the commit. */
export interface ObjectDiff {
  key: string
  kind: string
  namespace?: string
  name: string
  change: 'add' | 'change' | 'remove'
  source?: {file: string; line: number; col: number}
  /** only for `change` */
  fields: FieldChange[]
}

export interface FieldChange {
  /** e.g. `spec.template.spec.containers[0].image` */
  path: string
  op: 'add' | 'remove' | 'change'
  before?: unknown
  after?: unknown
}

/**
 * Annotations the controllers write on git objects (tsctl's bookkeeping, and
 * the Deployment revision as Kubernetes' own controller writes it). A user
 * cannot meaningfully set them, so they never count as a change.
 */
const controllerAnnotation = /^(tsctl\.io|deployment\.kubernetes\.io)\//

/**
 * The fields tsctl writes itself (uid, generation, timestamps, status,
 * controller annotations): a difference there is not a change the commit
 * asked for.
 */
export function comparable(o: KubeObject): Record<string, unknown> {
  const {status: _status, metadata, ...rest} = o
  const meta: Record<string, unknown> = {name: metadata.name}
  if (metadata.namespace) meta.namespace = metadata.namespace
  if (metadata.labels && Object.keys(metadata.labels).length) meta.labels = metadata.labels
  const ann = Object.fromEntries(Object.entries(metadata.annotations ?? {}).filter(([k]) => !controllerAnnotation.test(k)))
  if (Object.keys(ann).length) meta.annotations = ann
  return {...rest, metadata: meta}
}

/**
 * Field-level difference between two versions of one object, in path order.
 * Lists of objects that all have a `name` (containers, ports, volumes, env)
 * are matched by name, as kubectl's strategic merge does, so inserting a
 * container is one add rather than a change of every later one.
 */
export function diffFields(before: KubeObject, after: KubeObject): FieldChange[] {
  const out: FieldChange[] = []
  // SOPS Secrets: plaintext compared in memory with a key, ciphertexts and the MAC without (src/secrets/diff-view.ts)
  const s = after.kind === 'Secret' ? secretsForDiff(before, after) : {before, after, reencrypted: false}
  walk(comparable(s.before), comparable(s.after), '', out)
  if (s.reencrypted) out.push({path: 'sops', op: 'change', before: 'encrypted', after: 're-encrypted, same values'})
  const kind = after.kind
  return out.map((c) => (isSensitivePath(kind, c.path) ? maskChange(c) : c))
}

function maskChange(c: FieldChange): FieldChange {
  const m: FieldChange = {path: c.path, op: c.op}
  if (c.op !== 'add') m.before = SENSITIVE
  if (c.op !== 'remove') m.after = SENSITIVE
  return m
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function join(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`
}

function named(list: unknown[]): list is Array<{name: string}> {
  const names = list.map((e) => (isPlainObject(e) && typeof e.name === 'string' ? e.name : undefined))
  return names.every((n) => n !== undefined) && new Set(names).size === names.length
}

function walk(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (a === undefined && b === undefined) return
  if (a === undefined) return void out.push({path, op: 'add', after: b})
  if (b === undefined) return void out.push({path, op: 'remove', before: a})
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    for (const k of keys) walk(a[k], b[k], join(path, k), out)
    return
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length && b.length && named(a) && named(b)) {
      const byName = new Map(a.map((e) => [e.name, e]))
      b.forEach((e, i) => {
        walk(byName.get(e.name), e, `${path}[${i}]`, out)
        byName.delete(e.name)
      })
      for (const [name, e] of byName) out.push({path: `${path}[name=${name}]`, op: 'remove', before: e})
      return
    }
    if (a.length === b.length) {
      a.forEach((e, i) => walk(e, b[i], `${path}[${i}]`, out))
      return
    }
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({path, op: 'change', before: a, after: b})
}
