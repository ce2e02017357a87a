// A small HTTP(S) client for the registry client, on node:http and
// node:https rather than the global fetch: a registry may need its own CA
// file or plain HTTP, and those are per-request TLS options (`ca`, the
// scheme) that Node 20's fetch cannot take without installing the undici
// package for its Agent/dispatcher. node:https takes them per request.
import * as http from 'node:http'
import * as https from 'node:https'
import {rootCertificates} from 'node:tls'
import type {Readable} from 'node:stream'

export interface HttpRequest {
  method: string
  url: string
  headers?: Record<string, string>
  /** PEM text trusted in addition to Node's roots, for the request's own origin only */
  ca?: string
  /** connection and read (idle) timeout, each; default 30 s */
  timeoutMs?: number
  body?: Buffer | string
  /** default 5 */
  maxRedirects?: number
}

export interface HttpResponse {
  status: number
  headers: http.IncomingHttpHeaders
  /** must be consumed or destroyed by the caller (see `drain`) */
  body: Readable
  /** the URL that answered, after redirects */
  url: string
}

/** A request got no connection or no data for `timeoutMs`; retryable. */
export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(readonly url: string, readonly timeoutMs: number, phase: 'connect' | 'read') {
    super(`${phase === 'connect' ? 'no connection' : 'no data'} within ${timeoutMs} ms from ${originOf(url)}`)
    this.name = 'HttpTimeoutError'
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * Sends one request and follows up to `maxRedirects` redirects (registries
 * send blob GETs to object storage). A redirect that leaves the origin
 * (scheme, host or port changes) drops the Authorization header, so
 * credentials and tokens never reach another host, and the configured CA
 * is not trusted for that host either. Rejects with Node's network error
 * (ECONNREFUSED, ECONNRESET, TLS errors…) or an HttpTimeoutError; any HTTP
 * status resolves.
 */
export async function request(req: HttpRequest): Promise<HttpResponse> {
  const max = req.maxRedirects ?? 5
  const origin = originOf(req.url)
  let url = req.url
  let method = req.method
  let headers = {...(req.headers ?? {})}
  let body = req.body
  for (let hop = 0; ; hop++) {
    const sameOrigin = originOf(url) === origin
    const res = await once({method, url, headers, body, timeoutMs: req.timeoutMs ?? 30_000, ca: sameOrigin ? req.ca : undefined})
    const location = res.headers.location
    if (!REDIRECTS.has(res.status) || location === undefined) return res
    drain(res)
    if (hop >= max) throw new Error(`more than ${max} redirects, last to ${originOf(new URL(location, url).href)}`)
    const next = new URL(location, url)
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`redirect to unsupported scheme ${next.protocol}`)
    if (originOf(next.href) !== originOf(url)) headers = withoutAuthorization(headers)
    if (res.status === 303 && method !== 'HEAD') {
      method = 'GET'
      body = undefined
    }
    url = next.href
  }
}

/** Reads the rest of a response away so its socket can be reused. */
export function drain(res: HttpResponse): void {
  res.body.on('error', () => {})
  res.body.resume()
}

/** Reads a whole body, failing once it passes MAX bytes (without reading further). */
export async function readBody(res: HttpResponse, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of res.body) {
    const b = c as Buffer
    n += b.length
    if (n > max) {
      res.body.destroy()
      throw new BodyTooLargeError(max)
    }
    chunks.push(b)
  }
  return Buffer.concat(chunks)
}

export class BodyTooLargeError extends Error {
  constructor(readonly max: number) {
    super(`response body larger than ${max} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

export function originOf(url: string): string {
  const u = new URL(url)
  const port = u.port || (u.protocol === 'https:' ? '443' : '80')
  return `${u.protocol}//${u.hostname}:${port}`
}

function withoutAuthorization(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() !== 'authorization') out[k] = v
  return out
}

interface OneRequest {
  method: string
  url: string
  headers: Record<string, string>
  body?: Buffer | string
  timeoutMs: number
  ca?: string
}

function once(r: OneRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(r.url)
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined
    if (!mod) {
      reject(new Error(`unsupported URL scheme ${u.protocol}`))
      return
    }
    const headers: Record<string, string> = {'user-agent': 'tsctl', ...r.headers}
    if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body))
    // Docker trusts a registry's certs.d CA in addition to the system roots, not instead of them.
    const tls = u.protocol === 'https:' && r.ca ? {ca: [...rootCertificates, r.ca]} : {}
    let res: http.IncomingMessage | undefined
    let connected = false
    const req = mod.request(u, {method: r.method, headers, ...tls})
    // One idle timer covers connecting and every read: it fires after
    // timeoutMs without socket activity, also while the caller streams the body.
    req.setTimeout(r.timeoutMs, () => {
      const err = new HttpTimeoutError(r.url, r.timeoutMs, connected ? 'read' : 'connect')
      if (res) res.destroy(err)
      req.destroy(err)
    })
    req.on('socket', (s) => {
      if (!s.connecting) connected = true
      else s.once('connect', () => { connected = true })
    })
    req.on('error', (e) => { if (!res) reject(e) })
    req.on('response', (m) => {
      res = m
      resolve({status: m.statusCode ?? 0, headers: m.headers, body: m, url: r.url})
    })
    req.end(r.body)
  })
}
