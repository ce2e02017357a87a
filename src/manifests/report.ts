/**
 * Collects diagnostics against the YAML documents they are about, turning a
 * JSON pointer into `file:line:col` and a readable field path. Validation
 * never stops at the first problem: every check reports here and goes on.
 */
import type {Diagnostic} from '../errors.js'
import type {YamlDoc} from './yaml.js'
import {pointerToField} from './yaml.js'

/** Where a diagnostic is about: a document and, when known, the object's key (`Kind/ns/name`). */
export interface DocRef {
  doc: YamlDoc
  key?: string
}

/** The recorded position of `pointer`, or of its nearest ancestor that has one. */
export function positionOf(doc: YamlDoc, pointer: string): {line: number; col: number} {
  let p = pointer
  for (;;) {
    const pos = doc.positions.get(p)
    if (pos) return {line: pos.line, col: pos.col}
    if (p === '') return {line: doc.pos.line, col: doc.pos.col}
    p = p.slice(0, p.lastIndexOf('/'))
  }
}

export class Report {
  readonly diagnostics: Diagnostic[] = []

  add(severity: Diagnostic['severity'], at: DocRef, pointer: string, message: string, hint?: string): void {
    const field = pointerToField(pointer)
    this.diagnostics.push({
      severity,
      file: at.doc.file,
      ...positionOf(at.doc, pointer),
      ...(field ? {field} : {}),
      ...(at.key ? {object: at.key} : {}),
      message,
      ...(hint ? {hint} : {}),
    })
  }

  error(at: DocRef, pointer: string, message: string, hint?: string): void {
    this.add('error', at, pointer, message, hint)
  }

  warn(at: DocRef, pointer: string, message: string, hint?: string): void {
    this.add('warning', at, pointer, message, hint)
  }

  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error')
  }
}

/** Diagnostics in a stable order (file, line, col, message), whatever order the checks ran in. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const k = (d: Diagnostic) => [d.file ?? '', String(d.line ?? 0).padStart(8, '0'), String(d.col ?? 0).padStart(8, '0'), d.field ?? '', d.message].join('\0')
  return [...ds].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0))
}
