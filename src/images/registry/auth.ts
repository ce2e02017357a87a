// Registry authentication: the WWW-Authenticate challenge, the bearer token
// fetch of the Docker token spec (and its OAuth2 refresh-token form), and
// an in-memory token cache. The flow that uses them is in client.ts.
import {drain, readBody, request} from './http.js'

/** One challenge of a WWW-Authenticate header; scheme lowercased, parameter names lowercased. */
export interface Challenge {
  scheme: string
  params: Record<string, string>
}

/** What a token request may send; a structural subset of client.ts's Credential. */
export interface TokenCredential {
  username?: string
  password?: string
  identityToken?: string
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]/

/**
 * Parses a WWW-Authenticate value into its challenges (RFC 7235), e.g.
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"`.
 * Quoted values may hold commas and backslash escapes; several challenges
 * may share one header (Node joins repeated headers with ", "). Pure; never
 * throws: what it cannot read is skipped.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = []
  let i = 0
  const n = header.length
  const skip = (chars: string) => { while (i < n && chars.includes(header[i])) i++ }
  const token = () => {
    const start = i
    while (i < n && TOKEN.test(header[i])) i++
    return header.slice(start, i)
  }
  let current: Challenge | undefined
  while (i < n) {
    skip(' \t,')
    const start = i
    const word = token()
    if (word === '') { i++; continue }
    skip(' \t')
    if (header[i] === '=' && current) {
      i++
      skip(' \t')
      let value = ''
      if (header[i] === '"') {
        i++
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++
          value += header[i++]
        }
        i++ // closing quote
      } else {
        const v0 = i
        while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++
        value = header.slice(v0, i)
      }
      current.params[word.toLowerCase()] = value
    } else if (header[i] === '=' && !current) {
      // a parameter before any scheme: not a challenge
      i = start + word.length + 1
    } else {
      current = {scheme: word.toLowerCase(), params: {}}
      out.push(current)
      // token68 (`Negotiate abc==`): consume it so it is not read as a scheme
      const save = i
      const t68 = /^[A-Za-z0-9._~+/-]+=*(?=\s*(,|$))/.exec(header.slice(i))
      if (t68 && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+\s*=\s*[^=]/.test(header.slice(i))) i = save + t68[0].length
    }
  }
  return out
}

/** `Basic base64(user:password)`. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

/** The token endpoint answered with an HTTP error (401/403: the credentials were refused). */
export class TokenEndpointError extends Error {
  constructor(readonly status: number, readonly realm: string, readonly retryAfter?: string) {
    super(`token endpoint ${safeRealm(realm)} answered HTTP ${status}`)
    this.name = 'TokenEndpointError'
  }
}

export interface TokenRequest {
  realm: string
  service?: string
  /** e.g. `repository:library/busybox:pull` */
  scopes: string[]
  credential?: TokenCredential
  ca?: string
  timeoutMs?: number
}

export interface Token {
  token: string
  /** seconds */
  expiresIn: number
}

/** Docker's floor for a token's lifetime, and the default when expires_in is absent. */
const MIN_LIFETIME_S = 60
const MAX_TOKEN_RESPONSE = 1 << 20

/**
 * Fetches a bearer token from REALM (Docker's token spec): GET
 * `realm?service=…&scope=…` with basic credentials when there are any, or,
 * with an identity (refresh) token, POST the OAuth2 form
 * `grant_type=refresh_token` as `docker login` tokens require, falling back
 * to GET when the endpoint does not take POST (404/405), as containerd
 * does. Accepts `token` or `access_token`. Throws TokenEndpointError for an
 * HTTP error; network errors propagate. The token is never logged.
 */
export async function fetchToken(req: TokenRequest): Promise<Token> {
  const realm = new URL(req.realm)
  if (realm.protocol !== 'https:' && realm.protocol !== 'http:') throw new Error(`token realm ${safeRealm(req.realm)} is not an http(s) URL`)
  const cred = req.credential
  if (cred?.identityToken) {
    const form = new URLSearchParams({grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'tsctl'})
    if (req.service) form.set('service', req.service)
    if (req.scopes.length) form.set('scope', req.scopes.join(' '))
    const res = await request({
      method: 'POST', url: realm.href, ca: req.ca, timeoutMs: req.timeoutMs, body: form.toString(),
      headers: {'content-type': 'application/x-www-form-urlencoded', accept: 'application/json'},
    })
    if (res.status !== 404 && res.status !== 405) return tokenFrom(res, req.realm)
    drain(res)
  }
  const url = new URL(realm.href)
  if (req.service) url.searchParams.set('service', req.service)
  for (const s of req.scopes) url.searchParams.append('scope', s)
  const headers: Record<string, string> = {accept: 'application/json'}
  if (cred?.username !== undefined && cred.password !== undefined) headers.authorization = basicAuthorization(cred.username, cred.password)
  const res = await request({method: 'GET', url: url.href, headers, ca: req.ca, timeoutMs: req.timeoutMs})
  return tokenFrom(res, req.realm)
}

async function tokenFrom(res: Awaited<ReturnType<typeof request>>, realm: string): Promise<Token> {
  if (res.status !== 200) {
    drain(res)
    const ra = res.headers['retry-after']
    throw new TokenEndpointError(res.status, realm, typeof ra === 'string' ? ra : undefined)
  }
  const body = await readBody(res, MAX_TOKEN_RESPONSE)
  let json: {token?: unknown; access_token?: unknown; expires_in?: unknown}
  try {
    json = JSON.parse(body.toString('utf8')) as typeof json
  } catch {
    throw new Error(`token endpoint ${safeRealm(realm)} answered with something other than JSON`)
  }
  const token = typeof json.token === 'string' && json.token !== '' ? json.token : typeof json.access_token === 'string' ? json.access_token : ''
  if (token === '') throw new Error(`token endpoint ${safeRealm(realm)} answered without a token`)
  const exp = typeof json.expires_in === 'number' && Number.isFinite(json.expires_in) ? json.expires_in : MIN_LIFETIME_S
  return {token, expiresIn: Math.max(exp, MIN_LIFETIME_S)}
}

/** A realm for messages: scheme, host and path only (a realm URL could carry a query with secrets). */
export function safeRealm(realm: string): string {
  try {
    const u = new URL(realm)
    return `${u.protocol}//${u.host}${u.pathname}`
  } catch {
    return '(unparseable realm)'
  }
}

/**
 * Bearer tokens in memory, per registry+scope(+user), for their
 * `expires_in` less a small margin, so a pull's many blob requests fetch
 * one token. Time is an input so tests can move it.
 */
export class TokenCache {
  private readonly tokens = new Map<string, {token: string; until: number}>()
  constructor(private readonly now: () => number = Date.now) {}

  static key(registry: string, scopes: string[], username: string | undefined): string {
    return JSON.stringify([registry, [...scopes].sort(), username ?? ''])
  }

  get(key: string): string | undefined {
    const hit = this.tokens.get(key)
    if (!hit) return undefined
    if (this.now() >= hit.until) {
      this.tokens.delete(key)
      return undefined
    }
    return hit.token
  }

  set(key: string, token: Token): void {
    // a token used right at its expiry would fail mid-request; keep a margin
    const margin = Math.min(10, token.expiresIn / 10)
    this.tokens.set(key, {token: token.token, until: this.now() + (token.expiresIn - margin) * 1000})
  }

  delete(key: string): void {
    this.tokens.delete(key)
  }
}
