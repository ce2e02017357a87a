import type {KubeObject} from '../../manifests/object.js'
import {isSopsSecret, plainSecret, SecretDecryptError, type SecretContent} from '../../secrets/secret-values.js'
import type {Plan} from '../../reconcile/plan.js'
import type {RegistryConfig} from '../../manifests/config-registries.js'
import {A} from '../../manifests/annotations.js'
import {UserError} from '../../errors.js'
import {fromResolvedImage, type ImageConfig} from '../../host/bundle/pod-bundle.js'
import {hostPlatform, type ResolvedImage, type ResolvedLayer} from '../../images/oci-layout.js'
import {resolveImage} from '../../images/resolve.js'
import {parseImageRef, type RegistryRef} from '../../images/reference.js'
import {ImageCache} from '../../images/cache.js'
import {pullImage, resolveTag} from '../../images/pull.js'
import {RegistryClient, type CredentialSource} from '../../images/registry/client.js'
import {chainCredentials, dockerConfigCredentials, secretCredentials, type PullSecret} from '../../images/registry/credentials.js'
import {pinsOf} from '../../reconcile/image-pins.js'
import type {State} from '../../state/model.js'

export type Platform = {os: string; architecture: string; variant?: string}

/** One image of a pod, with the digest it is pinned to (registry images; see src/reconcile/image-pins.ts). */
export interface PodImage {
  image: string
  digest?: string
}

/** Every `image:` of a pod's containers and init containers, once each, with its pin. */
export function podImages(pod: KubeObject): PodImage[] {
  const spec = (pod.spec ?? {}) as {containers?: {image?: string}[]; initContainers?: {image?: string}[]}
  const pins = pinsOf(pod)
  const out: PodImage[] = []
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (!c.image || out.some((x) => x.image === c.image)) continue
    out.push(pins[c.image] ? {image: c.image, digest: pins[c.image]} : {image: c.image})
  }
  return out
}

/** The `ns/name` keys of the pull Secrets a pod names (spec.imagePullSecrets), in order. */
export function pullSecretsOf(pod: KubeObject): string[] {
  const ns = pod.metadata.namespace ?? 'default'
  const list = ((pod.spec ?? {}) as {imagePullSecrets?: {name?: string}[]}).imagePullSecrets ?? []
  return list.filter((s) => s.name).map((s) => `${ns}/${s.name}`)
}

/** Where in the repo a pod comes from (its workload's `tsctl.io/source`), for messages. */
function sourceOf(pod: KubeObject, objects: State['objects']): string | undefined {
  let cur: KubeObject | undefined = pod
  for (let i = 0; i < 6 && cur; i++) {
    const src = cur.metadata.annotations?.[A.source]
    if (src) return src
    const owner: string | undefined = cur.metadata.ownerReferences?.find((r) => r.controller)?.uid
    if (!owner) return undefined
    cur = Object.values(objects).find((o) => o.metadata.uid === owner)
  }
  return undefined
}

/**
 * An image that cannot be had, said once: what needs it (a pod, a
 * container) and where it is written, then the cause as a diagnostic at that
 * file and line. Keeps the cause's exit code (2; 4 for an unreachable registry).
 */
export class ImageError extends UserError {
  constructor(what: string, source: string | undefined, image: string, cause: UserError) {
    const m = source ? /^(.*):(\d+)$/.exec(source) : null
    const file = m ? m[1] : source
    super(
      `${what}${source ? ` (${source})` : ''}: image ${JSON.stringify(image)} cannot be used; nothing was applied`,
      cause.exitCode,
      [{severity: 'error', ...(file ? {file} : {}), ...(m ? {line: Number(m[2])} : {}), field: 'image', message: cause.message}],
      cause.hint,
    )
    this.name = 'ImageError'
  }
}

export interface ImageResolverOptions {
  /** `registries:` of tsctl.yaml */
  registries?: Record<string, RegistryConfig>
  /** where pulled blobs are kept (default: the XDG cache dir) */
  cache?: ImageCache
  /** the state's objects: the pull Secrets pods name, and workload sources for messages */
  objects?: () => State['objects']
  /** the platform of a node's host (default: this machine's) */
  platformOf?: (node: string) => Platform
  /** the CLI user's credentials (default: Docker's config.json) */
  dockerConfig?: CredentialSource
  /** bytes of a layer downloading from a registry into the cache */
  onPull?: (e: {image: string; layer: string; done: number; total: number}) => void
  retries?: number
  backoffMs?: number
}

/**
 * Resolves images once per run, shared by all hosts: `oci:PATH` against the
 * manifests repo on disk; registry images by their pin, from the image
 * cache or the registry (manifest and config at once, each layer the first
 * time a host lacks it); every blob verified. A failed resolution is not
 * cached, so `watch` can retry after the user fixes it.
 */
/**
 * A pull Secret with its values in clear: a SOPS one decrypted in memory
 * (src/secrets); undefined when it cannot be (no key, as in a `diff` without
 * one): the registry then sees the other credentials, and its refusal names them.
 */
function plainPullSecret(o: KubeObject): KubeObject | undefined {
  const s = o as KubeObject & SecretContent
  if (!isSopsSecret(s)) return o
  try {
    const {sops: _sops, ...rest} = s
    return {...rest, ...plainSecret(o.metadata.name, s)} as KubeObject
  } catch (e) {
    if (e instanceof SecretDecryptError) return undefined
    throw e
  }
}

export class ImageResolver {
  readonly #cache = new Map<string, Promise<ResolvedImage>>()
  readonly #done = new Map<string, ResolvedImage>()
  readonly #clients = new Map<string, RegistryClient>()
  readonly #tags = new Map<string, Promise<string>>()
  /** ns/name → the commit's own Secrets (see useCommitSecrets) */
  readonly #commitSecrets = new Map<string, KubeObject>()
  readonly opts: ImageResolverOptions
  #blobs?: ImageCache
  #docker?: CredentialSource

  constructor(readonly repoRoot: string, opts: ImageResolverOptions = {}) {
    this.opts = opts
  }

  platformOf(node: string): Platform {
    return this.opts.platformOf?.(node) ?? hostPlatform()
  }

  private blobs(): ImageCache {
    return (this.#blobs ??= this.opts.cache ?? new ImageCache())
  }

  /**
   * The Secrets of the commit being applied, used for pull Secrets before the
   * state's: until a pass is written the state holds the previous commit's
   * Secrets (none on a first sync), yet the pods this commit makes are
   * applied together with its Secrets. Call before the first lookup: a
   * client keeps the credentials it was made with.
   */
  useCommitSecrets(objects: KubeObject[]): void {
    for (const o of objects) if (o.kind === 'Secret') this.#commitSecrets.set(`${o.metadata.namespace ?? 'default'}/${o.metadata.name}`, o)
  }

  /** The client for REGISTRY with the pull Secrets SECRETS (ns/name) tried before the CLI user's config. */
  client(registry: string, secrets: string[] = []): RegistryClient {
    const key = `${registry}|${secrets.join(',')}`
    let c = this.#clients.get(key)
    if (!c) {
      const docker = (this.#docker ??= this.opts.dockerConfig ?? dockerConfigCredentials())
      const objects = this.opts.objects?.() ?? {}
      const found = secrets
        .map((k) => this.#commitSecrets.get(k) ?? objects[`Secret/${k}`])
        .filter((o): o is KubeObject => o !== undefined)
        .map(plainPullSecret)
        .filter((o): o is KubeObject => o !== undefined) as unknown as PullSecret[]
      const credentials = found.length ? chainCredentials(secretCredentials(found), docker) : docker
      const r = this.opts.registries?.[registry]
      c = new RegistryClient({
        registry,
        settings: {...(r?.insecure ? {insecure: true} : {}), ...(r?.caPem ? {ca: r.caPem} : {}), ...(r?.mirrors ? {mirrors: r.mirrors} : {})},
        credentials,
        ...(this.opts.retries !== undefined ? {retries: this.opts.retries} : {}),
        ...(this.opts.backoffMs !== undefined ? {backoffMs: this.opts.backoffMs} : {}),
      })
      this.#clients.set(key, c)
    }
    return c
  }

  /** What a registry image's tag names now; asked once per run (every host of a rollout gets the same bytes). */
  tagDigest(image: string, secrets: string[] = []): Promise<string> {
    let p = this.#tags.get(image)
    if (!p) {
      const ref = parseImageRef(image, {field: 'image'})
      if (ref.kind !== 'registry') throw new Error(`${image} is not a registry image`)
      p = resolveTag(ref, this.client(ref.registry, secrets))
      p.catch(() => this.#tags.delete(image))
      this.#tags.set(image, p)
    }
    return p
  }

  /** IMAGE (pinned to DIGEST when a registry image) for PLATFORM. */
  resolve(image: string, o: {digest?: string; platform?: Platform; secrets?: string[]} = {}): Promise<ResolvedImage> {
    const platform: Platform = o.platform ?? hostPlatform()
    const key = `${image}|${o.digest ?? ''}|${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`
    let p = this.#cache.get(key)
    if (!p) {
      p = this.load(image, o.digest, platform, o.secrets ?? []).then((img) => {
        this.#done.set(key, img)
        return img
      })
      p.catch(() => this.#cache.delete(key))
      this.#cache.set(key, p)
    }
    return p
  }

  private async load(image: string, digest: string | undefined, platform: Platform, secrets: string[]): Promise<ResolvedImage> {
    const ref = parseImageRef(image, {field: 'image'})
    if (ref.kind === 'oci') return resolveImage(ref, {repoRoot: this.repoRoot, ctx: {field: 'image'}, platform})
    // A pod planned without a pin (a plan saved by `diff --offline`) runs what the tag names now.
    const pin = digest ?? ref.digest ?? (await this.tagDigest(image, secrets))
    const onPull = this.opts.onPull
    return pullImage(ref as RegistryRef, pin, {
      cache: this.blobs(),
      client: this.client(ref.registry, secrets),
      platform,
      ...(onPull ? {onLayerProgress: (layer: ResolvedLayer, done: number, total: number) => onPull({image, layer: layer.digest, done, total})} : {}),
    })
  }

  /** The images of POD for NODE's platform, resolved; errors name the pod, its source and the image. */
  async forPod(pod: KubeObject, node: string): Promise<ResolvedImage[]> {
    const out: ResolvedImage[] = []
    for (const {image, digest} of podImages(pod)) {
      try {
        out.push(await this.resolve(image, {...(digest ? {digest} : {}), platform: this.platformOf(node), secrets: pullSecretsOf(pod)}))
      } catch (e) {
        throw this.named(e, pod, image)
      }
    }
    return out
  }

  private named(e: unknown, pod: KubeObject, image: string): unknown {
    if (!(e instanceof UserError) || e instanceof ImageError) return e
    return new ImageError(`pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`, sourceOf(pod, this.opts.objects?.() ?? {}), image, e)
  }

  /**
   * Resolves every image the plan's creates and replaces need, before
   * anything is sent: a missing or corrupt image is a UserError (exit 2;
   * exit 4 when a registry cannot be reached) while nothing has been
   * applied yet. Layers are not downloaded here.
   */
  async prepare(plan: Plan): Promise<void> {
    for (const a of plan.actions) if (a.type === 'create' || a.type === 'replace') await this.forPod(a.pod, a.node)
  }

  /** The digests of every image resolved in this run (their host records are kept by GC). */
  resolvedDigests(): string[] {
    const out = new Set<string>()
    for (const img of this.#done.values()) {
      out.add(img.digest)
      if (img.repoDigest) out.add(img.repoDigest)
    }
    return [...out]
  }

  /** The bundle compiler's view of IMAGE of POD on NODE; resolved before (prepare or forPod). */
  config(pod: KubeObject, node: string, image: string): ImageConfig {
    const p = this.platformOf(node)
    const digest = podImages(pod).find((x) => x.image === image)?.digest ?? ''
    const img = this.#done.get(`${image}|${digest}|${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`)
    if (!img) throw new Error(`image ${image} was not resolved`)
    return fromResolvedImage(img)
  }
}
