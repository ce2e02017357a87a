import {spawnSync} from 'node:child_process'
import {isAbsolute, resolve} from 'node:path'
import {type Diagnostic, UserError} from '../errors.js'
import {parseYamlFile} from '../manifests/yaml.js'

/**
 * `state:` in tsctl.yaml: where the state lives, for every command that
 * does not say otherwise with flags or TSCTL_STATE_* variables.
 *
 *     state:
 *       backend: etcd                    # file (default) | git | etcd
 *       endpoints: [10.0.0.5:2379, https://10.0.0.6:2379]
 *       prefix: /tsctl/prod              # every key of this fleet lives below it
 *       ttl: 15s                         # lease of the lock and of watch leadership
 *       tls: {ca: /etc/tsctl/etcd-ca.pem, cert: /etc/tsctl/client.pem, key: /etc/tsctl/client-key.pem}
 *       auth: {user: tsctl, passwordEnv: TSCTL_ETCD_PASSWORD}
 *
 * tsctl.yaml is committed, so it never holds a password: only the name of
 * the environment variable that does. TLS paths are files on the machine
 * running tsctl (absolute, or relative to the repository directory).
 */
export interface StateConfig {
  backend?: 'file' | 'git' | 'etcd'
  etcd: EtcdSettings
}

/** The etcd settings as tsctl.yaml and the environment give them (unset: default). */
export interface EtcdSettings {
  endpoints?: string[]
  prefix?: string
  ttlSeconds?: number
  tls?: {ca?: string; cert?: string; key?: string}
  auth?: {user: string; passwordEnv?: string}
}

/** Resolved settings of one etcd backend. */
export interface EtcdConfig {
  /** `http://host:port` or `https://host:port` */
  endpoints: string[]
  /** `/tsctl/prod`: no trailing slash */
  prefix: string
  /** lease TTL of the lock and the watch leadership, whole seconds (etcd's unit) */
  ttlSeconds: number
  /** absolute paths */
  tls?: {ca?: string; cert?: string; key?: string}
  auth?: {user: string; password: string; passwordEnv: string}
  /** per-request deadline */
  timeoutMs: number
}

export const defaultEtcdPrefix = '/tsctl/default'
export const defaultEtcdTtlSeconds = 15
export const defaultPasswordEnv = 'TSCTL_ETCD_PASSWORD'
const backends = ['file', 'git', 'etcd'] as const

type Err = (pointer: string, message: string, hint?: string) => void

/**
 * Parses the `state:` value of tsctl.yaml. Problems go to ERR at a JSON
 * pointer (tsctl.yaml position); bad fields are left out. Pure.
 */
export function parseStateSection(v: unknown, err: Err): StateConfig {
  const out: StateConfig = {etcd: {}}
  if (v === undefined || v === null) return out
  const example = 'e.g. `state: {backend: etcd, endpoints: [127.0.0.1:2379], prefix: /tsctl/prod}`'
  if (typeof v !== 'object' || Array.isArray(v)) {
    err('/state', 'state must be a mapping', example)
    return out
  }
  const o = v as Record<string, unknown>
  const known = ['backend', 'endpoints', 'prefix', 'ttl', 'tls', 'auth']
  for (const k of Object.keys(o)) {
    if (k === 'password') err('/state/password', 'tsctl.yaml is committed: it must not hold a password', 'set auth.passwordEnv to the name of an environment variable that holds it')
    else if (!known.includes(k)) err(`/state/${k}`, `unknown field "${k}" in state`, `state has ${known.join(', ')}`)
  }
  if (o.backend !== undefined) {
    if (backends.includes(o.backend as never)) out.backend = o.backend as StateConfig['backend']
    else err('/state/backend', `state.backend must be one of ${backends.join(', ')}, not ${JSON.stringify(o.backend)}`)
  }
  if (o.endpoints !== undefined) {
    const list = typeof o.endpoints === 'string' ? [o.endpoints] : o.endpoints
    if (!Array.isArray(list) || list.length === 0) err('/state/endpoints', 'state.endpoints must be a list of host:port or http(s)://host:port', example)
    else {
      out.etcd.endpoints = []
      list.forEach((e: unknown, i: number) => {
        const n = typeof e === 'string' ? normalizeEndpoint(e) : undefined
        if (!n) err(`/state/endpoints/${i}`, `${JSON.stringify(e)} is not an etcd endpoint`, 'write host:port, http://host:port or https://host:port')
        else out.etcd.endpoints!.push(n)
      })
    }
  }
  if (o.prefix !== undefined) {
    const p = typeof o.prefix === 'string' ? normalizePrefix(o.prefix) : undefined
    if (!p) err('/state/prefix', `state.prefix ${JSON.stringify(o.prefix)} must be a key path like /tsctl/prod`)
    else out.etcd.prefix = p
  }
  if (o.ttl !== undefined) {
    const t = parseTtl(o.ttl)
    if (t === undefined) err('/state/ttl', `state.ttl ${JSON.stringify(o.ttl)} must be whole seconds from 2 to 3600 (e.g. 15s)`)
    else out.etcd.ttlSeconds = t
  }
  if (o.tls !== undefined) {
    if (o.tls === null || typeof o.tls !== 'object' || Array.isArray(o.tls)) err('/state/tls', 'state.tls must be a mapping of ca, cert, key (PEM file paths)')
    else {
      const t = o.tls as Record<string, unknown>
      out.etcd.tls = {}
      for (const k of Object.keys(t)) {
        if (k !== 'ca' && k !== 'cert' && k !== 'key') err(`/state/tls/${k}`, `unknown field "${k}" in state.tls`, 'state.tls has ca, cert and key')
        else if (typeof t[k] !== 'string' || t[k] === '') err(`/state/tls/${k}`, `state.tls.${k} must be a path to a PEM file`)
        else out.etcd.tls[k] = t[k] as string
      }
      if ((out.etcd.tls.cert === undefined) !== (out.etcd.tls.key === undefined)) err('/state/tls', 'state.tls needs both cert and key for a client certificate, or neither')
    }
  }
  if (o.auth !== undefined) {
    if (o.auth === null || typeof o.auth !== 'object' || Array.isArray(o.auth)) err('/state/auth', 'state.auth must be a mapping of user and passwordEnv')
    else {
      const a = o.auth as Record<string, unknown>
      for (const k of Object.keys(a)) {
        if (k === 'password') err('/state/auth/password', 'tsctl.yaml is committed: it must not hold a password', `set state.auth.passwordEnv (default ${defaultPasswordEnv}) to the name of an environment variable that holds it`)
        else if (k !== 'user' && k !== 'passwordEnv') err(`/state/auth/${k}`, `unknown field "${k}" in state.auth`, 'state.auth has user and passwordEnv')
      }
      if (typeof a.user !== 'string' || a.user === '') err('/state/auth/user', 'state.auth.user must be the etcd user name')
      else if (a.passwordEnv !== undefined && (typeof a.passwordEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.passwordEnv))) err('/state/auth/passwordEnv', 'state.auth.passwordEnv must be an environment variable name')
      else out.etcd.auth = {user: a.user, ...(a.passwordEnv ? {passwordEnv: a.passwordEnv as string} : {})}
    }
  }
  return out
}

/** `host:port`, `http://host:port`, `https://host:port` → `http(s)://host:port`; undefined when it is none of them. */
export function normalizeEndpoint(e: string): string | undefined {
  const m = /^(?:(https?):\/\/)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(e.trim())
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) return undefined
  return `${m[1] ?? 'http'}://${m[2]}:${m[3]}`
}

/** `/tsctl/prod/` → `/tsctl/prod`; undefined for an empty, relative or odd prefix. */
export function normalizePrefix(p: string): string | undefined {
  const s = p.trim().replace(/\/+$/, '')
  if (!s.startsWith('/') || s.length < 2 || !/^[A-Za-z0-9._\/-]+$/.test(s) || s.includes('//')) return undefined
  return s
}

function parseTtl(v: unknown): number | undefined {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : ''
  const m = /^(\d+)(s|m)?$/.exec(s)
  if (!m) return undefined
  const n = Number(m[1]) * (m[2] === 'm' ? 60 : 1)
  return n >= 2 && n <= 3600 ? n : undefined
}

/**
 * The `state:` section of tsctl.yaml at HEAD of REPO (read from git
 * objects like every other input, and from HEAD, not from the command's
 * --ref, so `sync --ref v1.4` or a PR's `diff` never switch states).
 * Empty when there is no repository, no HEAD or no tsctl.yaml; exit 2
 * naming file:line when the section is wrong.
 */
export function readStateConfig(repo: string): StateConfig {
  const r = spawnSync('git', ['show', 'HEAD:tsctl.yaml'], {cwd: repo, encoding: 'utf8', env: {...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0'}, stdio: ['ignore', 'pipe', 'ignore']})
  if (r.status !== 0 || !r.stdout) return {etcd: {}}
  const {docs, diagnostics} = parseYamlFile('tsctl.yaml', r.stdout)
  if (diagnostics.length || docs.length === 0) return {etcd: {}} // validate reports a broken tsctl.yaml
  const doc = docs[0]
  const value = doc.value as Record<string, unknown> | null
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {etcd: {}}
  const problems: Diagnostic[] = []
  const cfg = parseStateSection(value.state, (pointer, message, hint) =>
    problems.push({severity: 'error', ...(doc.positions.get(pointer) ?? doc.pos), file: 'tsctl.yaml', field: pointer.slice(1).replace(/\//g, '.'), message, ...(hint ? {hint} : {})}),
  )
  if (problems.length) throw new UserError(`tsctl.yaml: the state section is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})`, undefined, problems)
  return cfg
}

/**
 * The etcd settings of a command: environment (CI) over tsctl.yaml over
 * defaults. TSCTL_ETCD_ENDPOINTS (comma-separated), TSCTL_ETCD_PREFIX,
 * TSCTL_ETCD_TTL, TSCTL_ETCD_CA/CERT/KEY, TSCTL_ETCD_USER and the password
 * variable (TSCTL_ETCD_PASSWORD unless auth.passwordEnv names another).
 * Relative TLS paths are relative to REPO. Exit 2 naming what is wrong.
 */
export function resolveEtcdConfig(settings: EtcdSettings, repo: string, env: NodeJS.ProcessEnv = process.env): EtcdConfig {
  let endpoints = settings.endpoints
  if (env.TSCTL_ETCD_ENDPOINTS) {
    endpoints = []
    for (const e of env.TSCTL_ETCD_ENDPOINTS.split(',').map((s) => s.trim()).filter(Boolean)) {
      const n = normalizeEndpoint(e)
      if (!n) throw new UserError(`TSCTL_ETCD_ENDPOINTS: ${JSON.stringify(e)} is not an etcd endpoint`, undefined, [], 'write host:port, http://host:port or https://host:port, comma-separated')
      endpoints.push(n)
    }
  }
  if (!endpoints || endpoints.length === 0) throw new UserError('the etcd state backend needs endpoints', undefined, [], 'set state.endpoints in tsctl.yaml or TSCTL_ETCD_ENDPOINTS=host:port')
  let prefix = settings.prefix ?? defaultEtcdPrefix
  if (env.TSCTL_ETCD_PREFIX) {
    const p = normalizePrefix(env.TSCTL_ETCD_PREFIX)
    if (!p) throw new UserError(`TSCTL_ETCD_PREFIX ${JSON.stringify(env.TSCTL_ETCD_PREFIX)} must be a key path like /tsctl/prod`)
    prefix = p
  }
  let ttlSeconds = settings.ttlSeconds ?? defaultEtcdTtlSeconds
  if (env.TSCTL_ETCD_TTL) {
    const t = parseTtl(env.TSCTL_ETCD_TTL)
    if (t === undefined) throw new UserError(`TSCTL_ETCD_TTL ${JSON.stringify(env.TSCTL_ETCD_TTL)} must be whole seconds from 2 to 3600 (e.g. 15s)`)
    ttlSeconds = t
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(repo, p))
  const tlsIn = {...settings.tls, ...(env.TSCTL_ETCD_CA ? {ca: env.TSCTL_ETCD_CA} : {}), ...(env.TSCTL_ETCD_CERT ? {cert: env.TSCTL_ETCD_CERT} : {}), ...(env.TSCTL_ETCD_KEY ? {key: env.TSCTL_ETCD_KEY} : {})}
  const tls = Object.keys(tlsIn).length || endpoints.some((e) => e.startsWith('https:'))
    ? {...(tlsIn.ca ? {ca: abs(tlsIn.ca)} : {}), ...(tlsIn.cert ? {cert: abs(tlsIn.cert)} : {}), ...(tlsIn.key ? {key: abs(tlsIn.key)} : {})}
    : undefined
  if (tls && (tls.cert === undefined) !== (tls.key === undefined)) throw new UserError('etcd TLS: a client certificate needs both cert and key', undefined, [], 'set both state.tls.cert and state.tls.key (or TSCTL_ETCD_CERT and TSCTL_ETCD_KEY)')
  let auth: EtcdConfig['auth']
  const user = env.TSCTL_ETCD_USER || settings.auth?.user
  if (user) {
    const passwordEnv = settings.auth?.passwordEnv ?? defaultPasswordEnv
    const password = env[passwordEnv]
    if (password === undefined || password === '') throw new UserError(`etcd user ${JSON.stringify(user)} needs a password in $${passwordEnv}`, undefined, [], `export ${passwordEnv}=… (tsctl.yaml never holds it)`)
    auth = {user, password, passwordEnv}
  }
  const timeoutMs = env.TSCTL_ETCD_TIMEOUT_MS ? Math.max(100, Number(env.TSCTL_ETCD_TIMEOUT_MS) || 5000) : 5000
  return {endpoints, prefix, ttlSeconds, ...(tls ? {tls} : {}), ...(auth ? {auth} : {}), timeoutMs}
}

/** `etcd 127.0.0.1:2379,127.0.0.1:2381 /tsctl/prod`: what messages call this backend (never a password). */
export function describeEtcd(c: Pick<EtcdConfig, 'endpoints' | 'prefix'>): string {
  return `etcd ${c.endpoints.map((e) => e.replace(/^http:\/\//, '')).join(',')} ${c.prefix}`
}

/** `etcd://h1:p1,h2:p2/tsctl/prod` (migrate's --to) → endpoints and prefix; undefined when it is not one. */
export function parseEtcdAddress(a: string): {endpoints: string[]; prefix: string} | undefined {
  const m = /^etcd(s)?:\/\/([^/]+)(\/.*)?$/.exec(a)
  if (!m) return undefined
  const endpoints: string[] = []
  for (const h of m[2].split(',')) {
    const n = normalizeEndpoint(`${m[1] ? 'https' : 'http'}://${h}`)
    if (!n) return undefined
    endpoints.push(n)
  }
  const prefix = m[3] ? normalizePrefix(m[3]) : defaultEtcdPrefix
  return prefix ? {endpoints, prefix} : undefined
}
