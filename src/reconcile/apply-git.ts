/**
 * Git → state: every object of the commit is stored as last applied
 * (Kubernetes' "kubectl apply" without the three-way merge: git is the
 * only writer of these objects). An object whose content changed gets a new
 * generation and the commit that changed it. Objects gone from git are
 * pruned with everything they own (`prune`, the default), or kept frozen and
 * annotated `tsctl.io/orphaned` with `prune: false`.
 */
import type {KubeObject} from '../manifests/object.js'
import {keyOf} from '../manifests/object.js'
import {pinPod} from './image-pins.js'
import {A} from '../manifests/annotations.js'
import {type Ctx} from './context.js'
import {contentHash, stableUid} from './hash.js'
import {podSpecHash} from './spec-hash.js'
import type {PodObject} from './status.js'
import {ann, clone, nodeNameOf, setAnn} from './util.js'

/** Annotations and status a controller keeps on a git object across applies. */
const kept = (k: string) => k.startsWith('deployment.kubernetes.io/') || k === A.restartedAt || k === A.paused

function specOf(o: KubeObject): unknown {
  const {metadata: _m, status: _s, ...rest} = o
  return rest
}

export function applyGit(ctx: Ctx): void {
  const seen = new Set<string>()
  const gitHash = new Map(ctx.desired.objects.map((d) => [keyOf(d.object), contentHash(d.object)]))
  /** a ConfigMap/Secret restored by `rollout undo` stays as restored while its workload stays pinned */
  const pinHolds = (o: KubeObject) => {
    const pin = ann(o, A.pinnedRevision)
    if (!pin?.includes('@')) return true
    const w = ctx.get(pin.slice(0, pin.lastIndexOf('@')))
    return !!w && !!ann(w, A.pinnedRevision) && ann(w, A.appliedHash) === gitHash.get(keyOf(w))
  }
  // ConfigMaps and Secrets first: a bare Pod's spec hash reads their content
  const rank = (k: string) => (k === 'ConfigMap' || k === 'Secret' ? 0 : 1)
  const objs = [...ctx.desired.objects].sort(
    (a, b) => rank(a.object.kind) - rank(b.object.kind) || (keyOf(a.object) < keyOf(b.object) ? -1 : 1),
  )
  for (const d of objs) {
    const key = keyOf(d.object)
    seen.add(key)
    const prev = ctx.get(key)
    const hash = gitHash.get(key)!
    if (prev && ann(prev, A.managedBy) === 'git' && ann(prev, A.appliedHash) === hash && !ann(prev, A.orphaned) && !prev.metadata.deletionTimestamp && pinHolds(prev)) {
      if (ann(prev, A.source) !== `${d.source.file}:${d.source.line}`) {
        const p = clone(prev)
        setAnn(p, A.source, `${d.source.file}:${d.source.line}`)
        ctx.put(p)
      }
      continue
    }
    const o: KubeObject = clone(d.object)
    const ns = o.metadata.namespace
    if (ns === undefined && !['Node', 'Namespace', 'PersistentVolume'].includes(o.kind)) o.metadata.namespace = 'default'
    // hashed once: only metadata changes between here and the annotation below
    const specHash = contentHash(specOf(o))
    const specChanged = !prev || specHash !== ann(prev, A.specContent)
    o.metadata.uid = prev?.metadata.uid ?? stableUid('object', key)
    o.metadata.creationTimestamp = prev?.metadata.creationTimestamp ?? ctx.nowIso
    o.metadata.generation = (prev?.metadata.generation ?? 0) + (specChanged ? 1 : 0)
    for (const [k, v] of Object.entries(prev?.metadata.annotations ?? {})) if (kept(k)) setAnn(o, k, v)
    setAnn(o, A.managedBy, 'git')
    setAnn(o, A.appliedHash, hash)
    setAnn(o, A.specContent, specHash)
    setAnn(o, A.source, `${d.source.file}:${d.source.line}`)
    setAnn(o, A.commit, ctx.desired.commit.sha)
    setAnn(o, A.commitSubject, ctx.desired.commit.subject)
    if (prev?.status !== undefined) o.status = prev.status
    if (o.kind === 'Pod') applyPod(ctx, o as PodObject, prev as PodObject | undefined)
    ctx.put(o)
    ctx.event('Normal', prev ? 'Configured' : 'Created', key, `${prev ? 'configured' : 'created'} from ${d.source.file} at ${ctx.desired.commit.sha.slice(0, 8)}`)
  }
  for (const key of Object.keys(ctx.state.objects).sort()) {
    const o = ctx.get(key)
    if (!o || seen.has(key) || ann(o, A.managedBy) !== 'git') continue
    if (!ctx.prune) {
      if (!ann(o, A.orphaned)) {
        const p = clone(o)
        setAnn(p, A.orphaned, 'true')
        ctx.put(p)
        ctx.event('Warning', 'Orphaned', key, 'removed from git; kept because prune is off')
      }
      continue
    }
    if (o.kind === 'Node') {
      // Drained before it is forgotten (lifecycle.ts drainRemovedNodes): its pods still run there.
      if (!o.metadata.deletionTimestamp) {
        const n = clone(o)
        n.metadata.deletionTimestamp = ctx.nowIso
        setAnn(n, A.deleteReason, 'removed from git')
        ctx.put(n)
        ctx.event('Normal', 'Draining', key, `removed from git at ${ctx.desired.commit.sha.slice(0, 8)}: its pods are stopped, then the node is forgotten`)
      }
      continue
    }
    ctx.event('Normal', 'Pruned', key, `removed from git at ${ctx.desired.commit.sha.slice(0, 8)}`)
    if (o.kind === 'PersistentVolumeClaim') {
      const node = ann(o, A.selectedNode)
      if (node)
        ctx.extraActions.push({type: 'deleteClaim', node, target: key, claim: o.metadata.name, reason: `prune ${key} (removed from git)`})
    }
    ctx.deleteObject(o, 'removed from git')
  }
}

/**
 * A bare Pod from git: the state object is the pod itself. A new spec keeps
 * the node binding (ReplacePod on that node) unless git names another node;
 * its UID changes with its spec hash, as a deleted and re-created pod's would.
 */
function applyPod(ctx: Ctx, o: PodObject, prev: PodObject | undefined): void {
  o.spec ??= {} as PodObject['spec']
  if (!o.spec.nodeName && prev && nodeNameOf(prev) && !prev.metadata.deletionTimestamp) o.spec.nodeName = prev.spec.nodeName
  const hash = podSpecHash(o, ctx.state.objects)
  setAnn(o, A.specHash, hash)
  o.metadata.uid = stableUid('pod', keyOf(o), hash)
  // the same incarnation keeps what it was pinned to; a new one is pinned afresh
  if (prev && prev.metadata.uid === o.metadata.uid && ann(prev, A.imageDigests)) setAnn(o, A.imageDigests, ann(prev, A.imageDigests))
  else setAnn(o, A.imageDigests, undefined)
  pinPod(ctx, o, undefined)
  if (prev?.metadata.deletionTimestamp) o.status = {phase: 'Pending'}
  o.status ??= {phase: 'Pending'}
}
