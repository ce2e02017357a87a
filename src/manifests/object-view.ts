/**
 * Shared vocabulary of the semantic checks: one validated document, and
 * where each kind keeps its pod template.
 */
import type {DocRef} from './report.js'

/** Loosely typed access to a manifest (its shape was checked by the schema first). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any

/** A document that passed its schema: the semantic checks' input. */
export interface Checked {
  at: DocRef
  kind: string
  namespace: string
  name: string
  object: Loose
}

/** Where a kind keeps its pod spec (JSON pointer), or undefined for kinds without pods. */
export function podSpecPointer(kind: string): string | undefined {
  switch (kind) {
    case 'Pod':
      return '/spec'
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      return '/spec/template/spec'
    case 'CronJob':
      return '/spec/jobTemplate/spec/template/spec'
    default:
      return undefined
  }
}

/** The value at a JSON pointer (no escaping needed: only used with fixed paths). */
export function get(object: Loose, pointer: string): Loose {
  let v = object
  for (const seg of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined
    v = v[seg]
  }
  return v
}

/** Escapes one JSON pointer segment (map keys may hold "/"). */
export const seg = (s: string | number) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')
