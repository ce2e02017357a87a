/**
 * Names, namespaces, labels and annotation keys of an object and of its
 * templates, with the syntax Kubernetes requires of each kind.
 */
import {clusterScopedKinds} from './object.js'
import {checkDNS1035Label, checkDNS1123Label, checkDNS1123Subdomain, checkLabelKey, checkLabelValue} from './names.js'
import {type Checked, type Loose, seg} from './object-view.js'
import type {DocRef, Report} from './report.js'

const nameCheck: Record<string, (s: string) => string | undefined> = {
  Service: checkDNS1035Label,
  Namespace: checkDNS1123Label,
}

export function validateNames(c: Checked, report: Report): void {
  const check = nameCheck[c.kind] ?? checkDNS1123Subdomain
  const bad = check(c.name)
  if (bad) report.error(c.at, '/metadata/name', `invalid name: ${bad}`, 'names are lowercase, e.g. "web-api"')
  const ns = c.object.metadata.namespace
  if (ns !== undefined) {
    if (clusterScopedKinds.has(c.kind)) {
      report.error(c.at, '/metadata/namespace', `${c.kind} is not namespaced`, 'remove metadata.namespace')
    } else {
      const badNs = checkDNS1123Label(ns)
      if (badNs) report.error(c.at, '/metadata/namespace', `invalid namespace: ${badNs}`)
    }
  }
  checkMeta(c.at, '/metadata', c.object.metadata, report)
  for (const p of ['/spec/template/metadata', '/spec/jobTemplate/metadata', '/spec/jobTemplate/spec/template/metadata']) {
    const m = p.split('/').slice(1).reduce((v: Loose, k) => (v && typeof v === 'object' ? v[k] : undefined), c.object)
    if (m) checkMeta(c.at, p, m, report)
  }
  const claims: Loose[] = c.kind === 'StatefulSet' ? c.object.spec.volumeClaimTemplates ?? [] : []
  claims.forEach((t, i) => {
    const b = checkDNS1123Label(t.metadata.name)
    if (b) report.error(c.at, `/spec/volumeClaimTemplates/${i}/metadata/name`, `invalid claim template name: ${b}`)
  })
}

/** Labels (keys and values) and annotation keys of one metadata block. */
function checkMeta(at: DocRef, pointer: string, meta: Loose, report: Report): void {
  for (const [k, v] of Object.entries<string>(meta.labels ?? {})) {
    const p = `${pointer}/labels/${seg(k)}`
    const bk = checkLabelKey(k)
    if (bk) report.error(at, p, `invalid label ${bk}`)
    const bv = checkLabelValue(v)
    if (bv) report.error(at, p, `invalid ${bv}`)
  }
  for (const k of Object.keys(meta.annotations ?? {})) {
    const bk = checkLabelKey(k)
    if (bk) report.error(at, `${pointer}/annotations/${seg(k)}`, `invalid annotation ${bk}`)
  }
}
