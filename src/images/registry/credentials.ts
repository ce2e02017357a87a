// Where pull credentials come from: Docker's config.json (auths, credHelpers,
// credsStore) and Kubernetes pull Secrets. Every credential carries a
// `source` saying where it was found, for error messages; no message here
// ever contains a credential value, a token or a base64 auth string.
import {spawn} from 'node:child_process'
import {accessSync, constants, readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'
import {UserError} from '../../errors.js'
import type {Credential, CredentialSource} from './client.js'

/** One `auths` entry of config.json (and of a pull Secret). */
export interface DockerAuthEntry {
  auth?: string
  username?: string
  password?: string
  identitytoken?: string
}

export interface DockerConfigFile {
  auths?: Record<string, DockerAuthEntry>
  credHelpers?: Record<string, string>
  credsStore?: string
}

/** A Kubernetes pull Secret as found in the manifests (`stringData` too: there is no API server to convert it). */
export interface PullSecret {
  metadata: {namespace?: string; name: string}
  type?: string
  data?: Record<string, string>
  stringData?: Record<string, string>
}

/** What `docker-credential-<name> get` runs as; injectable for tests. */
export type HelperRunner = (helper: string, serverUrl: string) => Promise<{Username?: string; Secret?: string} | undefined>

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])
/** The key `docker login` writes for Docker Hub, and the server URL its helpers are asked for. */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/'
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const HELPER_TIMEOUT_MS = 10_000

/**
 * Docker's config.json as a CredentialSource: `$DOCKER_CONFIG/config.json`,
 * else `~/.docker/config.json`; a missing file means no credentials. For a
 * registry: `credHelpers[host]`, else `credsStore`, each run as
 * `docker-credential-<name> get` only when that binary is on PATH; then the
 * `auths` entry (keyed by host or by URL, `https://index.docker.io/v1/` for
 * docker.io). The file is read once, at the first lookup.
 */
export function dockerConfigCredentials(opts: {path?: string; env?: NodeJS.ProcessEnv; home?: string; runHelper?: HelperRunner} = {}): CredentialSource {
  const env = opts.env ?? process.env
  const home = opts.home ?? homedir()
  const path = opts.path ?? (env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(home, '.docker', 'config.json'))
  const shown = displayPath(path, home)
  const runHelper = opts.runHelper ?? ((helper, url) => runCredentialHelper(helper, url, env))
  let config: DockerConfigFile | undefined
  return {
    async lookup(registry) {
      config ??= readDockerConfig(path, shown)
      const helper = config.credHelpers?.[registry] ?? (DOCKER_HUB.has(registry) ? firstDefined(config.credHelpers, [...DOCKER_HUB, DOCKER_HUB_KEY]) : undefined)
      const tried: [string, string][] = []
      if (helper !== undefined) tried.push([helper, `${shown} credHelpers["${registry}"]`])
      if (config.credsStore !== undefined) tried.push([config.credsStore, `${shown} credsStore`])
      for (const [name, where] of tried) {
        if (!HELPER_NAME.test(name)) throw new UserError(`${where}: invalid credential helper name ${JSON.stringify(name)}`, undefined, [], 'a helper name is the part after docker-credential-, e.g. "pass" or "secretservice"')
        if (!onPath(`docker-credential-${name}`, env)) continue
        const got = await runHelper(name, DOCKER_HUB.has(registry) ? DOCKER_HUB_KEY : registry)
        if (got?.Secret) {
          const source = `${where} (docker-credential-${name})`
          // helpers return an identity token with the username "<token>", as Docker's store does
          return got.Username === '<token>' ? {identityToken: got.Secret, source} : {username: got.Username ?? '', password: got.Secret, source}
        }
      }
      return fromAuths(config.auths, registry, (key) => `${shown} auths[${JSON.stringify(key)}]`, false)
    },
  }
}

/**
 * Kubernetes pull Secrets (`kubernetes.io/dockerconfigjson` with
 * `.dockerconfigjson`, or the legacy `kubernetes.io/dockercfg` with
 * `.dockercfg`) as a CredentialSource, first match wins, as the kubelet
 * tries a pod's imagePullSecrets in order. Keys may be hosts, URLs or
 * kubelet-style globs (`*.example.com`). Other Secret types are ignored.
 */
export function secretCredentials(secrets: PullSecret[]): CredentialSource {
  const parsed = secrets.map((s) => ({name: `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, auths: secretAuths(s)}))
  return {
    async lookup(registry) {
      for (const s of parsed) {
        if (!s.auths) continue
        const hit = fromAuths(s.auths, registry, (key) => `imagePullSecrets Secret ${s.name} (auths[${JSON.stringify(key)}])`, true)
        if (hit) return hit
      }
      return undefined
    },
  }
}

/** The first source that has a credential for the registry wins (pull Secrets before the CLI user's config, as the kubelet does). */
export function chainCredentials(...sources: CredentialSource[]): CredentialSource {
  return {
    async lookup(registry) {
      for (const s of sources) {
        const c = await s.lookup(registry)
        if (c) return c
      }
      return undefined
    },
  }
}

function secretAuths(s: PullSecret): Record<string, DockerAuthEntry> | undefined {
  const what = `Secret ${s.metadata.namespace ?? 'default'}/${s.metadata.name}`
  const key = s.type === 'kubernetes.io/dockerconfigjson' ? '.dockerconfigjson' : s.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : undefined
  if (!key) return undefined
  const text = s.stringData?.[key] ?? (s.data?.[key] !== undefined ? Buffer.from(s.data[key], 'base64').toString('utf8') : undefined)
  if (text === undefined) throw new UserError(`${what} of type ${s.type} has no ${key} key`, undefined, [], `create it with kubectl create secret docker-registry, or put the config.json under data.${key} (base64)`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new UserError(`${what}: ${key} is not valid JSON (after base64 decoding)`, undefined, [], 'data values are base64 of the JSON text; stringData values are the JSON text itself')
  }
  if (typeof json !== 'object' || json === null) throw new UserError(`${what}: ${key} is not a JSON object`)
  const auths = key === '.dockerconfigjson' ? (json as DockerConfigFile).auths : (json as Record<string, DockerAuthEntry>)
  if (auths !== undefined && (typeof auths !== 'object' || auths === null)) throw new UserError(`${what}: ${key} "auths" is not an object`)
  return auths ?? {}
}

function readDockerConfig(path: string, shown: string): DockerConfigFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new UserError(`cannot read ${shown}: ${(e as NodeJS.ErrnoException).code ?? e}`)
  }
  try {
    const json = JSON.parse(text) as unknown
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not an object')
    return json as DockerConfigFile
  } catch {
    throw new UserError(`${shown} is not a valid JSON object`, undefined, [], 'fix the file, or point DOCKER_CONFIG at a directory with a valid config.json')
  }
}

/**
 * The entry of AUTHS for REGISTRY: an exact key first, then keys that are
 * URLs or host/path (Docker's ConvertToHostname: scheme and path dropped),
 * then, with GLOBS, kubelet-style wildcard hosts.
 */
function fromAuths(auths: Record<string, DockerAuthEntry> | undefined, registry: string, where: (key: string) => string, globs: boolean): Credential | undefined {
  if (!auths || typeof auths !== 'object') return undefined
  const keys = Object.keys(auths)
  const wanted = DOCKER_HUB.has(registry) ? DOCKER_HUB : new Set([registry.toLowerCase()])
  const ordered = [
    ...keys.filter((k) => k === registry || (DOCKER_HUB.has(registry) && k === DOCKER_HUB_KEY)),
    ...keys.filter((k) => wanted.has(hostOfKey(k))),
    ...(globs ? keys.filter((k) => globMatch(hostOfKey(k), registry.toLowerCase())) : []),
  ]
  for (const key of ordered) {
    const c = credentialOf(auths[key], where(key))
    if (c) return c
  }
  return undefined
}

function credentialOf(e: DockerAuthEntry | undefined, source: string): Credential | undefined {
  if (!e || typeof e !== 'object') return undefined
  let username = typeof e.username === 'string' ? e.username : undefined
  let password = typeof e.password === 'string' ? e.password : undefined
  if (typeof e.auth === 'string' && e.auth !== '') {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) throw new UserError(`${source}: "auth" is not base64 of "user:password"`, undefined, [], 'run docker login again, or write auth as base64 of user:password')
    username = decoded.slice(0, colon)
    password = decoded.slice(colon + 1)
  }
  const identityToken = typeof e.identitytoken === 'string' && e.identitytoken !== '' ? e.identitytoken : undefined
  if (identityToken === undefined && (password === undefined || password === '')) return undefined // a placeholder, e.g. `{}` next to credsStore
  return {
    ...(username !== undefined ? {username} : {}),
    ...(password !== undefined && password !== '' ? {password} : {}),
    ...(identityToken !== undefined ? {identityToken} : {}),
    source,
  }
}

/** `https://Host:5000/v2/` → `host:5000`. */
function hostOfKey(key: string): string {
  return key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0].toLowerCase()
}

/** Kubelet's matching: `*` stands for one DNS label; ports must be equal. */
function globMatch(pattern: string, host: string): boolean {
  if (!pattern.includes('*')) return false
  const [ph, pp] = splitPort(pattern)
  const [hh, hp] = splitPort(host)
  if (pp !== hp) return false
  const a = ph.split('.'), b = hh.split('.')
  if (a.length !== b.length) return false
  return a.every((label, i) => new RegExp(`^${label.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*')}$`).test(b[i]))
}

function splitPort(h: string): [string, string] {
  const m = /^(.*?)(?::(\d+))?$/.exec(h)
  return [m?.[1] ?? h, m?.[2] ?? '']
}

function firstDefined(m: Record<string, string> | undefined, keys: string[]): string | undefined {
  for (const k of keys) if (m?.[k] !== undefined) return m[k]
  return undefined
}

function displayPath(path: string, home: string): string {
  return home && path.startsWith(home + '/') ? `~/${path.slice(home.length + 1)}` : path
}

function onPath(binary: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const p = join(dir, binary)
    try {
      if (!statSync(p).isFile()) continue
      accessSync(p, constants.X_OK)
      return p
    } catch {
      continue
    }
  }
  return undefined
}

/**
 * Runs `docker-credential-NAME get` (argv, never a shell) with the server
 * URL on stdin, as Docker does. "credentials not found" is no credential;
 * another failure is a UserError naming the helper (its stdout, which may
 * hold the secret, is never quoted).
 */
export function runCredentialHelper(name: string, serverUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<{Username?: string; Secret?: string} | undefined> {
  const bin = onPath(`docker-credential-${name}`, env)
  if (!bin) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['get'], {env, stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), HELPER_TIMEOUT_MS)
    child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8') })
    child.stderr.on('data', (d: Buffer) => { err += d.toString('utf8') })
    child.on('error', (e) => { clearTimeout(timer); reject(new UserError(`cannot run docker-credential-${name}: ${e.message}`)) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) {
        try {
          const j = JSON.parse(out) as {Username?: unknown; Secret?: unknown}
          resolve({...(typeof j.Username === 'string' ? {Username: j.Username} : {}), ...(typeof j.Secret === 'string' ? {Secret: j.Secret} : {})})
        } catch {
          reject(new UserError(`docker-credential-${name} get printed something other than JSON`))
        }
        return
      }
      if (/credentials not found/i.test(out + err)) return resolve(undefined)
      const firstLine = err.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 200)
      reject(new UserError(`docker-credential-${name} get failed (${signal ? `killed by ${signal}` : `exit ${code}`})${firstLine ? `: ${firstLine}` : ''}`, undefined, [], `check that docker-credential-${name} works: echo ${serverUrl} | docker-credential-${name} get`))
    })
    child.stdin.on('error', () => {})
    child.stdin.end(serverUrl)
  })
}
