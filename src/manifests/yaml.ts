/**
 * YAML → plain values, with the line and column of every field.
 *
 * js-yaml's event parser gives source offsets; this file walks the events
 * once to record where each field is (keyed by JSON pointer), to find
 * duplicate keys (all of them, not just the first) and to bound alias
 * expansion (a "billion laughs" document is rejected before anything walks
 * it), then lets js-yaml construct the values from the same events.
 */
import * as yaml from 'js-yaml'
import type {Diagnostic, SourcePos} from '../errors.js'

/** One YAML document of a file. */
export interface YamlDoc {
  file: string
  /** 0-based index of the document in its file */
  doc: number
  /** where the document's content starts */
  pos: SourcePos
  /** the constructed value; aliases expanded into independent copies */
  value: unknown
  /** JSON pointer (`/spec/containers/0/image`) → where that field's key (or item) is */
  positions: ReadonlyMap<string, SourcePos>
}

/**
 * Most nodes a document may expand to once aliases are followed. Real
 * manifests are a few thousand nodes; the bound only stops alias bombs.
 */
export const maxExpandedNodes = 100_000

const EV = yaml.EVENT_ID

/** Offsets → 1-based line/col, by binary search over line starts. */
export function lineIndex(text: string): (offset: number) => {line: number; col: number} {
  const starts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1)
  return (offset) => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid] <= offset) lo = mid
      else hi = mid - 1
    }
    return {line: lo + 1, col: offset - starts[lo] + 1}
  }
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1')

interface Frame {
  kind: 'map' | 'seq'
  pointer: string
  /** map: the key waiting for its value (undefined: next scalar is a key) */
  key?: string
  keyPos?: number
  /** map: keys seen, for duplicate detection */
  keys?: Map<string, number>
  /** seq: next index */
  index: number
  /** anchor name of this collection, to record its expanded size */
  anchor?: string
  /** expanded node count of this collection so far */
  size: number
  /** a mapping key that is itself a collection: its value is skipped */
  complexKey?: boolean
}

function startOf(e: {anchorStart: number; tagStart: number}, own: number): number {
  return Math.min(...[e.anchorStart, e.tagStart, own].filter((n) => n >= 0))
}

/**
 * Parses every document of one file. Never throws: syntax errors, duplicate
 * keys and alias bombs come back as diagnostics with their position (a
 * syntax error ends the file; later documents are not read).
 */
export function parseYamlFile(file: string, text: string): {docs: YamlDoc[]; diagnostics: Diagnostic[]} {
  const diagnostics: Diagnostic[] = []
  const at = lineIndex(text)
  const err = (offset: number, message: string, hint?: string, field?: string) =>
    diagnostics.push({severity: 'error', file, ...at(offset), ...(field ? {field} : {}), message, ...(hint ? {hint} : {})})
  let events: yaml.Event[]
  try {
    events = yaml.parseEvents(text, {filename: file})
  } catch (e) {
    const mark = (e as yaml.YAMLException).mark
    const reason = (e as yaml.YAMLException).reason ?? (e as Error).message
    diagnostics.push({
      severity: 'error',
      file,
      ...(mark ? {line: mark.line + 1, col: mark.column + 1} : {}),
      message: `YAML syntax error: ${reason}`,
    })
    return {docs: [], diagnostics}
  }

  // Split into documents so one bad document does not hide the others.
  const docs: YamlDoc[] = []
  let docIndex = -1
  let i = 0
  while (i < events.length) {
    if (events[i].type !== EV.DOCUMENT) {
      i++
      continue
    }
    docIndex++
    const begin = i
    let depth = 0
    let j = i
    for (; j < events.length; j++) {
      const t = events[j].type
      if (t === EV.DOCUMENT || t === EV.SEQUENCE || t === EV.MAPPING) depth++
      else if (t === EV.POP && --depth === 0) break
    }
    const docEvents = events.slice(begin, j + 1)
    i = j + 1
    const walked = walk(file, docEvents, text, at, (offset, message, hint, field) => err(offset, message, hint, field))
    if (!walked) continue
    if (walked.empty) continue
    let value: unknown
    try {
      // json: true lets a duplicate key through (last wins); walk() already reported it.
      value = yaml.constructFromEvents(docEvents, {source: text, filename: file, json: true, schema: yamlSchema})[0]
    } catch (e) {
      const mark = (e as yaml.YAMLException).mark
      diagnostics.push({
        severity: 'error',
        file,
        ...(mark ? {line: mark.line + 1, col: mark.column + 1} : walked.pos),
        message: `YAML: ${(e as yaml.YAMLException).reason ?? (e as Error).message}`,
      })
      continue
    }
    // Aliases share one object; copy so no later step can change two fields at once.
    if (walked.aliases) value = treeCopy(value)
    docs.push({file, doc: docIndex, pos: {file, ...walked.pos}, value, positions: walked.positions})
  }
  return {docs, diagnostics}
}

/**
 * Kubernetes (go-yaml) reads `<<` merge keys; so do we. Timestamps stay
 * strings, as they are in a Kubernetes object.
 */
const yamlSchema = yaml.CORE_SCHEMA.withTags(yaml.mergeTag)

function walk(
  file: string,
  events: yaml.Event[],
  text: string,
  at: (offset: number) => {line: number; col: number},
  err: (offset: number, message: string, hint?: string, field?: string) => void,
): {positions: Map<string, SourcePos>; pos: {line: number; col: number}; empty: boolean; aliases: boolean} | undefined {
  const positions = new Map<string, SourcePos>()
  const anchorSize = new Map<string, number>()
  const stack: Frame[] = []
  let total = 0
  let aliases = false
  let rootStart = -1
  let rootIsNull = false
  const record = (pointer: string, offset: number) => {
    if (!positions.has(pointer)) positions.set(pointer, {file, ...at(offset)})
  }
  // Where the next node goes; returns its pointer (undefined inside a complex key).
  const place = (offset: number, isKeyCandidate: boolean): {pointer?: string; asKey: boolean} => {
    const top = stack[stack.length - 1]
    if (!top) {
      rootStart = offset
      return {pointer: '', asKey: false}
    }
    if (top.complexKey) return {asKey: false}
    if (top.kind === 'seq') {
      const pointer = `${top.pointer}/${top.index++}`
      record(pointer, offset)
      return {pointer, asKey: false}
    }
    if (top.key === undefined) return {asKey: isKeyCandidate}
    const pointer = `${top.pointer}/${escapePointer(top.key)}`
    top.key = undefined
    return {pointer, asKey: false}
  }
  const addSize = (n: number) => {
    total += n
    for (const f of stack) f.size += n
  }
  for (const e of events) {
    if (total > maxExpandedNodes) break
    switch (e.type) {
      case EV.DOCUMENT:
        break
      case EV.SCALAR: {
        const start = startOf(e, e.style === yaml.SCALAR_STYLE.PLAIN ? e.valueStart : Math.max(0, e.valueStart - 1))
        const top = stack[stack.length - 1]
        if (top && top.kind === 'map' && top.key === undefined && !top.complexKey) {
          // a mapping key
          const key = yaml.getScalarValue(text, e)
          const seen = top.keys!.get(key)
          const pointer = `${top.pointer}/${escapePointer(key)}`
          if (seen !== undefined && key !== '<<') {
            const first = at(seen)
            err(start, `duplicate key "${key}"`, `first defined at line ${first.line}, column ${first.col}; remove one`, pointerToField(pointer))
          } else top.keys!.set(key, start)
          top.key = key
          top.keyPos = start
          record(pointer, start)
          break
        }
        place(start, false)
        if (!top && e.valueStart === e.valueEnd && e.style === yaml.SCALAR_STYLE.PLAIN && e.tagStart < 0) rootIsNull = true
        addSize(1)
        if (e.anchorStart >= 0) anchorSize.set(text.slice(e.anchorStart, e.anchorEnd), 1)
        break
      }
      case EV.SEQUENCE:
      case EV.MAPPING: {
        const start = startOf(e, e.start)
        const top = stack[stack.length - 1]
        const complexKey = !!top && top.kind === 'map' && top.key === undefined && !top.complexKey
        const placed = complexKey ? {pointer: undefined} : place(start, false)
        addSize(1)
        stack.push({
          kind: e.type === EV.MAPPING ? 'map' : 'seq',
          pointer: placed.pointer ?? '',
          keys: e.type === EV.MAPPING ? new Map() : undefined,
          index: 0,
          anchor: e.anchorStart >= 0 ? text.slice(e.anchorStart, e.anchorEnd) : undefined,
          size: 1,
          complexKey: complexKey || top?.complexKey,
        })
        if (complexKey) {
          top.key = '[complex key]'
          err(start, 'a mapping key must be a plain value, not a collection')
        }
        break
      }
      case EV.ALIAS: {
        aliases = true
        const name = text.slice(e.anchorStart, e.anchorEnd)
        const top = stack[stack.length - 1]
        if (top && top.kind === 'map' && top.key === undefined && !top.complexKey) {
          // alias as a key: js-yaml resolves it; we only keep positions consistent
          top.key = '[alias key]'
          break
        }
        place(e.anchorStart - 1, false)
        const n = anchorSize.get(name) ?? 1
        addSize(n)
        if (total > maxExpandedNodes) {
          err(e.anchorStart - 1, `aliases expand this document beyond ${maxExpandedNodes} nodes (a YAML alias bomb?)`, 'write the values out instead of nesting aliases')
          return undefined
        }
        break
      }
      case EV.POP: {
        const f = stack.pop()
        if (f?.anchor) anchorSize.set(f.anchor, f.size)
        break
      }
    }
  }
  if (total > maxExpandedNodes) {
    err(rootStart < 0 ? 0 : rootStart, `this document has more than ${maxExpandedNodes} nodes`, 'split it into several documents')
    return undefined
  }
  if (rootStart < 0) rootStart = 0
  return {positions, pos: at(rootStart), empty: rootIsNull, aliases}
}

/** A copy in which no two places share an object (structuredClone keeps sharing). Bounded by maxExpandedNodes. */
function treeCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(treeCopy)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, treeCopy(x)]))
  return v
}

/** `/spec/containers/0/image` → `spec.containers[0].image`; keys that are not identifiers are quoted. */
export function pointerToField(pointer: string): string {
  if (pointer === '') return ''
  let out = ''
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (/^\d+$/.test(seg)) out += `[${seg}]`
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}
