import {createHash} from 'node:crypto'
import type {KubeObject} from '../../manifests/object.js'
import {bytes, milliCPU} from '../../manifests/quantity.js'
import {CAPABILITIES, resolveCapabilities} from './capabilities.js'
import {compileSeccomp, type SeccompArch} from './seccomp/compile.js'
import {DEFAULT_PROFILE} from './seccomp/default-profile.js'
import {parseProfile, SeccompProfileError} from './seccomp/profile.js'
import {LOCALHOST_PROFILES_ANNOTATION} from '../../manifests/seccomp-localhost.js'
import type {Container, DownwardItem, KeyToPath, PodSpec, Probe, ResourceFieldRef, Volume} from './pod-spec.js'
import {isSopsSecret, plainSecret} from '../../secrets/secret-values.js'

/**
 * A pod bundle: relative path → file content. Plain files only (argv and env
 * NUL-separated, limits as numbers, mounts as NUL-separated records,
 * ConfigMap/Secret contents as files), so the host never parses JSON and
 * never evaluates a user string. Layout: src/host/protocol.md.
 */
export type BundleTree = Map<string, Buffer>

/**
 * What the image code resolved for one image reference (see
 * `fromResolvedImage` for the images code's ResolvedImage).
 */
export interface ImageConfig {
  /** layer digests (`sha256:…`) in OCI order: bottom layer first */
  layers: string[]
  entrypoint?: string[]
  cmd?: string[]
  /** `NAME=value` entries */
  env?: string[]
  workingDir?: string
}

export interface ConfigMapData {
  data?: Record<string, string>
  /** base64 */
  binaryData?: Record<string, string>
}

export interface SecretData {
  /** base64, as in the Secret object */
  data?: Record<string, string>
  stringData?: Record<string, string>
  /** a SOPS Secret's `sops:` block: its values are `ENC[…]`, decrypted here in memory (src/secrets/) */
  sops?: unknown
  /** `namespace/name`, for messages about a SOPS Secret that does not decrypt */
  name?: string
}

export interface BundleInputs {
  pod: KubeObject
  specHash: string
  /** resolves a container's `image` to its layers and config */
  image: (ref: string) => ImageConfig
  /** by name, in the pod's namespace */
  configMaps?: Record<string, ConfigMapData>
  secrets?: Record<string, SecretData>
  /** pids limit per container (the kubelet's podPidsLimit); none when absent */
  pidsLimit?: number
  /**
   * Content hashes of ConfigMap/Secret volumes by volume name, as reconcile
   * computes them (`podVolumeHashes`); the host stores and reports them back.
   * Volumes missing here get a hash of their files.
   */
  volumeHashes?: Record<string, string>
  /** TEST ONLY: base restart backoff in seconds instead of 10 (written to meta/backoff) */
  testBackoffSeconds?: number
  /** the pod network (docs/networking.md); absent: loopback only, as before `network:` */
  network?: PodNetwork
}

/** What the pod network gives one pod, computed by the caller from the state (src/net/). */
export interface PodNetwork {
  /** the pod's own IP: `meta/net/ip`, the runtime's CNI ADD asks host-local for it; absent for hostNetwork */
  ip?: string
  /** the node's address: status.hostIP, and status.podIP of a hostNetwork pod */
  hostIP?: string
  /** the pod's resolv.conf (dnsPolicy); absent: the host's */
  resolvConf?: string
  /** Kubernetes' service variables (enableServiceLinks), under the container's own env */
  serviceEnv: {name: string; value: string}[]
  /** the portmap plugin's runtimeConfig.portMappings JSON, when a container has a hostPort */
  portMappings?: string
}

/** Thrown when a pod cannot be compiled (missing key, bad port name); a user error upstream. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BundleError'
  }
}

const nul = (items: string[]): Buffer => Buffer.from(items.map((s) => s + '\0').join(''))
const line = (s: string | number): Buffer => Buffer.from(`${s}\n`)
const pad = (i: number): string => String(i).padStart(2, '0')

/** Kubernetes' `$(VAR)` expansion of command, args and env values; `$$` escapes a `$`. Undefined references stay literal. */
export function expandVars(s: string, vars: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$'
    return name !== undefined && vars.has(name) ? vars.get(name)! : m
  })
}

/** CPU shares (v1) from the request: max(2, milliCPU*1024/1000), as the kubelet computes them. */
export function cpuShares(requestMilli: number): number {
  return Math.max(2, Math.floor((requestMilli * 1024) / 1000))
}

/** CFS quota from the limit: milliCPU * period / 1000, at least 1000 µs (the kubelet's minimum). */
export function cpuQuota(limitMilli: number, period = 100000): number {
  return Math.max(1000, Math.floor((limitMilli * period) / 1000))
}

/** cgroup v2 cpu.weight from v1 shares, the kubelet's conversion. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142)
}

function decodeSecret(s: SecretData): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  if (isSopsSecret(s)) {
    try {
      s = plainSecret(s.name ?? '(unnamed)', s)
    } catch (e) {
      throw new BundleError((e as Error).message)
    }
  }
  for (const [k, v] of Object.entries(s.data ?? {})) out.set(k, Buffer.from(v, 'base64'))
  for (const [k, v] of Object.entries(s.stringData ?? {})) out.set(k, Buffer.from(v))
  return out
}

function configMapFiles(c: ConfigMapData): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const [k, v] of Object.entries(c.data ?? {})) out.set(k, Buffer.from(v))
  for (const [k, v] of Object.entries(c.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'))
  return out
}

/** A volume-relative file path: no absolute paths, no `..`, no empty parts. */
function checkRelPath(p: string, what: string): string {
  const parts = p.split('/')
  if (p.startsWith('/') || parts.some((x) => x === '..' || x === '') || p.includes('\0'))
    throw new BundleError(`${what}: path ${JSON.stringify(p)} must be relative without ".."`)
  return p
}

function fieldValue(pod: KubeObject, fieldPath: string, net?: PodNetwork): string {
  const m = pod.metadata
  switch (fieldPath) {
    case 'metadata.name': return m.name
    case 'metadata.namespace': return m.namespace ?? 'default'
    case 'metadata.uid': return m.uid ?? ''
    case 'spec.nodeName': return String((pod.spec as Record<string, unknown>)?.nodeName ?? '')
    case 'spec.serviceAccountName': return String((pod.spec as Record<string, unknown>)?.serviceAccountName ?? 'default')
    case 'status.podIP': return net?.ip ?? (net && (pod.spec as {hostNetwork?: boolean})?.hostNetwork ? net.hostIP ?? '' : '127.0.0.1')
    case 'status.hostIP': return net?.hostIP ?? ''
    case 'metadata.labels':
      return Object.entries(m.labels ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).sort().join('\n')
    case 'metadata.annotations':
      return Object.entries(m.annotations ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).sort().join('\n')
  }
  const lab = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath)
  if (lab) return (lab[1] === 'labels' ? m.labels : m.annotations)?.[lab[2]] ?? ''
  throw new BundleError(`fieldRef ${fieldPath} is not supported`)
}

/**
 * The downward API's resourceFieldRef (kubelet ExtractContainerResourceValue):
 * cpu as ceil(millicores / divisor), the others as ceil(bytes / divisor),
 * divisor 1 by default. A limit the container does not set is, in
 * Kubernetes, the node's allocatable amount; the bundle does not know it, so
 * the value is left out (undefined) and the variable is not set, which
 * leaves the program to its own default (runtime.NumCPU() and the like).
 */
function resourceValue(pod: KubeObject, current: string | undefined, ref: ResourceFieldRef): string | undefined {
  const containers = [...(((pod.spec ?? {}) as PodSpec).containers ?? []), ...(((pod.spec ?? {}) as PodSpec).initContainers ?? [])]
  const name = ref.containerName || current
  const c = containers.find((x) => x.name === name)
  if (!c) throw new BundleError(`resourceFieldRef: no container ${JSON.stringify(name ?? '')} in the pod`)
  const m = /^(limits|requests)\.(.+)$/.exec(ref.resource)
  if (!m) throw new BundleError(`resourceFieldRef: resource ${JSON.stringify(ref.resource)} is not supported`)
  const q = c.resources?.[m[1] as 'limits' | 'requests']?.[m[2]] ?? (m[1] === 'limits' ? undefined : 0)
  if (q === undefined) return undefined
  const divisor = ref.divisor ?? 1
  if (m[2] === 'cpu') return String(Math.ceil(milliCPU(q) / Math.max(1, milliCPU(divisor))))
  return String(Math.ceil(bytes(q) / Math.max(1, bytes(divisor))))
}

/**
 * Compiles a pod into its bundle. Pure: same inputs, same tree (the spec
 * hash is given by the caller). Throws BundleError for references that do
 * not resolve.
 */
export function buildPodBundle(inp: BundleInputs): BundleTree {
  const {pod} = inp
  const spec = pod.spec as PodSpec
  const ns = pod.metadata.namespace ?? 'default'
  const t: BundleTree = new Map()
  if (!/^[a-z0-9]+$/.test(inp.specHash)) throw new BundleError('spec hash must be [a-z0-9]+')
  t.set('meta/hash', line(inp.specHash))
  t.set('meta/namespace', line(encodeURIComponent(ns)))
  t.set('meta/name', line(encodeURIComponent(pod.metadata.name)))
  t.set('meta/grace', line(Math.max(0, Math.floor(spec.terminationGracePeriodSeconds ?? 30))))
  t.set('meta/restart', line(spec.restartPolicy ?? 'Always'))
  const flags = (['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace'] as const).filter((f) => spec[f])
  t.set('meta/flags', line(flags.join(' ')))
  if (inp.testBackoffSeconds !== undefined) t.set('meta/backoff', line(Math.max(0, Math.floor(inp.testBackoffSeconds))))

  // The init layer: what Docker puts in its "-init" layer.
  const hostname = (spec.hostname ?? pod.metadata.name).slice(0, 63)
  t.set('etc/hostname', line(hostname))
  let hosts = `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\t${hostname}\n`
  for (const a of spec.hostAliases ?? []) hosts += `# Entries added by HostAliases.\n${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`
  t.set('etc/hosts', Buffer.from(hosts))
  if (inp.network) {
    if (inp.network.resolvConf !== undefined) t.set('etc/resolv.conf', Buffer.from(inp.network.resolvConf))
    if (inp.network.ip && !spec.hostNetwork) t.set('meta/net/ip', line(inp.network.ip))
    if (inp.network.portMappings && !spec.hostNetwork) t.set('meta/net/portmappings', Buffer.from(inp.network.portMappings))
  } else if (spec.dnsConfig) {
    const d = spec.dnsConfig
    let r = (d.nameservers ?? []).map((n) => `nameserver ${n}\n`).join('')
    if (d.searches?.length) r += `search ${d.searches.join(' ')}\n`
    if (d.options?.length) r += `options ${d.options.map((o) => (o.value ? `${o.name}:${o.value}` : o.name)).join(' ')}\n`
    t.set('etc/resolv.conf', Buffer.from(r))
  }

  const volIndex = new Map<string, {idx: string; readOnly: boolean}>()
  ;(spec.volumes ?? []).forEach((v, i) => {
    const idx = pad(i)
    volIndex.set(v.name, {idx, readOnly: addVolume(t, `volumes/${idx}`, v, inp, ns)})
  })

  const addContainer = (c: Container, dir: string) => {
    t.set(`${dir}/name`, line(encodeURIComponent(c.name)))
    const img = inp.image(c.image)
    t.set(`${dir}/layers`, Buffer.from([...img.layers].reverse().map((l) => `${l}\n`).join('')))
    // Environment: image env, then the Services' variables (the kubelet's base map), then
    // envFrom, then env (later wins), with $(VAR) expansion.
    const env = new Map<string, string>()
    for (const e of img.env ?? []) {
      const i = e.indexOf('=')
      if (i > 0) env.set(e.slice(0, i), e.slice(i + 1))
    }
    for (const e of inp.network?.serviceEnv ?? []) env.set(e.name, e.value)
    for (const ef of c.envFrom ?? []) {
      const prefix = ef.prefix ?? ''
      if (ef.configMapRef) for (const [k, v] of configMapFiles(need(inp.configMaps, ef.configMapRef.name, 'ConfigMap'))) env.set(prefix + k, v.toString())
      if (ef.secretRef) for (const [k, v] of decodeSecret(need(inp.secrets, ef.secretRef.name, 'Secret'))) env.set(prefix + k, v.toString())
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef) {
        const r = e.valueFrom.configMapKeyRef
        const v = inp.configMaps?.[r.name] ? configMapFiles(inp.configMaps[r.name]).get(r.key) : undefined
        if (v === undefined && !r.optional) throw new BundleError(`env ${e.name}: ConfigMap ${r.name} has no key ${r.key}`)
        if (v !== undefined) env.set(e.name, v.toString())
      } else if (e.valueFrom?.secretKeyRef) {
        const r = e.valueFrom.secretKeyRef
        const v = inp.secrets?.[r.name] ? decodeSecret(inp.secrets[r.name]).get(r.key) : undefined
        if (v === undefined && !r.optional) throw new BundleError(`env ${e.name}: Secret ${r.name} has no key ${r.key}`)
        if (v !== undefined) env.set(e.name, v.toString())
      } else if (e.valueFrom?.fieldRef) {
        env.set(e.name, fieldValue(pod, e.valueFrom.fieldRef.fieldPath, inp.network))
      } else if (e.valueFrom?.resourceFieldRef) {
        const v = resourceValue(pod, c.name, e.valueFrom.resourceFieldRef)
        if (v !== undefined) env.set(e.name, v)
      } else if (e.valueFrom) {
        // a source tsctl does not serve (fileKeyRef; validation warned): the variable is not set
        continue
      } else {
        env.set(e.name, expandVars(e.value ?? '', env))
      }
    }
    if (!env.has('PATH')) env.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    if (!env.has('HOSTNAME')) env.set('HOSTNAME', hostname)
    const entries = [...env].map(([k, v]) => `${k}=${v}`)
    for (const e of entries) if (e.includes('\0')) throw new BundleError(`container ${c.name}: env contains a NUL byte`)
    t.set(`${dir}/env`, nul(entries))
    // command replaces the entrypoint (and drops the image cmd); args replace cmd.
    const argv = [...(c.command ?? img.entrypoint ?? []), ...(c.args ?? (c.command ? [] : img.cmd ?? []))].map((a) => expandVars(a, env))
    if (argv.length === 0) throw new BundleError(`container ${c.name}: no command (the image has no entrypoint)`)
    if (argv.some((a) => a.includes('\0'))) throw new BundleError(`container ${c.name}: argument contains a NUL byte`)
    t.set(`${dir}/argv`, nul(argv))
    t.set(`${dir}/cwd`, Buffer.from(c.workingDir ?? img.workingDir ?? '/'))
    const sc = {...spec.securityContext, ...c.securityContext}
    t.set(`${dir}/user`, line(`${sc.runAsUser ?? 0} ${sc.runAsGroup ?? 0}`))
    const cflags: string[] = []
    if (sc.privileged) cflags.push('privileged')
    const caps = resolveCapabilities(c.securityContext?.capabilities)
    if (caps.unknown.length) throw new BundleError(`container ${c.name}: unknown capabilit${caps.unknown.length > 1 ? 'ies' : 'y'} ${caps.unknown.join(', ')}`)
    t.set(`${dir}/caps`, line(caps.names.map((n) => CAPABILITIES.get(n)).join(' ')))
    // no_new_privs unless escalation is asked for or implied (privileged, CAP_SYS_ADMIN): the
    // default Kubernetes' restricted level and PodSecurityPolicy gave, not the kubelet's (unset = off).
    if (!(sc.allowPrivilegeEscalation ?? (sc.privileged || caps.names.includes('SYS_ADMIN')))) cflags.push('noNewPrivs')
    for (const [arch, filter] of seccompFilters(c, spec, pod.metadata.annotations, caps.names)) t.set(`${dir}/seccomp-${arch}`, filter)
    if (sc.readOnlyRootFilesystem) cflags.push('readOnlyRoot')
    t.set(`${dir}/flags`, line(cflags.join(' ')))
    const req = c.resources?.requests ?? {}
    const lim = c.resources?.limits ?? {}
    // Kubernetes: a request defaults to the limit when only the limit is set.
    const cpuReq = milliCPU(req.cpu ?? lim.cpu)
    let limits = `cpu_shares ${cpuShares(cpuReq)}\n`
    if (lim.cpu !== undefined) limits += `cpu_quota ${cpuQuota(milliCPU(lim.cpu))}\ncpu_period 100000\n`
    if (lim.memory !== undefined) limits += `memory ${bytes(lim.memory)}\n`
    if (inp.pidsLimit !== undefined) limits += `pids ${inp.pidsLimit}\n`
    t.set(`${dir}/limits`, Buffer.from(limits))
    const mounts: string[] = []
    for (const m of c.volumeMounts ?? []) {
      const v = volIndex.get(m.name)
      if (!v) throw new BundleError(`container ${c.name}: volumeMount ${m.name} names no volume`)
      if (m.subPath) checkRelPath(m.subPath, `container ${c.name}: subPath`)
      if (!m.mountPath.startsWith('/')) throw new BundleError(`container ${c.name}: mountPath must be absolute`)
      mounts.push(v.idx, m.mountPath, m.subPath ?? '', m.readOnly || v.readOnly ? 'ro' : 'rw')
    }
    t.set(`${dir}/mounts`, nul(mounts))
    const probes: [string, Probe | undefined][] = [['liveness', c.livenessProbe], ['readiness', c.readinessProbe], ['startup', c.startupProbe]]
    for (const [kind, p] of probes) if (p) addProbe(t, `${dir}/probes/${kind}`, p, c)
    const post = c.lifecycle?.postStart?.exec?.command
    if (post?.length) t.set(`${dir}/hooks/poststart`, nul(post))
    const pre = c.lifecycle?.preStop?.exec?.command
    if (pre?.length) t.set(`${dir}/hooks/prestop`, nul(pre))
  }
  ;(spec.initContainers ?? []).forEach((c, i) => addContainer(c, `containers/i${pad(i)}`))
  spec.containers.forEach((c, i) => addContainer(c, `containers/c${pad(i)}`))
  return t
}

/**
 * The container's seccomp filter for each host architecture tsctl ships
 * (tsctl-init picks its own), or none when Unconfined or privileged.
 * Container level overrides pod level; unset is RuntimeDefault, as with the
 * kubelet's --seccomp-default (plain Kubernetes' default is Unconfined).
 * The default profile's rules depend on the capabilities (CAP_SYS_ADMIN
 * allows mount, unshare, …), so the filter is compiled for the container's
 * set; compiled filters are kept, as most containers share a set.
 */
function seccompFilters(c: Container, spec: PodSpec, annotations: Record<string, string> | undefined, caps: string[]): [SeccompArch, Buffer][] {
  const profile = c.securityContext?.seccompProfile ?? spec.securityContext?.seccompProfile ?? {type: 'RuntimeDefault'}
  if (c.securityContext?.privileged || profile.type === 'Unconfined') return []
  if (profile.type === 'Localhost') return localhostFilters(c, profile.localhostProfile ?? '', annotations, caps)
  if (profile.type !== 'RuntimeDefault') throw new BundleError(`container ${c.name}: seccompProfile type ${profile.type} is not supported (use RuntimeDefault, Localhost or Unconfined)`)
  const key = caps.join(',')
  let filters = compiledDefault.get(key)
  if (!filters) {
    const names = new Set(caps.map((n) => `CAP_${n}`))
    filters = (['amd64', 'arm64'] as const).map((arch) => [arch, compileSeccomp(DEFAULT_PROFILE, arch, names)])
    compiledDefault.set(key, filters)
  }
  return filters
}
const compiledDefault = new Map<string, [SeccompArch, Buffer][]>()

/** A Localhost profile travels with the pod template (manifests/seccomp-localhost.ts); compiled like the default. */
function localhostFilters(c: Container, path: string, annotations: Record<string, string> | undefined, caps: string[]): [SeccompArch, Buffer][] {
  let text: string | undefined
  try {
    text = (JSON.parse(annotations?.[LOCALHOST_PROFILES_ANNOTATION] ?? '{}') as Record<string, string>)[path]
  } catch {
    text = undefined
  }
  if (text === undefined) throw new BundleError(`container ${c.name}: seccomp profile ${path} was not loaded with the manifests`)
  const names = new Set(caps.map((n) => `CAP_${n}`))
  try {
    const profile = parseProfile(text, path)
    return (['amd64', 'arm64'] as const).map((arch) => [arch, compileSeccomp(profile, arch, names)])
  } catch (e) {
    if (e instanceof SeccompProfileError) throw new BundleError(`container ${c.name}: ${e.message}`)
    throw e
  }
}

function need<T>(m: Record<string, T> | undefined, name: string, kind: string): T {
  const v = m?.[name]
  if (!v) throw new BundleError(`${kind} ${name} not found`)
  return v
}

function addProbe(t: BundleTree, dir: string, p: Probe, c: Container): void {
  const port = (x: number | string): number => {
    if (typeof x === 'number') return x
    if (/^\d+$/.test(x)) return Number(x)
    const found = c.ports?.find((cp) => cp.name === x)
    if (!found) throw new BundleError(`container ${c.name}: probe port ${x} names no container port`)
    return found.containerPort
  }
  if (p.exec) {
    t.set(`${dir}/kind`, line('exec'))
    t.set(`${dir}/argv`, nul(p.exec.command ?? []))
  } else if (p.httpGet) {
    const path = p.httpGet.path ?? '/'
    if (/[\s\0]/.test(path)) throw new BundleError(`container ${c.name}: httpGet path has whitespace`)
    t.set(`${dir}/kind`, line('http'))
    t.set(`${dir}/port`, line(port(p.httpGet.port)))
    t.set(`${dir}/path`, line(path))
  } else if (p.tcpSocket) {
    t.set(`${dir}/kind`, line('tcp'))
    t.set(`${dir}/port`, line(port(p.tcpSocket.port)))
  } else throw new BundleError(`container ${c.name}: probe has no handler`)
  // Kubernetes' defaults.
  t.set(`${dir}/delay`, line(p.initialDelaySeconds ?? 0))
  t.set(`${dir}/period`, line(p.periodSeconds ?? 10))
  t.set(`${dir}/timeout`, line(p.timeoutSeconds ?? 1))
  t.set(`${dir}/success`, line(p.successThreshold ?? 1))
  t.set(`${dir}/failure`, line(p.failureThreshold ?? 3))
}

/** Content hash of a files volume, as `status` reports it back (vol lines). */
export function filesHash(files: Map<string, Buffer>, mode: number): string {
  const h = createHash('sha256')
  h.update(mode.toString(8))
  for (const [k, v] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    h.update(k).update('\0').update(String(v.length)).update('\0').update(v)
  }
  return h.digest('hex').slice(0, 16)
}

function pickItems(src: Map<string, Buffer>, items: KeyToPath[] | undefined, what: string, optional = false): Map<string, Buffer> {
  if (!items?.length) return src
  const out = new Map<string, Buffer>()
  for (const it of items) {
    const v = src.get(it.key)
    if (v === undefined) {
      if (optional) continue
      throw new BundleError(`${what} has no key ${it.key}`)
    }
    out.set(checkRelPath(it.path, what), v)
  }
  return out
}

function downward(pod: KubeObject, items: DownwardItem[] | undefined, net?: PodNetwork): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const it of items ?? []) {
    if (it.fieldRef) out.set(checkRelPath(it.path, 'downwardAPI'), Buffer.from(fieldValue(pod, it.fieldRef.fieldPath, net)))
    else if (it.resourceFieldRef) {
      // a volume item must name its container (validation, as Kubernetes)
      const v = resourceValue(pod, undefined, it.resourceFieldRef)
      if (v !== undefined) out.set(checkRelPath(it.path, 'downwardAPI'), Buffer.from(v))
    }
  }
  return out
}

/**
 * The files of a ConfigMap/Secret/projected/downwardAPI volume, its mode and
 * whether it must live on tmpfs; undefined for other volume kinds. Exported so
 * the executor can compute an updateFiles payload with the same rules.
 */
export function volumeFiles(v: Volume, inp: Pick<BundleInputs, 'pod' | 'configMaps' | 'secrets' | 'network'>): {files: Map<string, Buffer>; mode: number; secret: boolean} | undefined {
  if (v.configMap) {
    const cm = inp.configMaps?.[v.configMap.name]
    if (!cm && !v.configMap.optional) throw new BundleError(`volume ${v.name}: ConfigMap ${v.configMap.name} not found`)
    return {files: pickItems(cm ? configMapFiles(cm) : new Map(), v.configMap.items, `ConfigMap ${v.configMap.name}`, v.configMap.optional), mode: v.configMap.defaultMode ?? 0o644, secret: false}
  }
  if (v.secret) {
    const s = inp.secrets?.[v.secret.secretName]
    if (!s && !v.secret.optional) throw new BundleError(`volume ${v.name}: Secret ${v.secret.secretName} not found`)
    return {files: pickItems(s ? decodeSecret(s) : new Map(), v.secret.items, `Secret ${v.secret.secretName}`, v.secret.optional), mode: v.secret.defaultMode ?? 0o644, secret: true}
  }
  if (v.downwardAPI) return {files: downward(inp.pod, v.downwardAPI.items, inp.network), mode: v.downwardAPI.defaultMode ?? 0o644, secret: false}
  if (v.projected) {
    const files = new Map<string, Buffer>()
    let secret = false
    for (const s of v.projected.sources ?? []) {
      let part = new Map<string, Buffer>()
      if (s.configMap) part = pickItems(configMapFiles(need(inp.configMaps, s.configMap.name, 'ConfigMap')), s.configMap.items, `ConfigMap ${s.configMap.name}`)
      if (s.secret) {
        secret = true
        part = pickItems(decodeSecret(need(inp.secrets, s.secret.name, 'Secret')), s.secret.items, `Secret ${s.secret.name}`)
      }
      if (s.downwardAPI) part = downward(inp.pod, s.downwardAPI.items, inp.network)
      for (const [k, b] of part) files.set(k, b)
    }
    return {files, mode: v.projected.defaultMode ?? 0o644, secret}
  }
  return undefined
}

/** `items[].mode` of a volume's sources: the file's mode instead of defaultMode, as the kubelet applies it. */
function itemModes(v: Volume): [string, number][] {
  const lists = [v.configMap?.items, v.secret?.items, v.downwardAPI?.items, ...(v.projected?.sources ?? []).flatMap((s) => [s.configMap?.items, s.secret?.items, s.downwardAPI?.items])]
  const out: [string, number][] = []
  for (const items of lists) for (const it of items ?? []) if (it.mode !== undefined) out.push([it.path, it.mode & 0o7777])
  return out
}

/** Adds volumes/NN; returns whether the volume is always mounted read-only. */
function addVolume(t: BundleTree, dir: string, v: Volume, inp: BundleInputs, ns: string): boolean {
  t.set(`${dir}/name`, line(encodeURIComponent(v.name)))
  const fv = volumeFiles(v, inp)
  if (fv) {
    t.set(`${dir}/kind`, line(fv.secret ? 'secret' : 'files'))
    t.set(`${dir}/mode`, line('0' + fv.mode.toString(8).padStart(3, '0')))
    const given = inp.volumeHashes?.[v.name]
    t.set(`${dir}/hash`, line(given !== undefined && /^[a-z0-9]+$/.test(given) ? given : filesHash(fv.files, fv.mode)))
    for (const [k, b] of fv.files) t.set(`${dir}/data/${checkRelPath(k, `volume ${v.name}`)}`, b)
    const modes = itemModes(v).filter(([path]) => fv.files.has(path))
    if (modes.length) t.set(`${dir}/modes`, nul(modes.flatMap(([path, mode]) => [path, '0' + mode.toString(8).padStart(3, '0')])))
    return true
  }
  if (v.emptyDir) {
    t.set(`${dir}/kind`, line(v.emptyDir.medium === 'Memory' ? 'emptyDirMemory' : 'emptyDir'))
    return false
  }
  if (v.hostPath) {
    if (!v.hostPath.path.startsWith('/')) throw new BundleError(`volume ${v.name}: hostPath must be absolute`)
    t.set(`${dir}/kind`, line('hostPath'))
    t.set(`${dir}/source`, Buffer.from(v.hostPath.path))
    const types = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice']
    if (!types.includes(v.hostPath.type ?? '')) throw new BundleError(`volume ${v.name}: hostPath type ${v.hostPath.type} is not one of ${types.filter(Boolean).join(', ')}`)
    if (v.hostPath.type) t.set(`${dir}/type`, line(v.hostPath.type))
    return false
  }
  if (v.persistentVolumeClaim) {
    t.set(`${dir}/kind`, line('pvc'))
    t.set(`${dir}/source`, line(claimDirName(ns, v.persistentVolumeClaim.claimName)))
    return v.persistentVolumeClaim.readOnly ?? false
  }
  throw new BundleError(`volume ${v.name}: unsupported volume source`)
}

/** The host directory name of a claim: `namespace.claim`, DNS-1123 characters only. */
export function claimDirName(namespace: string, claim: string): string {
  const name = `${namespace}.${claim}`
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new BundleError(`claim ${claim}: not a DNS-1123 name`)
  return name
}

/** The bundle's view of an image resolved by src/images: layers are the diff_ids, the host's layer keys. */
export function fromResolvedImage(img: {layers: {diffId: string}[]; config: {env: string[]; entrypoint: string[]; cmd: string[]; workingDir: string}}): ImageConfig {
  return {
    layers: img.layers.map((l) => l.diffId),
    entrypoint: img.config.entrypoint.length ? img.config.entrypoint : undefined,
    cmd: img.config.cmd.length ? img.config.cmd : undefined,
    env: img.config.env,
    workingDir: img.config.workingDir || undefined,
  }
}
