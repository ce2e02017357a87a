import {posix} from 'node:path'
import {UserError, type Diagnostic} from '../errors.js'

/**
 * A parsed container image reference: either a registry reference,
 * normalised as Docker does (`busybox:1.36` → `docker.io/library/busybox:1.36`),
 * or an OCI image layout directory inside the manifests repo (`oci:PATH`).
 */
export type ImageRef = RegistryRef | OciRef

/** `[REGISTRY/]REPOSITORY[:TAG][@DIGEST]`, Docker's grammar (distribution/reference). */
export interface RegistryRef {
  kind: 'registry'
  /** what the user wrote */
  original: string
  /** host[:port]; `docker.io` when none was given */
  registry: string
  /** path within the registry; `library/` is added to single-component Docker Hub names */
  repository: string
  /** `latest` when neither tag nor digest was given; absent when only a digest was */
  tag?: string
  /** `sha256:<64 hex>`; pins the image (a tag given with it is informational, as in Docker) */
  digest?: string
  /** the fully-qualified form: `docker.io/library/busybox:1.36`, `r:5000/a/b@sha256:…` */
  canonical: string
}

/**
 * `oci:PATH[:TAG]` or `oci:PATH@sha256:…` — an OCI image layout directory.
 * PATH is relative to the root of the manifests repo's working tree on disk:
 * layouts are build artifacts (often git-ignored, built by CI or
 * `scripts/build-example-image.mjs`), not read from git objects, because
 * their blobs are large binaries and each blob is verified by digest anyway.
 */
export interface OciRef {
  kind: 'oci'
  original: string
  /** normalised, relative, never absolute, never climbing out with `..` */
  path: string
  /** matched against `org.opencontainers.image.ref.name` in index.json */
  tag?: string
  digest?: string
  /** `oci:PATH[:TAG][@DIGEST]` in normalised form */
  canonical: string
}

/** Where a reference came from, copied into the diagnostics of any error. */
export type RefContext = Omit<Diagnostic, 'severity' | 'message' | 'hint'>

const DEFAULT_REGISTRY = 'docker.io'
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/
const OTHER_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/

/**
 * Parses and normalises an image reference. Pure. Throws UserError (exit 2)
 * naming what is wrong, with CTX (file/line/field) copied into the diagnostic.
 */
export function parseImageRef(input: string, ctx: RefContext = {}): ImageRef {
  if (input.startsWith('oci:')) return parseOci(input, ctx)
  return parseRegistry(input, ctx)
}

function fail(input: string, message: string, ctx: RefContext, hint?: string): never {
  const text = `invalid image reference ${JSON.stringify(input)}: ${message}`
  throw new UserError(text, undefined, [{severity: 'error', ...ctx, message: text, hint}], hint)
}

function splitDigest(input: string, rest: string, ctx: RefContext): [string, string | undefined] {
  const at = rest.lastIndexOf('@')
  if (at < 0) return [rest, undefined]
  const digest = rest.slice(at + 1)
  if (!DIGEST.test(digest)) {
    if (OTHER_DIGEST.test(digest)) fail(input, `unsupported digest algorithm in "${digest}"`, ctx, 'use a sha256 digest')
    fail(input, `malformed digest "${digest}"`, ctx, 'a digest is sha256: followed by 64 lowercase hex digits')
  }
  return [rest.slice(0, at), digest]
}

/** A tag follows the last ':' after the last '/' (an earlier ':' is a registry port). */
function splitTag(s: string): [string, string | undefined] {
  const colon = s.lastIndexOf(':')
  return colon > s.lastIndexOf('/') ? [s.slice(0, colon), s.slice(colon + 1)] : [s, undefined]
}

function parseRegistry(input: string, ctx: RefContext): RegistryRef {
  if (input === '') fail(input, 'empty', ctx)
  if (/\s/.test(input)) fail(input, 'contains whitespace', ctx)
  const [nameTag, digest] = splitDigest(input, input, ctx)
  const [name, givenTag] = splitTag(nameTag)
  let tag = givenTag
  if (tag !== undefined && !TAG.test(tag)) fail(input, `invalid tag "${tag}"`, ctx, 'a tag is up to 128 letters, digits, "_", "." or "-", not starting with "." or "-"')
  let registry = DEFAULT_REGISTRY
  let repository = name
  const slash = name.indexOf('/')
  if (slash >= 0) {
    const first = name.slice(0, slash)
    // Docker's rule: the first component is a registry when it has a '.' or ':', is localhost, or has uppercase.
    if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first
      repository = name.slice(slash + 1)
    }
  }
  if (registry !== DEFAULT_REGISTRY || slash >= 0) checkRegistry(input, registry, ctx)
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DEFAULT_REGISTRY
  if (repository === '') fail(input, 'missing repository name', ctx)
  if (repository !== repository.toLowerCase()) fail(input, 'repository name must be lowercase', ctx, `try ${JSON.stringify(input.replace(repository, repository.toLowerCase()))}`)
  for (const c of repository.split('/')) {
    if (!COMPONENT.test(c)) fail(input, `invalid repository name component "${c}"`, ctx, 'components are lowercase letters and digits separated by ".", "_", "__" or "-"')
  }
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) repository = `library/${repository}`
  if (`${registry}/${repository}`.length > 255) fail(input, 'repository name longer than 255 characters', ctx)
  if (tag === undefined && digest === undefined) tag = 'latest'
  const canonical = `${registry}/${repository}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`
  return {kind: 'registry', original: input, registry, repository, ...(tag !== undefined ? {tag} : {}), ...(digest !== undefined ? {digest} : {}), canonical}
}

function checkRegistry(input: string, registry: string, ctx: RefContext): void {
  let host = registry
  const m = /^(.*):(\d+)$/.exec(registry)
  if (m) {
    host = m[1]
    if (Number(m[2]) > 65535) fail(input, `invalid registry port in "${registry}"`, ctx)
  } else if (registry.includes(':') && !registry.startsWith('[')) {
    fail(input, `invalid registry "${registry}"`, ctx)
  }
  if (/^\[[0-9a-fA-F:.]+\]$/.test(host)) return
  if (!host.split('.').every((c) => DOMAIN_COMPONENT.test(c))) fail(input, `invalid registry host "${registry}"`, ctx)
}

function parseOci(input: string, ctx: RefContext): OciRef {
  const body = input.slice('oci:'.length)
  const [pathTag, digest] = splitDigest(input, body, ctx)
  const [path, tag] = splitTag(pathTag)
  // ref.name allows more than Docker tags, but not nothing
  if (tag !== undefined && (tag === '' || /[\0\n]/.test(tag))) fail(input, 'empty or malformed tag after ":"', ctx)
  if (path === '') fail(input, 'missing layout directory', ctx, 'write oci:PATH with PATH relative to the repository root, e.g. oci:images/busybox')
  if (path.includes('\0')) fail(input, 'path contains a NUL byte', ctx)
  if (path.startsWith('/')) fail(input, 'the layout path must be relative to the repository root', ctx, 'images are resolved inside the manifests repository so a commit names the same image everywhere; copy or build the layout under the repo')
  const norm = posix.normalize(path).replace(/\/+$/, '')
  if (norm === '..' || norm.startsWith('../')) fail(input, 'the layout path leaves the repository', ctx, 'keep OCI layouts inside the manifests repository')
  const canonical = `oci:${norm}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`
  return {kind: 'oci', original: input, path: norm, ...(tag !== undefined ? {tag} : {}), ...(digest !== undefined ? {digest} : {}), canonical}
}
