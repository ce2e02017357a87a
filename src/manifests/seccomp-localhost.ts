/**
 * `seccompProfile: {type: Localhost, localhostProfile: PATH}`. In Kubernetes
 * PATH names a file under the kubelet's seccomp directory on each node; with
 * no files on hosts to manage, tsctl reads PATH from the same commit as the
 * manifests (relative to the repository root) and carries the profile with
 * the pod template, in one annotation, so that:
 * - every host of a rollout runs the same profile, and hosts never need it;
 * - a changed profile file changes the template, so pods roll as for any
 *   template change, and `rollout undo` restores the profile of that revision.
 * The profile is checked here (parseProfile) so a bad file is a validation
 * error at the manifest, naming the profile file and its field.
 */
import type {Diagnostic} from '../errors.js'
import {parseProfile, SeccompProfileError} from '../host/bundle/seccomp/profile.js'
import type {DesiredObject} from './desired.js'
import type {Loose} from './object-view.js'
import {podSpecPointer} from './object-view.js'

/** path → the profile file's text, as JSON; on the pod template, so every pod of it carries it. */
export const LOCALHOST_PROFILES_ANNOTATION = 'seccomp.tsctl.dev/localhost-profiles'

/** The Localhost profile paths a pod spec names, with the field each comes from. */
export function localhostProfiles(spec: Loose): {path: string; field: string}[] {
  const out: {path: string; field: string}[] = []
  const add = (sc: Loose, field: string) => {
    if (sc?.seccompProfile?.type === 'Localhost' && typeof sc.seccompProfile.localhostProfile === 'string') out.push({path: sc.seccompProfile.localhostProfile, field: `${field}.seccompProfile.localhostProfile`})
  }
  add(spec?.securityContext, 'securityContext')
  for (const list of ['initContainers', 'containers'] as const) (spec?.[list] ?? []).forEach((c: Loose, i: number) => add(c?.securityContext, `${list}[${i}].securityContext`))
  return out
}

/**
 * Reads every Localhost profile the objects name through `read` (a path of
 * the commit → its text, or undefined when absent) and puts them on the pod
 * templates. Returns the problems; objects with problems are left as they are.
 */
export async function inlineLocalhostProfiles(objects: DesiredObject[], read: (paths: string[]) => Promise<Map<string, string | undefined>>): Promise<Diagnostic[]> {
  const wanted = new Map<DesiredObject, {path: string; field: string}[]>()
  for (const o of objects) {
    const pointer = podSpecPointer(o.object.kind)
    if (!pointer) continue
    const spec = pointer.split('/').slice(1).reduce((v: Loose, k) => v?.[k], o.object)
    const refs = localhostProfiles(spec)
    if (refs.length) wanted.set(o, refs)
  }
  if (!wanted.size) return []
  const texts = await read([...new Set([...wanted.values()].flat().map((r) => r.path))])
  const diagnostics: Diagnostic[] = []
  for (const [o, refs] of wanted) {
    const profiles: Record<string, string> = {}
    const at = {file: o.source.file, line: o.source.line, col: o.source.col, object: `${o.object.kind}/${o.object.metadata.namespace ?? ''}/${o.object.metadata.name}`}
    for (const r of refs) {
      const text = texts.get(r.path)
      if (text === undefined) {
        diagnostics.push({severity: 'error', ...at, field: r.field, message: `seccomp profile ${r.path} is not in this commit`, hint: 'localhostProfile is a path from the repository root; commit the profile (Docker/OCI JSON format)'})
        continue
      }
      try {
        parseProfile(text, r.path)
        profiles[r.path] = text
      } catch (e) {
        if (!(e instanceof SeccompProfileError)) throw e
        diagnostics.push({severity: 'error', ...at, field: r.field, message: e.message})
      }
    }
    if (Object.keys(profiles).length !== new Set(refs.map((r) => r.path)).size) continue
    const meta = templateMeta(o.object as Loose)
    meta.annotations = {...meta.annotations, [LOCALHOST_PROFILES_ANNOTATION]: JSON.stringify(profiles)}
  }
  return diagnostics
}

/** The metadata a workload's pods get (created when the template has none). */
function templateMeta(o: Loose): Loose {
  if (o.kind === 'Pod') return o.metadata
  const template = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template
  return (template.metadata ??= {})
}
