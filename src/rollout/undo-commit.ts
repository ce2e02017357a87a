import {readFile, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import * as yaml from 'js-yaml'
import {simpleGit} from 'simple-git'
import {UserError} from '../errors.js'
import type {KubeObject} from '../manifests/object.js'
import type {State} from '../state/model.js'
import {A} from '../manifests/annotations.js'

export interface CommitRollbackOptions {
  /** a work tree */
  repo: string
  /** the state after the undo */
  state: State
  /** objectKey of the workload rolled back */
  key: string
  revision: number
}

const kindWord: Record<string, string> = {Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset'}
const annotation = (o: KubeObject | undefined, k: string) => o?.metadata.annotations?.[k]

/**
 * `rollout undo --commit`: writes the rolled-back manifest into the files
 * the objects came from (`tsctl.io/source`) and commits them as "Roll back
 * deployment/web to revision 3". The template is taken from the manifest
 * as it was in the commit that made that revision (so no defaults or tsctl
 * annotations leak into git), the ConfigMap/Secret contents the undo
 * restored likewise. Other documents of those files are kept, re-dumped
 * (comments in those files are lost: js-yaml does not keep them). Refuses
 * files with uncommitted changes. Once committed, the next sync replaces
 * the pinned objects by git's (identical) ones: the pin ends, nothing rolls.
 */
export async function commitRollback(o: CommitRollbackOptions): Promise<{sha: string; subject: string; files: string[]}> {
  const repo = resolve(o.repo)
  const git = simpleGit({baseDir: repo})
  if ((await git.raw(['rev-parse', '--is-inside-work-tree']).catch(() => '')).trim() !== 'true') {
    throw new UserError(`--commit needs --repo to be a git work tree (${repo} is not)`)
  }
  const w = o.state.objects[o.key]
  if (!w) throw new UserError(`${o.key} not found`)
  const rs = Object.values(o.state.objects).find(
    (x) => x.metadata.ownerReferences?.some((r) => r.uid === w.metadata.uid) && (annotation(x, A.revision) === String(o.revision) || (x as {revision?: number}).revision === o.revision),
  )
  const oldCommit = annotation(rs, A.commit)
  const objects = [o.key, ...Object.values(o.state.objects).filter((x) => annotation(x, A.pinnedRevision)?.startsWith(`${o.key}@`)).map((x) => `${x.kind}/${x.metadata.namespace ?? 'default'}/${x.metadata.name}`)]
  // every file is checked before any is written, and each file is written once
  const byFile = new Map<string, string[]>()
  for (const key of objects) {
    const file = annotation(o.state.objects[key], A.source)?.replace(/:\d+$/, '')
    if (!file) continue
    if (file.startsWith('/') || file.split('/').includes('..')) throw new UserError(`${key}: refusing to write outside the repo (${file})`)
    byFile.set(file, [...(byFile.get(file) ?? []), key])
  }
  for (const file of byFile.keys()) {
    if ((await git.raw(['status', '--porcelain', '--', file])).trim()) throw new UserError(`${file} has uncommitted changes; commit or stash them first`)
  }
  const files: string[] = []
  for (const [file, keys] of byFile) {
    const path = join(repo, file)
    const docs = yaml.loadAll(await readFile(path, 'utf8')) as KubeObject[]
    // the file as it was when that revision was made, when git still has it
    const oldText = oldCommit ? await git.raw(['show', `${oldCommit}:${file}`]).catch(() => '') : ''
    const oldDocs = oldText ? (yaml.loadAll(oldText) as KubeObject[]) : []
    for (const key of keys) {
      const obj = o.state.objects[key]
      const i = docs.findIndex((d) => same(d, obj))
      if (i < 0) throw new UserError(`${key} is not in ${file} any more`)
      const old = oldDocs.find((d) => same(d, obj))
      const doc = docs[i] as KubeObject & Record<string, unknown>
      if (key === o.key) {
        const spec = {...((doc.spec as object) ?? {})} as Record<string, unknown>
        spec.template = (old as {spec?: {template?: unknown}} | undefined)?.spec?.template ?? clean((obj as {spec?: {template?: unknown}}).spec?.template)
        doc.spec = spec
      } else {
        for (const f of ['data', 'binaryData', 'stringData']) {
          const v = old ? (old as Record<string, unknown>)[f] : (obj as Record<string, unknown>)[f]
          if (v === undefined || v === null) delete doc[f]
          else doc[f] = v
        }
      }
    }
    await writeFile(path, docs.map((d) => yaml.dump(d, {noRefs: true})).join('---\n'))
    files.push(file)
  }
  const subject = `Roll back ${kindWord[w.kind] ?? w.kind.toLowerCase()}/${w.metadata.name} to revision ${o.revision}`
  const hasIdentity = (await git.raw(['config', 'user.email']).catch(() => '')).trim() !== ''
  const identity = hasIdentity ? [] : ['-c', 'user.name=tsctl', '-c', 'user.email=tsctl@localhost']
  await git.raw(['add', '--', ...files])
  await git.raw([...identity, 'commit', '-q', '-m', subject, '--', ...files])
  const sha = (await git.raw(['rev-parse', 'HEAD'])).trim()
  return {sha, subject, files}
}

function same(d: KubeObject | null, o: KubeObject): boolean {
  return !!d && d.kind === o.kind && d.metadata?.name === o.metadata.name && (d.metadata?.namespace ?? 'default') === (o.metadata.namespace ?? 'default')
}

/** A template from the state without what tsctl added. */
function clean(t: unknown): unknown {
  const c = JSON.parse(JSON.stringify(t ?? {})) as {metadata?: {annotations?: Record<string, string>; labels?: Record<string, string>}}
  for (const k of Object.keys(c.metadata?.annotations ?? {})) if (k.startsWith('tsctl.io/')) delete c.metadata!.annotations![k]
  delete c.metadata?.labels?.['pod-template-hash']
  return c
}
