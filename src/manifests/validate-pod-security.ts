/**
 * Pod Security admission at validate time. Kubernetes' PodSecurity admission
 * reads the Namespace labels `pod-security.kubernetes.io/enforce|warn|audit`
 * and refuses (enforce) or warns about (warn, audit) pods that break the
 * level. Without an API server, tsctl applies the same levels to the pods a
 * commit would make, before anything runs:
 *
 * - enforce: an error, for Pods and for workload templates alike (kube
 *   enforces on the Pods a controller creates, which then fail one by one;
 *   here the workload is refused up front, as the whole commit is);
 * - warn and audit: warnings (there is no audit log to write to);
 * - a namespace without an enforce label gets `podSecurity.default` from
 *   tsctl.yaml, `baseline` unless set (kube's default is privileged: anyone
 *   who can push would be root on every host);
 * - `podSecurity.hostPaths` in tsctl.yaml, when set, is the cluster-wide
 *   allow-list of hostPath prefixes: a hostPath outside it is refused at any
 *   level, one inside it does not count against baseline.
 *
 * The checks themselves are pod-security.ts (pod-security-admission, latest).
 */
import type {PodSecurityConfig} from './config.js'
import {type Checked, type Loose, podSpecPointer} from './object-view.js'
import {checkPodSecurity, podSecurityMessage, type PodSecurityLevel, type PodSecurityViolation} from './pod-security.js'
import type {Report} from './report.js'

const PREFIX = 'pod-security.kubernetes.io/'
const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted']
const rank = (l: PodSecurityLevel) => LEVELS.indexOf(l)

/** The levels each namespace in the commit asks for, by namespace name. */
export type NamespaceLevels = Map<string, {enforce?: PodSecurityLevel; warn?: PodSecurityLevel; audit?: PodSecurityLevel}>

/** Reads (and checks) the Pod Security labels of the commit's Namespaces. */
export function namespaceLevels(named: Checked[], report: Report): NamespaceLevels {
  const out: NamespaceLevels = new Map()
  for (const c of named) {
    if (c.kind !== 'Namespace') continue
    const labels: Loose = c.object.metadata?.labels ?? {}
    const levels: {enforce?: PodSecurityLevel; warn?: PodSecurityLevel; audit?: PodSecurityLevel} = {}
    for (const mode of ['enforce', 'warn', 'audit'] as const) {
      const v = labels[PREFIX + mode]
      if (v === undefined) continue
      if (LEVELS.includes(v)) levels[mode] = v
      else report.error(c.at, `/metadata/labels/${(PREFIX + mode).replace(/\//g, '~1')}`, `${PREFIX}${mode} must be one of ${LEVELS.join(', ')}, not ${JSON.stringify(v)}`)
      const version = labels[`${PREFIX}${mode}-version`]
      if (version !== undefined && version !== 'latest') {
        report.warn(c.at, `/metadata/labels/${(`${PREFIX}${mode}-version`).replace(/\//g, '~1')}`, `${PREFIX}${mode}-version ${JSON.stringify(version)}: tsctl checks the latest version of the standards`, 'remove the label or write latest')
      }
    }
    out.set(c.name, levels)
  }
  return out
}

export function validatePodSecurity(c: Checked, namespaces: NamespaceLevels, config: PodSecurityConfig, report: Report): void {
  const pointer = podSpecPointer(c.kind)
  if (!pointer) return
  const spec = pointer.split('/').slice(1).reduce((v: Loose, k) => v?.[k], c.object)
  if (!spec || typeof spec !== 'object') return
  const meta: Loose = c.kind === 'Pod' ? c.object.metadata : pointer.split('/').slice(1, -1).reduce((v: Loose, k) => v?.[k], c.object)?.metadata
  const labels = namespaces.get(c.namespace) ?? {}
  const enforce = labels.enforce ?? config.default
  const at = (v: PodSecurityViolation) => `${pointer}${v.pointers[0] ?? ''}`

  checkHostPathAllowList(c, pointer, spec, config, report)
  const violations = (level: PodSecurityLevel) => withAllowList(checkPodSecurity(level, meta ?? {}, spec), spec, config)

  const found = violations(enforce)
  if (found.length) {
    const why = labels.enforce ? `namespace ${c.namespace} is labelled ${PREFIX}enforce: ${enforce}` : `namespace ${c.namespace} has no ${PREFIX}enforce label: podSecurity.default in tsctl.yaml is ${enforce}`
    report.error(c.at, at(found[0]), podSecurityMessage(enforce, found), `${why}; change the pod, or label the Namespace with a level that allows it`)
  }
  for (const mode of ['warn', 'audit'] as const) {
    const level = labels[mode]
    if (!level || rank(level) <= rank(enforce)) continue
    const extra = violations(level)
    if (extra.length) report.warn(c.at, at(extra[0]), `${mode === 'audit' ? 'audit: ' : ''}${podSecurityMessage(level, extra).replace(/^violates /, 'would violate ')}`, `namespace ${c.namespace} is labelled ${PREFIX}${mode}: ${level}`)
  }
}

const under = (path: string, prefix: string) => prefix === '/' || path === prefix || path.startsWith(prefix + '/')

/** With an allow-list, hostPath volumes inside it do not count against baseline (restricted forbids every hostPath). */
function withAllowList(found: PodSecurityViolation[], spec: Loose, config: PodSecurityConfig): PodSecurityViolation[] {
  if (!config.hostPaths) return found
  const allowed = (spec.volumes ?? []).every((v: Loose) => !v?.hostPath || config.hostPaths!.some((p) => under(normal(v.hostPath.path), p)))
  return allowed ? found.filter((v) => v.reason !== 'hostPath volumes') : found
}

function checkHostPathAllowList(c: Checked, pointer: string, spec: Loose, config: PodSecurityConfig, report: Report): void {
  if (!config.hostPaths) return
  ;(spec.volumes ?? []).forEach((v: Loose, i: number) => {
    if (!v?.hostPath || typeof v.hostPath.path !== 'string') return
    const path = normal(v.hostPath.path)
    if (config.hostPaths!.some((p) => under(path, p))) return
    report.error(c.at, `${pointer}/volumes/${i}/hostPath/path`, `hostPath ${JSON.stringify(v.hostPath.path)} of volume "${v.name}" is not under an allowed prefix`, `podSecurity.hostPaths in tsctl.yaml allows ${config.hostPaths!.join(', ') || 'no hostPath at all'}`)
  })
}

/** `/srv//data/./x/` → `/srv/data/x`: a prefix test on the spelled path would let `/srv/data/../../etc` through. */
function normal(p: string): string {
  const out: string[] = []
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue
    if (s === '..') out.pop()
    else out.push(s)
  }
  return '/' + out.join('/')
}
