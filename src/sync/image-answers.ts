/**
 * The I/O half of image pins (src/reconcile/image-pins.ts): which digest a
 * registry image may be pinned to in this run, decided by imagePullPolicy
 * as the kubelet decides whether to pull:
 *
 * - `Always` (Kubernetes' default for `:latest` and untagged images): the
 *   tag is looked up in the registry — once per run, so every host of a
 *   rollout gets the same bytes.
 * - `IfNotPresent` (the default for other tags): the digest the state
 *   already pinned that image to (the newest pin), looked up only when there
 *   is none.
 * - `Never`: the digest the state already knows; none is an error naming
 *   the container (the kubelet's ErrImageNeverPull).
 *
 * A lookup happens only when reconcile asks (`imageNeeds`): a new revision
 * or pod whose revision has no pin. Pods of an existing revision never look
 * a tag up again; a moved tag reaches running pods through a new revision:
 * a template change in git, or `tsctl rollout restart` (with `Always`).
 * When several containers use one image, the most eager policy wins.
 */
import {UserError} from '../errors.js'
import type {Desired} from '../manifests/desired.js'
import {defaultPullPolicy} from '../manifests/defaults.js'
import type {KubeObject} from '../manifests/object.js'
import {pinnable, pinsOf, type ImagePins} from '../reconcile/image-pins.js'
import type {State} from '../state/model.js'
import {ImageError, type ImageResolver} from './executor/images.js'

type Policy = 'Always' | 'IfNotPresent' | 'Never'
const EAGER: Record<Policy, number> = {Never: 0, IfNotPresent: 1, Always: 2}

interface Use {
  policy: Policy
  /** ns/name of the pull Secrets the pods using it name */
  secrets: string[]
  /** file:line of the first manifest using it */
  source: string
  container: string
}

interface PodSpecLike {
  containers?: {name?: string; image?: string; imagePullPolicy?: string}[]
  initContainers?: {name?: string; image?: string; imagePullPolicy?: string}[]
  imagePullSecrets?: {name?: string}[]
}

/** The pod spec of a workload or Pod manifest. */
function podSpecOf(o: KubeObject): PodSpecLike | undefined {
  const s = o.spec as {template?: {spec?: PodSpecLike}; jobTemplate?: {spec?: {template?: {spec?: PodSpecLike}}}} | undefined
  if (o.kind === 'Pod') return o.spec as PodSpecLike | undefined
  if (o.kind === 'CronJob') return s?.jobTemplate?.spec?.template?.spec
  return s?.template?.spec
}

export class ImageAnswers {
  readonly #uses = new Map<string, Use>()
  readonly #answers: ImagePins = {}

  constructor(private readonly resolver: ImageResolver, desired: Desired) {
    // the pull Secrets the pods name are the commit's, not the state's
    resolver.useCommitSecrets(desired.objects.map((d) => d.object))
    for (const d of desired.objects) {
      const spec = podSpecOf(d.object)
      if (!spec) continue
      const ns = d.object.metadata.namespace ?? 'default'
      const secrets = (spec.imagePullSecrets ?? []).filter((s) => s.name).map((s) => `${ns}/${s.name}`)
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        if (!c.image) continue
        const policy = (['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy ?? '') ? c.imagePullPolicy : defaultPullPolicy(c.image)) as Policy
        const u = this.#uses.get(c.image)
        if (!u) this.#uses.set(c.image, {policy, secrets, source: `${d.source.file}:${d.source.line}`, container: c.name ?? ''})
        else {
          if (EAGER[policy] > EAGER[u.policy]) u.policy = policy
          for (const s of secrets) if (!u.secrets.includes(s)) u.secrets.push(s)
        }
      }
    }
  }

  /** The newest pin of each image in STATE (by creation time, then key). */
  static knownPins(state: State): ImagePins {
    const best = new Map<string, {at: string; key: string; digest: string}>()
    for (const [key, o] of Object.entries(state.objects)) {
      const pins = pinsOf(o)
      const at = o.metadata.creationTimestamp ?? ''
      for (const [image, digest] of Object.entries(pins)) {
        const b = best.get(image)
        if (!b || at > b.at || (at === b.at && key > b.key)) best.set(image, {at, key, digest})
      }
    }
    return Object.fromEntries([...best].map(([image, b]) => [image, b.digest]))
  }

  /**
   * What reconcile may pin to in this run: every image looked up so far,
   * and, without any I/O, the state's pins of images whose policy is not
   * `Always` (images the commit no longer uses keep the state's pins too).
   */
  current(state: State): ImagePins {
    // Only images of this commit can be pinned by a new revision: a commit without
    // registry images (the quickstart's) skips the scan of every pod's pins each pass.
    if (![...this.#uses.keys()].some(pinnable)) return {...this.#answers}
    const out: ImagePins = {}
    for (const [image, digest] of Object.entries(ImageAnswers.knownPins(state))) {
      if ((this.#uses.get(image)?.policy ?? 'IfNotPresent') !== 'Always') out[image] = digest
    }
    return {...out, ...this.#answers}
  }

  /** Answers NEEDS (reconcile's imageNeeds) by the policy of each; lookups run in parallel. */
  async answer(needs: string[], state: State): Promise<void> {
    const known = this.current(state)
    await Promise.all(
      needs.map(async (image) => {
        if (this.#answers[image]) return
        const use = this.#uses.get(image)
        if (use?.policy !== 'Always' && known[image]) {
          this.#answers[image] = known[image]
          return
        }
        if (use?.policy === 'Never') {
          const hint = 'tsctl knows an image once a sync has pinned it; use imagePullPolicy: IfNotPresent (or Always), or name the digest (IMAGE@sha256:…)'
          throw new ImageError(`container ${JSON.stringify(use.container)}`, use.source, image, new UserError(`Container image ${JSON.stringify(image)} is not present with pull policy of Never`, undefined, [], hint))
        }
        try {
          this.#answers[image] = await this.resolver.tagDigest(image, use?.secrets ?? [])
        } catch (e) {
          if (!(e instanceof UserError) || !use) throw e
          throw new ImageError(`container ${JSON.stringify(use.container)}`, use.source, image, e)
        }
      }),
    )
  }
}
