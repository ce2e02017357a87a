/**
 * Label selectors and node selector terms, compiled once and matched many
 * times. How one requirement matches is defined once, in
 * src/manifests/selector.ts (matchRequirement). Semantics are apimachinery's: `LabelSelectorAsSelector` (nil
 * selector matches nothing, empty selector matches everything; NotIn and
 * DoesNotExist match a missing label) and component-helpers'
 * `nodeaffinity` (Gt/Lt compare integers; matchFields knows only
 * `metadata.name`).
 */
import type {LabelSelector, NodeSelectorTerm} from '../../manifests/generated/index.js'
import {labelRequirement, matchRequirement as matchOne, Op, requirement, type Requirement} from '../../manifests/selector.js'

const interned = new Map<string, Selector>()
/** Distinct selectors kept; a long-running watch clears the table when it fills. */
const internLimit = 10_000

/** A compiled label selector (immutable, so equal ones are shared). */
export class Selector {
  /** `key=value` of a single-valued In requirement, for LabelIndex buckets; null when there is none */
  readonly bucket: string | null
  private canonical: string | undefined

  private constructor(
    private readonly reqs: readonly Requirement[],
    /** nil selector: matches nothing */
    readonly nothing: boolean,
  ) {
    const first = reqs.find((r) => r.op === Op.In && r.one !== undefined)
    this.bucket = nothing || !first ? null : `${first.key}=${first.one}`
  }

  /** canonical text: selectors with equal keys select the same label sets */
  get key(): string {
    this.canonical ??= this.nothing ? '<nothing>' : this.reqs.map((r) => `${r.key} ${r.op} ${[...r.values].sort().join(',')}`).sort().join(';')
    return this.canonical
  }

  static readonly nothing = new Selector([], true)
  static readonly everything = new Selector([], false)

  /**
   * From a metav1.LabelSelector. `extra` adds requirements (matchLabelKeys
   * merged in as `key In (value)`, mismatchLabelKeys as `key NotIn (value)`).
   */
  static from(sel: LabelSelector | null | undefined, extra: {key: string; operator: string; values: string[]}[] = []): Selector {
    // Every replica carries the same selectors: compile each distinct one once.
    const text = JSON.stringify([sel ?? null, extra])
    let s = interned.get(text)
    if (!s) {
      if (interned.size >= internLimit) interned.clear()
      interned.set(text, (s = Selector.compile(sel, extra)))
    }
    return s
  }

  private static compile(sel: LabelSelector | null | undefined, extra: {key: string; operator: string; values: string[]}[]): Selector {
    if (sel === null || sel === undefined) return extra.length === 0 ? Selector.nothing : new Selector(extra.map((e) => requirement(e.key, e.operator, e.values)), false)
    const reqs: Requirement[] = []
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(requirement(k, 'In', [v]))
    for (const e of sel.matchExpressions ?? []) reqs.push(labelRequirement(e.key, e.operator, e.values ?? []))
    for (const e of extra) reqs.push(requirement(e.key, e.operator, e.values))
    return new Selector(reqs, false)
  }

  /** From `nodeSelector`: every key must equal its value. */
  static fromMap(labels: Readonly<Record<string, string>> | undefined): Selector {
    if (!labels) return Selector.everything
    return new Selector(Object.entries(labels).map(([k, v]) => requirement(k, 'In', [v])), false)
  }

  get empty(): boolean {
    return !this.nothing && this.reqs.length === 0
  }

  matches(labels: Readonly<Record<string, string>>): boolean {
    if (this.nothing) return false
    const reqs = this.reqs
    for (let i = 0; i < reqs.length; i++) if (!matchOne(reqs[i], labels)) return false
    return true
  }
}

/** One compiled NodeSelectorTerm (matchExpressions on labels, matchFields on metadata.name). */
export class NodeTerm {
  private readonly exprs: readonly Requirement[]
  private readonly fields: readonly Requirement[]
  private readonly matchesNothing: boolean

  constructor(term: NodeSelectorTerm) {
    this.exprs = (term.matchExpressions ?? []).map((e) => requirement(e.key, e.operator, e.values ?? []))
    // Only metadata.name with In/NotIn is a valid field selector.
    this.fields = (term.matchFields ?? []).map((e) =>
      e.key === 'metadata.name' && (e.operator === 'In' || e.operator === 'NotIn') && (e.values?.length ?? 0) === 1 ? requirement(e.key, e.operator, e.values) : requirement(e.key, 'Invalid'),
    )
    // An empty term matches no node (nodeaffinity.nodeSelectorTerms).
    this.matchesNothing = this.exprs.length === 0 && this.fields.length === 0
  }

  matches(labels: Readonly<Record<string, string>>, nodeName: string): boolean {
    if (this.matchesNothing) return false
    for (const r of this.exprs) if (!matchOne(r, labels)) return false
    for (const r of this.fields) if (!matchOne(r, {'metadata.name': nodeName})) return false
    return true
  }
}

/** Required node affinity: the terms are ORed. */
export function anyTermMatches(terms: readonly NodeTerm[], labels: Readonly<Record<string, string>>, nodeName: string): boolean {
  for (const t of terms) if (t.matches(labels, nodeName)) return true
  return false
}
