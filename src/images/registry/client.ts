// The OCI distribution client the CLI pulls with: one registry host, its
// mirrors, its auth, retries and resumable verified blob downloads. See
// README.md beside this file for the flow and the rules.
import {createHash, type Hash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {open, rm, stat} from 'node:fs/promises'
import {ExitCode, UserError, type ExitCodeValue} from '../../errors.js'
import {MediaType} from '../oci-layout.js'
import {BodyTooLargeError, drain, readBody, request, type HttpResponse} from './http.js'
import {basicAuthorization, fetchToken, parseWwwAuthenticate, safeRealm, TokenCache, TokenEndpointError, type Challenge} from './auth.js'

export interface RegistrySettings {
  /** plain HTTP */
  insecure?: boolean
  /** PEM text, trusted in addition to the system roots (as Docker's certs.d) */
  ca?: string
  /** host[:port] or http(s)://host[:port][/path] endpoints tried before the registry itself, as containerd's hosts.toml; pulls only */
  mirrors?: string[]
}

/** A pull credential and where it was found (`~/.docker/config.json auths["r:5000"]`), for messages. */
export interface Credential {
  username?: string
  password?: string
  identityToken?: string
  source: string
}

/** Looks up the credential for a registry host (`docker.io`, `localhost:5000`); see credentials.ts. */
export interface CredentialSource {
  lookup(registry: string): Promise<Credential | undefined>
}

export interface ManifestDescriptor {
  digest: string
  mediaType: string
  size: number
}

export type Progress = (bytesDone: number, bytesTotal: number) => void

/** What went wrong, for callers that branch on it; the message is for people. */
export type RegistryErrorKind =
  | 'not-found' | 'denied' | 'unauthorized' | 'digest-mismatch' | 'oversized' | 'media-type'
  | 'invalid' | 'protocol' | 'tls' | 'unreachable'

/**
 * A registry operation failed for good. Exit 2 (invalid) for not found,
 * denied, digest mismatch, oversized, bad media type; 4 (hosts) when the
 * registry could not be reached after the retries. The message names the
 * registry, repository and reference or blob; for auth failures it names
 * where the credentials came from, never their value.
 */
export class RegistryError extends UserError {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    readonly registry: string,
    readonly repository?: string,
    readonly reference?: string,
    readonly blob?: string,
    hint?: string,
    exitCode: ExitCodeValue = kind === 'unreachable' ? ExitCode.hosts : ExitCode.invalid,
  ) {
    super(message, exitCode, [], hint)
    this.name = 'RegistryError'
  }
}

/** Manifest types asked for, in order of preference, and the only ones accepted. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerList, MediaType.dockerManifest]
const ACCEPT = MANIFEST_MEDIA_TYPES.join(', ')
/** containerd's limit for a manifest or index. */
export const MAX_MANIFEST_BYTES = 4 << 20
const MAX_ERROR_BODY = 64 << 10
const BACKOFF_CAP_MS = 8_000
const RETRY_AFTER_CAP_MS = 30_000
/** An attempt that made progress resets the failure count; this bounds the attempts anyway. */
const MAX_ATTEMPTS = 100

const DIGEST = /^sha256:[a-f0-9]{64}$/
const TAG = /^[\w][\w.-]{0,127}$/
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'HPE_INVALID_CONSTANT', 'ERR_HTTP_REQUEST_TIMEOUT'])
const TLS_CODES = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|CERT_SIGNATURE_FAILURE|EPROTO|ERR_SSL_.*)$/

/** One place requests go: a mirror or the registry itself. */
export interface Endpoint {
  /** `http://127.0.0.1:5000/v2`: paths are appended */
  base: string
  /** `?ns=docker.io` for mirrors (containerd's convention, so one mirror can serve several registries) */
  query: string
  /** host[:port] whose credentials are used */
  host: string
  mirror: boolean
}

/**
 * The endpoints a pull tries, in order: each mirror, then the registry.
 * The registry is `https://HOST`, `http://` when `insecure`, or when HOST
 * is loopback (localhost, 127.0.0.0/8, [::1]) and no `ca` is configured —
 * Docker's default lets loopback registries speak plain HTTP. `docker.io`'s
 * API is registry-1.docker.io. A mirror path gets `/v2` appended unless it
 * ends with it. Pure.
 */
export function registryEndpoints(registry: string, settings: RegistrySettings = {}): Endpoint[] {
  const out: Endpoint[] = []
  for (const m of settings.mirrors ?? []) {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(m) ? m : `${isLoopback(m.split('/')[0]) ? 'http' : 'https'}://${m}`
    const u = new URL(withScheme)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RegistryError('invalid', `mirror ${JSON.stringify(m)} of ${registry}: only http:// and https:// mirrors are supported`, registry)
    const path = u.pathname.replace(/\/+$/, '')
    out.push({base: `${u.protocol}//${u.host}${path.endsWith('/v2') ? path : `${path}/v2`}`, query: `?ns=${encodeURIComponent(registry)}`, host: u.host, mirror: true})
  }
  const apiHost = registry === 'docker.io' ? 'registry-1.docker.io' : registry
  const plain = settings.insecure === true || (isLoopback(registry) && !settings.ca)
  out.push({base: `${plain ? 'http' : 'https'}://${apiHost}/v2`, query: '', host: registry, mirror: false})
  return out
}

function isLoopback(hostPort: string): boolean {
  const host = hostPort.startsWith('[') ? hostPort.slice(0, hostPort.indexOf(']') + 1) : hostPort.replace(/:\d+$/, '')
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** A failure worth retrying (network, 429, 5xx); becomes `unreachable` when the retries run out. */
class Transient extends Error {
  constructor(readonly reason: string, readonly retryAfterMs?: number) {
    super(reason)
  }
}

interface Ctx {
  repository: string
  reference?: string
  blob?: string
}

interface EndpointState extends Endpoint {
  label: string
  /** the last challenge seen, so later requests send auth at once */
  challenge?: Challenge
  /** why a mirror was given up for this client's lifetime */
  down?: string
}

/** Tokens outlive one client: the CLI makes a client per image reference. */
const sharedTokens = new TokenCache()

/**
 * Pulls from one registry host. Not safe for two blob() calls on the same
 * destPath at once; otherwise calls may run concurrently.
 */
export class RegistryClient {
  readonly registry: string
  private readonly settings: RegistrySettings
  private readonly credentials?: CredentialSource
  private readonly retries: number
  private readonly backoffMs: number
  private readonly timeoutMs: number
  private readonly endpoints: EndpointState[]
  private readonly tokens: TokenCache
  private readonly creds = new Map<string, Promise<Credential | undefined>>()
  /** every credential value and token this client handled, scrubbed from every message */
  private readonly secrets = new Set<string>()

  constructor(opts: {registry: string; settings?: RegistrySettings; credentials?: CredentialSource; retries?: number; backoffMs?: number; timeoutMs?: number; tokens?: TokenCache}) {
    this.registry = opts.registry
    if (!HOST.test(opts.registry)) throw new RegistryError('invalid', `invalid registry host ${JSON.stringify(opts.registry)}`, opts.registry, undefined, undefined, undefined, 'a registry is host[:port], e.g. docker.io or localhost:5000')
    this.settings = opts.settings ?? {}
    this.credentials = opts.credentials
    this.retries = Math.max(0, opts.retries ?? 4)
    this.backoffMs = Math.max(0, opts.backoffMs ?? 250)
    this.timeoutMs = opts.timeoutMs ?? 30_000
    this.tokens = opts.tokens ?? sharedTokens
    this.endpoints = registryEndpoints(opts.registry, this.settings).map((e) => ({...e, label: e.mirror ? `mirror ${e.base.replace(/\/v2$/, '')}` : opts.registry}))
  }

  /**
   * Resolves REFERENCE (tag or digest) to the manifest's descriptor with a
   * HEAD (its Docker-Content-Digest, Content-Type, Content-Length); falls
   * back to GET and hashing when the HEAD lacks them. Read-only.
   */
  async resolve(repository: string, reference: string): Promise<ManifestDescriptor> {
    const ctx: Ctx = {repository, reference}
    this.check(ctx)
    return this.onEndpoints(ctx, async (ep) => {
      const head = await this.retrying(ep, ctx, async () => {
        const res = await this.send(ep, ctx, 'HEAD', `/${repository}/manifests/${reference}`, {accept: ACCEPT})
        drain(res)
        if (res.status === 200 || res.status === 405 || res.status === 501) return res
        return this.statusError(ep, ctx, res)
      })
      const digest = header(head, 'docker-content-digest')
      const type = mediaTypeOf(header(head, 'content-type'))
      const size = Number(header(head, 'content-length'))
      if (head.status === 200 && digest !== undefined && DIGEST.test(digest) && type !== undefined && MANIFEST_MEDIA_TYPES.includes(type) && Number.isSafeInteger(size) && size > 0) {
        if (DIGEST.test(reference) && digest !== reference) throw this.fail('digest-mismatch', ep, ctx, `the registry answers with digest ${digest}`)
        if (size > MAX_MANIFEST_BYTES) throw this.oversized(ep, ctx, size)
        return {digest, mediaType: type, size}
      }
      if (head.status === 200 && type !== undefined && isSchema1(type)) throw this.badMediaType(ep, ctx, type)
      const got = await this.fetchManifest(ep, ctx)
      const hashed = sha256(got.bytes)
      if (DIGEST.test(reference) && hashed !== reference) throw this.fail('digest-mismatch', ep, ctx, `the manifest hashes to ${hashed}`, 'the registry or a proxy changed the content; try again or pull from another mirror')
      return {digest: hashed, mediaType: got.mediaType, size: got.bytes.length}
    })
  }

  /**
   * Fetches the manifest or index DIGEST; its sha256 is verified. Refused
   * over 4 MiB (as containerd) before the body is read when the registry
   * says its length, and as soon as it passes 4 MiB otherwise.
   */
  async manifest(repository: string, digest: string): Promise<{bytes: Buffer; mediaType: string}> {
    const ctx: Ctx = {repository, reference: digest}
    this.check(ctx)
    return this.onEndpoints(ctx, async (ep) => {
      const got = await this.fetchManifest(ep, ctx)
      const hashed = sha256(got.bytes)
      if (hashed !== digest) throw this.fail('digest-mismatch', ep, ctx, `the manifest served hashes to ${hashed}`, 'the registry or a proxy changed the content; try again or pull from another mirror')
      return got
    })
  }

  /**
   * Streams blob DESC into DESTPATH (created, or appended to when it holds
   * the first N bytes from a cut download or an earlier run: resumed with
   * `Range: bytes=N-`). Retries 429, 5xx and dropped connections. At the
   * end the size and sha256 are verified; on a mismatch DESTPATH is deleted.
   * The caller renames DESTPATH into its cache.
   */
  async blob(repository: string, desc: {digest: string; size: number}, destPath: string, onProgress?: Progress): Promise<void> {
    const ctx: Ctx = {repository, blob: desc.digest}
    this.check(ctx)
    if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw new RegistryError('invalid', `${this.subject(ctx)}: invalid size ${JSON.stringify(desc.size)}`, this.registry, repository, undefined, desc.digest)
    await this.onEndpoints(ctx, (ep) => this.blobFrom(ep, ctx, desc, destPath, onProgress))
  }

  private async blobFrom(ep: EndpointState, ctx: Ctx, desc: {digest: string; size: number}, dest: string, onProgress?: Progress): Promise<void> {
    let {hash, have} = await this.partial(dest, desc)
    if (have === desc.size && hash.copy().digest('hex') === desc.digest.slice(7)) {
      onProgress?.(have, desc.size)
      return
    }
    if (have === desc.size) ({hash, have} = await restart(dest)) // a complete but wrong file from an earlier run
    let seen = have
    await this.retrying(ep, ctx, async () => {
      const onDisk = (await statOrUndefined(dest))?.size ?? 0
      if (onDisk !== have) ({hash, have} = await this.partial(dest, desc)) // a write failed half-way: trust the file
      const headers: Record<string, string> = {accept: '*/*'}
      if (have > 0) headers.range = `bytes=${have}-`
      const res = await this.send(ep, ctx, 'GET', `/${ctx.repository}/blobs/${desc.digest}`, headers)
      if (res.status === 416 && have > 0) {
        drain(res)
        ;({hash, have} = await restart(dest))
        throw new Transient('the registry refused to resume the download (HTTP 416)')
      }
      if (res.status !== 200 && res.status !== 206) return this.statusError(ep, ctx, res)
      if (res.status === 206) {
        const start = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '')?.[1]
        if (Number(start) !== have) {
          drain(res)
          ;({hash, have} = await restart(dest))
          throw new Transient(`the registry resumed at the wrong offset (${start ?? 'no Content-Range'}, asked ${have})`)
        }
      } else if (have > 0) {
        ({hash, have} = await restart(dest)) // the server ignored Range: start over
      }
      const length = Number(header(res, 'content-length') ?? NaN)
      if (Number.isSafeInteger(length) && have + length !== desc.size) {
        drain(res)
        await rm(dest, {force: true})
        throw this.fail('digest-mismatch', ep, ctx, `the registry sends ${have + length} bytes, the manifest says ${desc.size}`, 'the registry or a proxy serves other content under this digest; try again or pull from another mirror')
      }
      const fh = await openOrFail(dest, have === 0 ? 'w' : 'a')
      try {
        for await (const chunk of res.body) {
          const b = chunk as Buffer
          if (have + b.length > desc.size) {
            res.body.destroy()
            await fh.close()
            await rm(dest, {force: true})
            throw this.fail('digest-mismatch', ep, ctx, `the registry sent more than the ${desc.size} bytes the manifest says`, 'the registry or a proxy serves other content under this digest')
          }
          try {
            await fh.write(b)
          } catch (e) {
            throw new UserError(`cannot write ${dest}: ${(e as NodeJS.ErrnoException).code ?? e}`, ExitCode.invalid, [], 'check the free space and permissions of the image cache')
          }
          hash.update(b)
          have += b.length
          onProgress?.(have, desc.size)
        }
      } finally {
        await fh.close().catch(() => {})
      }
      if (have < desc.size) throw new Transient(`the connection closed after ${have} of ${desc.size} bytes`)
    }, () => {
      const progressed = have > seen
      seen = have
      return progressed
    })
    const got = `sha256:${hash.digest('hex')}`
    if (have !== desc.size || got !== desc.digest) {
      await rm(dest, {force: true})
      throw this.fail('digest-mismatch', ep, ctx, `the content downloaded hashes to ${got}`, 'the registry or a proxy serves other content under this digest; the partial file was removed; try again or pull from another mirror')
    }
  }

  /** What DEST already holds: its hash so far and length; a file longer than the blob is removed. */
  private async partial(dest: string, desc: {size: number}): Promise<{hash: Hash; have: number}> {
    const st = await statOrUndefined(dest)
    if (!st || st.size === 0) return {hash: createHash('sha256'), have: 0}
    if (st.size > desc.size) return restart(dest)
    const hash = createHash('sha256')
    for await (const c of createReadStream(dest)) hash.update(c as Buffer)
    return {hash, have: st.size}
  }

  private async fetchManifest(ep: EndpointState, ctx: Ctx): Promise<{bytes: Buffer; mediaType: string}> {
    const res = await this.retrying(ep, ctx, async () => {
      const r = await this.send(ep, ctx, 'GET', `/${ctx.repository}/manifests/${ctx.reference}`, {accept: ACCEPT})
      if (r.status !== 200) return this.statusError(ep, ctx, r)
      const length = Number(header(r, 'content-length') ?? NaN)
      if (Number.isSafeInteger(length) && length > MAX_MANIFEST_BYTES) {
        r.body.destroy()
        throw this.oversized(ep, ctx, length)
      }
      try {
        return {bytes: await readBody(r, MAX_MANIFEST_BYTES), type: header(r, 'content-type')}
      } catch (e) {
        if (e instanceof BodyTooLargeError) throw this.oversized(ep, ctx)
        throw e
      }
    })
    let fromBody: unknown
    try {
      fromBody = (JSON.parse(res.bytes.toString('utf8')) as {mediaType?: unknown}).mediaType
    } catch {
      throw this.fail('protocol', ep, ctx, 'the manifest is not valid JSON')
    }
    // the body's mediaType is covered by the digest; the header is not
    const mediaType = typeof fromBody === 'string' ? fromBody : mediaTypeOf(res.type) ?? ''
    if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) throw this.badMediaType(ep, ctx, mediaType || mediaTypeOf(res.type) || '(none)')
    return {bytes: res.bytes, mediaType}
  }

  /**
   * One request with the auth flow: send (with auth at once when this
   * endpoint challenged before); on 401 read WWW-Authenticate, get a Bearer
   * token (with the credentials, if any) or use Basic credentials, and
   * retry once. A second 401/403 is an `unauthorized` RegistryError.
   */
  private async send(ep: EndpointState, ctx: Ctx, method: string, path: string, headers: Record<string, string>): Promise<HttpResponse> {
    const url = `${ep.base}${path}${ep.query}`
    const scope = `repository:${ctx.repository}:pull`
    let auth = ep.challenge ? await this.authorization(ep, ctx, ep.challenge, scope, false) : undefined
    let res = await this.http(method, url, auth ? {...headers, authorization: auth} : headers)
    if (res.status !== 401) return res
    const challenges = parseWwwAuthenticate(header(res, 'www-authenticate') ?? '')
    drain(res)
    const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic')
    if (!challenge) throw this.fail('unauthorized', ep, ctx, 'the registry answered HTTP 401 without a Bearer or Basic challenge')
    ep.challenge = challenge
    auth = await this.authorization(ep, ctx, challenge, scope, true)
    res = await this.http(method, url, {...headers, authorization: auth})
    if (res.status === 401 || res.status === 403) throw await this.authFailure(ep, ctx, res)
    return res
  }

  private async authorization(ep: EndpointState, ctx: Ctx, ch: Challenge, scope: string, fresh: boolean): Promise<string> {
    const cred = await this.credentialFor(ep.host)
    if (ch.scheme === 'basic') {
      if (cred?.username === undefined || cred.password === undefined) throw await this.authFailure(ep, ctx, undefined, 'the registry asks for a username and password (Basic)')
      const value = basicAuthorization(cred.username, cred.password)
      this.secrets.add(value.slice('Basic '.length))
      return value
    }
    const realm = ch.params.realm
    if (!realm) throw this.fail('protocol', ep, ctx, 'the registry\'s Bearer challenge has no realm')
    const scopes = [...new Set([scope, ...(ch.params.scope ?? '').split(' ').filter((s) => s !== '')])]
    const key = TokenCache.key(`${ep.base}|${realm}|${ch.params.service ?? ''}`, scopes, cred?.source)
    if (fresh) this.tokens.delete(key)
    else {
      const hit = this.tokens.get(key)
      if (hit) return `Bearer ${hit}`
    }
    let token
    try {
      token = await fetchToken({realm, service: ch.params.service, scopes, credential: cred, ca: this.settings.ca, timeoutMs: this.timeoutMs})
    } catch (e) {
      if (e instanceof TokenEndpointError) {
        if (e.status === 401 || e.status === 403) throw await this.authFailure(ep, ctx, undefined, `the token endpoint ${safeRealm(realm)} refused (HTTP ${e.status})`)
        if (e.status === 429 || isRetryableStatus(e.status)) throw new Transient(e.message, retryAfterMs(e.retryAfter))
        throw this.fail('protocol', ep, ctx, e.message)
      }
      const t = this.transientOf(e, ep, ctx)
      throw new Transient(`token endpoint ${safeRealm(realm)}: ${t.reason}`)
    }
    this.secrets.add(token.token)
    this.tokens.set(key, token)
    return `Bearer ${token.token}`
  }

  private credentialFor(host: string): Promise<Credential | undefined> {
    let p = this.creds.get(host)
    if (!p) {
      p = this.credentials ? this.credentials.lookup(host) : Promise.resolve(undefined)
      p = p.then((c) => {
        for (const s of [c?.password, c?.identityToken]) if (s) this.secrets.add(s)
        return c
      })
      this.creds.set(host, p)
    }
    return p
  }

  private async authFailure(ep: EndpointState, ctx: Ctx, res?: HttpResponse, why?: string): Promise<RegistryError> {
    const cred = await this.credentialFor(ep.host)
    const said = res ? await errorText(res) : ''
    const status = res ? `HTTP ${res.status}${said ? `: ${said}` : ''}` : why ?? ''
    const denied = res?.status === 403
    const msg = cred
      ? `${denied ? 'access denied' : 'authentication failed'} with the credentials from ${cred.source} (${status})`
      : `${denied ? 'access denied' : 'authentication required'} and no credentials were found for ${ep.host} (${status})`
    const hint = cred
      ? `check the user name and password in ${cred.source}, and that the user may pull ${ctx.repository}; \`docker login ${ep.host}\` rewrites ~/.docker/config.json`
      : `run \`docker login ${ep.host}\` (writes ~/.docker/config.json), or give the pod an imagePullSecret of type kubernetes.io/dockerconfigjson for ${ep.host}`
    return this.fail(denied ? 'denied' : 'unauthorized', ep, ctx, msg, hint)
  }

  private async http(method: string, url: string, headers: Record<string, string>): Promise<HttpResponse> {
    return request({method, url, headers, ca: this.settings.ca, timeoutMs: this.timeoutMs})
  }

  /** Turns a non-success response into the error to throw: Transient for 429/5xx. */
  private async statusError(ep: EndpointState, ctx: Ctx, res: HttpResponse): Promise<never> {
    const said = await errorText(res)
    const s = res.status
    if (s === 429 || isRetryableStatus(s)) throw new Transient(`HTTP ${s}${said ? `: ${said}` : ''}`, retryAfterMs(header(res, 'retry-after')))
    if (s === 404) {
      const what = ctx.blob ? `blob ${ctx.blob} not found` : `manifest ${ctx.reference} not found`
      const hint = ctx.blob
        ? 'the registry lacks a blob its manifest names; push the image again'
        : `check the repository and ${DIGEST.test(ctx.reference ?? '') ? 'digest' : 'tag'} exist on ${this.registry}`
      throw this.fail('not-found', ep, ctx, `${what} (HTTP 404${said ? `: ${said}` : ''})`, hint)
    }
    if (s === 403) throw await this.authFailure(ep, ctx, res)
    throw this.fail('protocol', ep, ctx, `unexpected HTTP ${s}${said ? `: ${said}` : ''}`)
  }

  /** Runs FN with retries and backoff for Transient failures; an attempt that PROGRESSED resets the count. */
  private async retrying<T>(ep: EndpointState, ctx: Ctx, fn: () => Promise<T>, progressed?: () => boolean): Promise<T> {
    let failures = 0
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (e) {
        const t = this.transientOf(e, ep, ctx)
        if (progressed?.()) failures = 0
        if (failures >= this.retries || attempt >= MAX_ATTEMPTS) {
          throw this.fail('unreachable', ep, ctx, `cannot reach the ${ep.mirror ? 'mirror' : 'registry'}: ${t.reason} (${attempt} attempt${attempt === 1 ? '' : 's'})`,
            `check the network and that ${ep.host} is up; set up a mirror, or try again later`)
        }
        const base = Math.min(this.backoffMs * 2 ** failures, BACKOFF_CAP_MS)
        await sleep(t.retryAfterMs !== undefined ? Math.min(Math.max(base, t.retryAfterMs), RETRY_AFTER_CAP_MS) : base)
        failures++
      }
    }
  }

  /** Transient for network failures; rethrows anything else (RegistryError, TLS trouble, bugs). */
  private transientOf(e: unknown, ep: EndpointState, ctx: Ctx): Transient {
    if (e instanceof Transient) return e
    if (e instanceof UserError) throw e
    const err = e as NodeJS.ErrnoException
    const code = typeof err?.code === 'string' ? err.code : ''
    if (TLS_CODES.test(code)) {
      const plain = code === 'EPROTO' || code.startsWith('ERR_SSL_')
      throw this.fail('tls', ep, ctx, `TLS failed: ${err.message} (${code})`, plain
        ? 'the endpoint may speak plain HTTP: set insecure for this registry, or use an http:// mirror URL'
        : 'configure the CA that signed the registry\'s certificate (the registry\'s ca setting, PEM)')
    }
    if (NETWORK_CODES.has(code) || err?.message === 'aborted' || err?.message === 'socket hang up') return new Transient(`${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`)
    throw e
  }

  /** Tries each mirror, then the registry; a mirror's failure is recorded and the next one tried. */
  private async onEndpoints<T>(ctx: Ctx, fn: (ep: EndpointState) => Promise<T>): Promise<T> {
    const failed: string[] = []
    for (const ep of this.endpoints) {
      if (ep.mirror && ep.down) {
        failed.push(`${ep.label}: ${ep.down}`)
        continue
      }
      try {
        return await fn(ep)
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e
        if (!ep.mirror) {
          if (failed.length === 0) throw e
          throw new RegistryError(e.kind, `${e.message}; mirrors tried first: ${failed.join('; ')}`, e.registry, e.repository, e.reference, e.blob, e.hint, e.exitCode)
        }
        const prefix = `${this.subject(ctx)} (via ${ep.label}): `
        const reason = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message
        failed.push(`${ep.label}: ${reason}`)
        if (e.kind === 'unreachable' || e.kind === 'tls') ep.down = reason
      }
    }
    throw new Error('unreachable: the registry itself is always the last endpoint')
  }

  private check(ctx: Ctx): void {
    if (!REPOSITORY.test(ctx.repository) || ctx.repository.length > 255) {
      throw new RegistryError('invalid', `${this.registry}: invalid repository name ${JSON.stringify(ctx.repository)}`, this.registry, ctx.repository, undefined, undefined, 'repository components are lowercase letters and digits separated by ".", "_", "__" or "-"')
    }
    if (ctx.reference !== undefined && !DIGEST.test(ctx.reference) && !TAG.test(ctx.reference)) {
      throw new RegistryError('invalid', `${this.registry}/${ctx.repository}: invalid tag or digest ${JSON.stringify(ctx.reference)}`, this.registry, ctx.repository, ctx.reference, undefined, 'a tag is up to 128 letters, digits, "_", "." or "-"; a digest is sha256: and 64 lowercase hex digits')
    }
    if (ctx.blob !== undefined && !DIGEST.test(ctx.blob)) {
      throw new RegistryError('invalid', `${this.registry}/${ctx.repository}: unsupported or malformed blob digest ${JSON.stringify(ctx.blob)}`, this.registry, ctx.repository, undefined, ctx.blob, 'tsctl verifies sha256 digests only')
    }
  }

  private subject(ctx: Ctx): string {
    const ref = ctx.reference === undefined ? '' : `${DIGEST.test(ctx.reference) ? '@' : ':'}${ctx.reference}`
    return `${this.registry}/${ctx.repository}${ref}${ctx.blob ? `: blob ${ctx.blob}` : ''}`
  }

  private fail(kind: RegistryErrorKind, ep: EndpointState, ctx: Ctx, what: string, hint?: string): RegistryError {
    const via = ep.mirror ? ` (via ${ep.label})` : ''
    return new RegistryError(kind, this.redact(`${this.subject(ctx)}${via}: ${what}`), this.registry, ctx.repository, ctx.reference, ctx.blob, hint && this.redact(hint))
  }

  private oversized(ep: EndpointState, ctx: Ctx, size?: number): RegistryError {
    return this.fail('oversized', ep, ctx, `the manifest is ${size !== undefined ? `${size} bytes` : 'larger than that'}, over the ${MAX_MANIFEST_BYTES} bytes (4 MiB) allowed`, 'manifests and indexes that large are refused, as containerd does; check what the registry serves under this name')
  }

  private badMediaType(ep: EndpointState, ctx: Ctx, type: string): RegistryError {
    return this.fail('media-type', ep, ctx, `unsupported manifest media type ${JSON.stringify(type)}`, isSchema1(type)
      ? 'this is a Docker schema 1 manifest; push the image again with a current docker or skopeo'
      : `accepted: ${MANIFEST_MEDIA_TYPES.join(', ')}`)
  }

  private redact(s: string): string {
    let out = s
    for (const secret of this.secrets) if (secret.length >= 4) out = out.split(secret).join('***')
    return out
  }
}

function isRetryableStatus(s: number): boolean {
  return s >= 500 && s !== 501 && s !== 505
}

function isSchema1(type: string): boolean {
  return type.startsWith('application/vnd.docker.distribution.manifest.v1')
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function mediaTypeOf(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';')[0].trim().toLowerCase()
  return t === '' ? undefined : t
}

/** Retry-After in seconds or as an HTTP date. */
function retryAfterMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

/** The registry's `{"errors":[{code, message}]}`, short and printable; '' when absent. */
async function errorText(res: HttpResponse): Promise<string> {
  let body: Buffer
  try {
    body = await readBody(res, MAX_ERROR_BODY)
  } catch {
    return ''
  }
  try {
    const j = JSON.parse(body.toString('utf8')) as {errors?: {code?: unknown; message?: unknown}[]}
    const parts = (j.errors ?? []).map((e) => [e.code, e.message].filter((x) => typeof x === 'string' && x !== '').join(' ')).filter((x) => x !== '')
    return parts.join('; ').replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 200)
  } catch {
    return ''
  }
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`
}

async function statOrUndefined(p: string): Promise<{size: number} | undefined> {
  try {
    return await stat(p)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UserError(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? e}`)
  }
}

async function restart(dest: string): Promise<{hash: Hash; have: number}> {
  await rm(dest, {force: true})
  return {hash: createHash('sha256'), have: 0}
}

async function openOrFail(p: string, flags: 'w' | 'a') {
  try {
    return await open(p, flags)
  } catch (e) {
    throw new UserError(`cannot write ${p}: ${(e as NodeJS.ErrnoException).code ?? e}`, ExitCode.invalid, [], 'check that the image cache directory exists and is writable')
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
