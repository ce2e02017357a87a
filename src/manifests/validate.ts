/**
 * validate: YAML documents → the objects tsctl runs, plus every problem
 * found. Order of work: what each document is (kind, apiVersion), its shape
 * (schema), then semantic checks on the documents whose shape is valid
 * (names, pods, workloads, references), then duplicates across the commit.
 * Nothing stops at the first problem.
 */
import type {Diagnostic} from '../errors.js'
import {defaultPodSecurity, type PodSecurityConfig} from './config.js'
import {clusterScopedKinds, objectKey, type KubeObject, type ObjectSource} from './object.js'
import {runKinds, skippedKinds} from './kinds.js'
import {kindSchemas} from './schemas.js'
import type {Checked, Loose} from './object-view.js'
import {Report, sortDiagnostics} from './report.js'
import {didYouMean} from './suggest.js'
import {validateNames} from './validate-names.js'
import {namespaceLevels, validatePodSecurity} from './validate-pod-security.js'
import {validatePods} from './validate-pods.js'
import {buildRefIndex, validateRefs} from './validate-refs.js'
import {validateSchema} from './validate-schema.js'
import {validateWorkload} from './validate-workloads.js'
import type {YamlDoc} from './yaml.js'

/** An object whose every check passed (not yet defaulted). */
/** ObjectMeta fields only an API server sets (schemas/definitions.json marks them unsupported). */
const SERVER_SET_METADATA = ['uid', 'resourceVersion', 'selfLink', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'ownerReferences'] as const

export interface ValidObject {
  object: KubeObject
  source: ObjectSource
  /** the document it came from, with field positions */
  doc: YamlDoc
}

/**
 * Validates documents from any number of files. Returns the objects of the
 * kinds tsctl runs that have no errors, and all diagnostics (errors and
 * warnings) sorted by file, line and column. Pure.
 */
export function validateDocuments(docs: YamlDoc[], podSecurity: PodSecurityConfig = defaultPodSecurity): {objects: ValidObject[]; diagnostics: Diagnostic[]} {
  const report = new Report()
  const named: Checked[] = []
  for (const doc of docs) {
    const at = {doc}
    const v = doc.value as Loose
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      report.error(at, '', `a manifest must be a mapping with apiVersion, kind and metadata, not ${Array.isArray(v) ? 'a list' : typeof v}`)
      continue
    }
    if (typeof v.kind !== 'string' || v.kind === '') {
      report.error(at, v.kind === undefined ? '' : '/kind', 'missing kind: this document is not a Kubernetes object', 'add kind and apiVersion, or leave the file out with manifests: in tsctl.yaml')
      continue
    }
    const kind: string = v.kind
    if (!runKinds.has(kind)) {
      const why = skippedKinds.get(kind)
      const close = didYouMean(kind, runKinds)
      if (why) report.warn(at, '/kind', `${kind} is not run by tsctl; skipped`, why)
      else if (close) report.error(at, '/kind', `unknown kind "${kind}"`, `did you mean "${close}"?`)
      else report.warn(at, '/kind', `${kind}${typeof v.apiVersion === 'string' ? ` (${v.apiVersion})` : ''} is not a kind tsctl runs; skipped`, `tsctl runs ${[...runKinds].sort().join(', ')}`)
      continue
    }
    const name = v.metadata?.name
    const namespace = clusterScopedKinds.has(kind) ? '' : typeof v.metadata?.namespace === 'string' ? v.metadata.namespace : 'default'
    const key = typeof name === 'string' ? objectKey(kind, namespace, name) : undefined
    const keyed = {doc, ...(key ? {key} : {})}
    const want = kindSchemas().apiVersions.get(kind)
    // a missing apiVersion is the schema's "missing required field"
    if (v.apiVersion !== undefined && v.apiVersion !== want) {
      report.error(keyed, '/apiVersion', `${kind} is ${want}, not ${JSON.stringify(v.apiVersion ?? null)}`, `write apiVersion: ${want}`)
    }
    // A `status:` block (a manifest exported with kubectl get -o yaml) is dropped silently, as the
    // API server drops it on create and update: the status is what tsctl observes, never git's.
    delete v.status
    validateSchema(kind, v, keyed, report)
    // Server-set metadata of an exported manifest: accepted with the schema's warning, then dropped,
    // so a copied uid, ownerReferences or deletionTimestamp can never steer tsctl's controllers.
    if (v.metadata && typeof v.metadata === 'object') for (const f of SERVER_SET_METADATA) delete v.metadata[f]
    if (typeof name === 'string') named.push({at: keyed, kind, namespace, name, object: v})
  }

  // Semantic checks run on documents with shape errors too, so one pass shows
  // everything. A check that trips over a malformed value (a string where a
  // list belongs) stops for that object only: the schema error already says why.
  const index = buildRefIndex(named)
  const levels = namespaceLevels(named, report)
  for (const c of named) {
    for (const check of [validateNames, validatePods, validateWorkload]) guard(() => check(c, report))
    guard(() => validateRefs(c, index, report))
    guard(() => validatePodSecurity(c, levels, podSecurity, report))
  }
  checkDuplicates(named, report)

  const bad = new Set(report.errors.map((d) => d.object).filter((k): k is string => !!k))
  const objects: ValidObject[] = []
  for (const c of named) {
    if (bad.has(c.at.key!)) continue
    objects.push({object: c.object as KubeObject, source: {file: c.at.doc.file, doc: c.at.doc.doc, line: c.at.doc.pos.line, col: c.at.doc.pos.col}, doc: c.at.doc})
  }
  return {objects, diagnostics: sortDiagnostics(report.diagnostics)}
}

function guard(check: () => void): void {
  try {
    check()
  } catch (e) {
    if (!(e instanceof TypeError)) throw e
  }
}

/** Two objects with the same kind/namespace/name: every one after the first (by file, then document) is an error. */
function checkDuplicates(named: Checked[], report: Report): void {
  const byKey = new Map<string, Checked[]>()
  for (const c of named) byKey.set(c.at.key!, [...(byKey.get(c.at.key!) ?? []), c])
  for (const [key, list] of byKey) {
    if (list.length < 2) continue
    list.sort((a, b) => (a.at.doc.file < b.at.doc.file ? -1 : a.at.doc.file > b.at.doc.file ? 1 : a.at.doc.doc - b.at.doc.doc))
    const first = list[0].at.doc
    for (const c of list.slice(1)) {
      report.error(c.at, '/metadata/name', `${key} is defined twice`, `also defined at ${first.file}:${first.pos.line}:${first.pos.col}; rename one or delete it`)
    }
  }
}
