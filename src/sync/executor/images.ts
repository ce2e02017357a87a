import type {KubeObject} from '../../manifests/object.js'
import type {Plan} from '../../reconcile/plan.js'
import {fromResolvedImage, type ImageConfig} from '../../host/bundle/pod-bundle.js'
import type {ResolvedImage} from '../../images/oci-layout.js'
import {resolveImage} from '../../images/resolve.js'

/** Every `image:` of a pod's containers and init containers. */
export function podImages(pod: KubeObject): string[] {
  const spec = (pod.spec ?? {}) as {containers?: {image?: string}[]; initContainers?: {image?: string}[]}
  const out: string[] = []
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) if (c.image && !out.includes(c.image)) out.push(c.image)
  return out
}

/**
 * Resolves image references once per run (`oci:PATH` against the manifests
 * repo on disk; every blob verified), shared by all hosts. A failed
 * resolution is not cached, so `watch` can retry after the user fixes it.
 */
export class ImageResolver {
  readonly #cache = new Map<string, Promise<ResolvedImage>>()
  readonly #done = new Map<string, ResolvedImage>()

  constructor(readonly repoRoot: string) {}

  resolve(ref: string): Promise<ResolvedImage> {
    let p = this.#cache.get(ref)
    if (!p) {
      p = resolveImage(ref, {repoRoot: this.repoRoot, ctx: {field: 'image'}}).then((img) => {
        this.#done.set(ref, img)
        return img
      })
      p.catch(() => this.#cache.delete(ref))
      this.#cache.set(ref, p)
    }
    return p
  }

  /**
   * Resolves every image the plan's creates and replaces need, before
   * anything is sent: a missing or corrupt image is a UserError (exit 2)
   * while nothing has been applied yet.
   */
  async prepare(plan: Plan): Promise<void> {
    const refs = new Set<string>()
    for (const a of plan.actions) if (a.type === 'create' || a.type === 'replace') for (const r of podImages(a.pod)) refs.add(r)
    for (const r of [...refs].sort()) await this.resolve(r)
  }

  /** The resolved image of REF; it must have been resolved before (prepare or resolve). */
  resolved(ref: string): ResolvedImage {
    const img = this.#done.get(ref)
    if (!img) throw new Error(`image ${ref} was not resolved`)
    return img
  }

  /** The bundle compiler's view of REF. */
  config(ref: string): ImageConfig {
    return fromResolvedImage(this.resolved(ref))
  }
}
