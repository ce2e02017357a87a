/**
 * Kubernetes' Pod Security Standards, checked the way pod-security-admission
 * checks them at policy version "latest" (staging/src/k8s.io/pod-security-admission/policy).
 * Pure: a pod's metadata and spec in, the failed checks out, in kube's order
 * and with kube's reason and detail strings, so a rejection reads exactly as
 * `kubectl apply` would print it against a namespace enforcing that level.
 *
 * Each check is the newest revision of its check_*.go; older policy versions
 * are not modelled because tsctl has no `enforce-version` to pin.
 */

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted'

/**
 * One failed check. `reason` and `detail` are kube's ForbiddenReason and
 * ForbiddenDetail; `pointers` are JSON pointers into the pod spec (not the
 * whole object) of the fields at fault, or of the nearest field that exists
 * when the fault is a field left unset. Annotations live outside the spec,
 * so a violation found only in annotations has no pointer for them.
 */
export interface PodSecurityViolation {
  reason: string
  detail: string
  pointers: string[]
}

type Maybe<T> = T | null | undefined

interface HandlerLike {
  httpGet?: Maybe<{host?: Maybe<string>}>
  tcpSocket?: Maybe<{host?: Maybe<string>}>
}

interface SELinuxOptionsLike {
  type?: Maybe<string>
  user?: Maybe<string>
  role?: Maybe<string>
  level?: Maybe<string>
}

interface ProfileLike {
  type?: Maybe<string>
}

interface SecurityContextLike {
  privileged?: Maybe<boolean>
  allowPrivilegeEscalation?: Maybe<boolean>
  capabilities?: Maybe<{add?: Maybe<string[]>; drop?: Maybe<string[]>}>
  procMount?: Maybe<string>
  runAsNonRoot?: Maybe<boolean>
  runAsUser?: Maybe<number>
  seLinuxOptions?: Maybe<SELinuxOptionsLike>
  seccompProfile?: Maybe<ProfileLike>
  appArmorProfile?: Maybe<ProfileLike>
  windowsOptions?: Maybe<{hostProcess?: Maybe<boolean>}>
}

interface PodSecurityContextLike {
  runAsNonRoot?: Maybe<boolean>
  runAsUser?: Maybe<number>
  seLinuxOptions?: Maybe<SELinuxOptionsLike>
  seccompProfile?: Maybe<ProfileLike>
  appArmorProfile?: Maybe<ProfileLike>
  windowsOptions?: Maybe<{hostProcess?: Maybe<boolean>}>
  sysctls?: Maybe<{name?: Maybe<string>; value?: Maybe<string>}[]>
}

/** The fields of a container (init, regular or ephemeral) the checks read. */
export interface ContainerLike {
  name?: Maybe<string>
  ports?: Maybe<{hostPort?: Maybe<number>}[]>
  securityContext?: Maybe<SecurityContextLike>
  livenessProbe?: Maybe<HandlerLike>
  readinessProbe?: Maybe<HandlerLike>
  startupProbe?: Maybe<HandlerLike>
  lifecycle?: Maybe<{postStart?: Maybe<HandlerLike>; preStop?: Maybe<HandlerLike>}>
}

/** A volume: its name and one source, keyed by the source's field name. */
export interface VolumeLike {
  name?: Maybe<string>
  [source: string]: unknown
}

/** The fields of a pod spec the checks read; anything may be missing. */
export interface PodSpecLike {
  hostNetwork?: Maybe<boolean>
  hostPID?: Maybe<boolean>
  hostIPC?: Maybe<boolean>
  hostUsers?: Maybe<boolean>
  os?: Maybe<{name?: Maybe<string>}>
  securityContext?: Maybe<PodSecurityContextLike>
  initContainers?: Maybe<ContainerLike[]>
  containers?: Maybe<ContainerLike[]>
  ephemeralContainers?: Maybe<ContainerLike[]>
  volumes?: Maybe<VolumeLike[]>
}

interface PodMetaLike {
  annotations?: Record<string, string>
}

type CheckFn = (meta: PodMetaLike, spec: PodSpecLike) => PodSecurityViolation | undefined

interface Check {
  id: string
  level: 'baseline' | 'restricted'
  /** baseline checks this restricted check replaces, as kube's OverrideCheckIDs */
  overrides?: string[]
  run: CheckFn
}

// ---------------------------------------------------------------- helpers

interface Visited {
  c: ContainerLike
  at: string
}

/** kube's visitContainers order: init, regular, ephemeral. */
function _containers(spec: PodSpecLike): Visited[] {
  const out: Visited[] = []
  for (const list of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    ;(spec[list] ?? []).forEach((c, i) => {
      if (c) out.push({c, at: `/${list}/${i}`})
    })
  }
  return out
}

const _name = (c: ContainerLike): string => c.name ?? ''

function _pluralize(singular: string, plural: string, n: number): string {
  return n === 1 ? singular : plural
}

// Go's joinQuote: no escaping inside, just quotes around each item.
function _joinQuote(items: readonly string[]): string {
  return items.length === 0 ? '' : `"${items.join('", "')}"`
}

// Go's sets.List(): unique, sorted by bytes (ASCII order; no locale).
function _sorted(items: Iterable<string>): string[] {
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** "container "a"" / "containers "a", "b"" */
function _containersPhrase(names: readonly string[]): string {
  return `${_pluralize('container', 'containers', names.length)} ${_joinQuote(names)}`
}

const _goEscapes: Record<string, string> = {'"': '\\"', '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v'}

/** Go's %q for the strings annotations can hold (control characters as \xNN, C1 as \u00NN). */
function _goQuote(s: string): string {
  let out = '"'
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0
    if (_goEscapes[ch]) out += _goEscapes[ch]
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else if (code >= 0x80 && code <= 0x9f) out += `\\u${code.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return out + '"'
}

/** The deepest existing field on `path` below `at` (the pointer of `root`). */
function _nearest(at: string, root: unknown, path: readonly string[]): string {
  let p = at
  let v: unknown = root
  for (const key of path) {
    if (typeof v !== 'object' || v === null) break
    const next: unknown = (v as Record<string, unknown>)[key]
    if (next === undefined || next === null) break
    p += `/${key}`
    v = next
  }
  return p
}

const _isWindows = (spec: PodSpecLike): boolean => spec.os?.name === 'windows'

// KEP-127: from policy 1.35 a pod in a user namespace is not root on the host,
// so root-ness and an unmasked /proc stop mattering (baseline only for /proc).
const _inUserNamespace = (spec: PodSpecLike): boolean => spec.hostUsers === false

function _fail(reason: string, detail: string, pointers: string[]): PodSecurityViolation {
  return {reason, detail, pointers}
}

// ---------------------------------------------------------------- baseline

/** check_appArmorProfile.go: the field and the deprecated beta annotation both count. */
const annotationPrefix = 'container.apparmor.security.beta.kubernetes.io/'

function appArmorProfile(meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const {setters, values: badValues, pointers} = _explicitProfiles(spec, 'appArmorProfile')
  const annotations = Object.entries(meta.annotations ?? {})
    .filter(([k, v]) => k.startsWith(annotationPrefix) && !(v === '' || v === 'runtime/default' || v.startsWith('localhost/')))
    .map(([k, v]) => `${k}=${_goQuote(v)}`)
  if (annotations.length) {
    badValues.push(..._sorted(annotations))
    setters.push(_pluralize('annotation', 'annotations', annotations.length))
  }
  if (!setters.length) return undefined
  return _fail(
    _pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', badValues.length),
    `${setters.join(' and ')} must not set AppArmor profile type to ${_joinQuote(badValues)}`,
    pointers,
  )
}

/** check_capabilities_baseline.go: Docker's default set, without NET_RAW. */
const baselineCapabilities = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'])

function capabilitiesBaseline(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const bad: string[] = []
  const caps = new Set<string>()
  const pointers: string[] = []
  for (const {c, at} of _containers(spec)) {
    let valid = true
    ;(c.securityContext?.capabilities?.add ?? []).forEach((cap, j) => {
      if (baselineCapabilities.has(cap)) return
      valid = false
      caps.add(cap)
      pointers.push(`${at}/securityContext/capabilities/add/${j}`)
    })
    if (!valid) bad.push(_name(c))
  }
  if (!bad.length) return undefined
  return _fail('non-default capabilities', `${_containersPhrase(bad)} must not include ${_joinQuote(_sorted(caps))} in securityContext.capabilities.add`, pointers)
}

function hostNamespaces(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const found = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((f) => spec[f] === true)
  if (!found.length) return undefined
  return _fail('host namespaces', found.map((f) => `${f}=true`).join(', '), found.map((f) => `/${f}`))
}

function hostPathVolumes(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const bad: string[] = []
  const pointers: string[] = []
  ;(spec.volumes ?? []).forEach((v, i) => {
    if (v?.hostPath === undefined || v.hostPath === null) return
    bad.push(v.name ?? '')
    pointers.push(`/volumes/${i}/hostPath`)
  })
  if (!bad.length) return undefined
  return _fail('hostPath volumes', `${_pluralize('volume', 'volumes', bad.length)} ${_joinQuote(bad)}`, pointers)
}

function hostPorts(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const bad: string[] = []
  const ports = new Set<string>()
  const pointers: string[] = []
  for (const {c, at} of _containers(spec)) {
    let valid = true
    ;(c.ports ?? []).forEach((p, j) => {
      const port = p?.hostPort ?? 0
      if (port === 0) return
      valid = false
      ports.add(String(port))
      pointers.push(`${at}/ports/${j}/hostPort`)
    })
    if (!valid) bad.push(_name(c))
  }
  if (!bad.length) return undefined
  // kube sorts the ports as strings: "10, 8080, 9"
  const list = _sorted(ports)
  return _fail(
    'hostPort',
    `${_containersPhrase(bad)} ${_pluralize('uses', 'use', bad.length)} ${_pluralize('hostPort', 'hostPorts', list.length)} ${list.join(', ')}`,
    pointers,
  )
}

/** check_hostProbesAndhostLifecycle.go (1.34+): a probe or hook must target the pod itself. */
function hostProbesAndHostLifecycle(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const bad = new Set<string>()
  const hosts = new Set<string>()
  const pointers: string[] = []
  const look = (handler: Maybe<HandlerLike>, at: string, name: string): void => {
    if (!handler) return
    for (const action of ['httpGet', 'tcpSocket'] as const) {
      const host = handler[action]?.host
      if (!host) continue
      bad.add(name)
      hosts.add(host)
      pointers.push(`${at}/${action}/host`)
    }
  }
  for (const {c, at} of _containers(spec)) {
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) look(c[probe], `${at}/${probe}`, _name(c))
    for (const hook of ['postStart', 'preStop'] as const) look(c.lifecycle?.[hook], `${at}/lifecycle/${hook}`, _name(c))
  }
  if (!bad.size) return undefined
  // unlike most checks, kube collects the container names in a set: sorted, not in visit order
  const names = _sorted(bad)
  const list = _sorted(hosts)
  return _fail(
    'probe or lifecycle host',
    `${_containersPhrase(names)} ${_pluralize('uses', 'use', names.length)} ${_pluralize('probe or lifecycle host', 'probe or lifecycle hosts', list.length)} ${_joinQuote(list)}`,
    pointers,
  )
}

function privileged(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const bad = _containers(spec).filter(({c}) => c.securityContext?.privileged === true)
  if (!bad.length) return undefined
  return _fail(
    'privileged',
    `${_containersPhrase(bad.map(({c}) => _name(c)))} must not set securityContext.privileged=true`,
    bad.map(({at}) => `${at}/securityContext/privileged`),
  )
}

/** procMount_1_0: anything but the default masks, whatever the pod. */
function procMountStrict(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const bad: Visited[] = []
  const types = new Set<string>()
  for (const v of _containers(spec)) {
    const mount = v.c.securityContext?.procMount
    if (mount === undefined || mount === null || mount === 'Default') continue
    bad.push(v)
    types.add(mount)
  }
  if (!bad.length) return undefined
  return _fail(
    'procMount',
    `${_containersPhrase(bad.map(({c}) => _name(c)))} must not set securityContext.procMount to ${_joinQuote(_sorted(types))}`,
    bad.map(({at}) => `${at}/securityContext/procMount`),
  )
}

function procMountBaseline(meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  return _inUserNamespace(spec) ? undefined : procMountStrict(meta, spec)
}

/** check_seLinuxOptions.go, 1.31 set (container_engine_t added). */
const selinuxTypes = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'])

function seLinuxOptions(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const setters: string[] = []
  const types = new Set<string>()
  const pointers: string[] = []
  let setUser = false
  let setRole = false
  const valid = (o: SELinuxOptionsLike, at: string): boolean => {
    let ok = true
    const type = o.type ?? ''
    if (!selinuxTypes.has(type)) {
      ok = false
      types.add(type)
      pointers.push(`${at}/type`)
    }
    if (o.user) {
      ok = false
      setUser = true
      pointers.push(`${at}/user`)
    }
    if (o.role) {
      ok = false
      setRole = true
      pointers.push(`${at}/role`)
    }
    return ok
  }
  const podOptions = spec.securityContext?.seLinuxOptions
  if (podOptions && !valid(podOptions, '/securityContext/seLinuxOptions')) setters.push('pod')
  const bad: string[] = []
  for (const {c, at} of _containers(spec)) {
    const o = c.securityContext?.seLinuxOptions
    if (o && !valid(o, `${at}/securityContext/seLinuxOptions`)) bad.push(_name(c))
  }
  if (bad.length) setters.push(_containersPhrase(bad))
  if (!setters.length) return undefined
  const data: string[] = []
  if (types.size) data.push(`${_pluralize('type', 'types', types.size)} ${_joinQuote(_sorted(types))}`)
  if (setUser) data.push('user may not be set')
  if (setRole) data.push('role may not be set')
  return _fail('seLinuxOptions', `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`, pointers)
}

/** The profile types both standards accept, for seccomp and AppArmor alike. */
const _validSeccomp = (t: Maybe<string>): boolean => t === 'RuntimeDefault' || t === 'Localhost'

/**
 * Explicitly bad seccomp or AppArmor profiles (any type but RuntimeDefault
 * and Localhost), at pod and container level: shared by the AppArmor check
 * and the baseline and restricted seccomp checks, which word them alike.
 */
function _explicitProfiles(spec: PodSpecLike, field: 'seccompProfile' | 'appArmorProfile'): {setters: string[]; values: string[]; pointers: string[]} {
  const setters: string[] = []
  const values = new Set<string>()
  const pointers: string[] = []
  const podProfile = spec.securityContext?.[field]
  if (podProfile && !_validSeccomp(podProfile.type)) {
    setters.push('pod')
    values.add(podProfile.type ?? '')
    pointers.push(_nearest('', spec, ['securityContext', field, 'type']))
  }
  const bad: string[] = []
  for (const {c, at} of _containers(spec)) {
    const profile = c.securityContext?.[field]
    if (profile && !_validSeccomp(profile.type)) {
      bad.push(_name(c))
      values.add(profile.type ?? '')
      pointers.push(_nearest(at, c, ['securityContext', field, 'type']))
    }
  }
  if (bad.length) setters.push(_containersPhrase(bad))
  return {setters, values: _sorted(values), pointers}
}

/** seccompProfileBaseline_1_19: the field only; the alpha annotations stopped counting at 1.19. */
function seccompProfileBaseline(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const {setters, values, pointers} = _explicitProfiles(spec, 'seccompProfile')
  if (!setters.length) return undefined
  return _fail('seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${_joinQuote(values)}`, pointers)
}

/** check_sysctls.go, 1.32 set. */
const safeSysctls = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
])

function sysctls(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const bad: string[] = []
  const pointers: string[] = []
  ;(spec.securityContext?.sysctls ?? []).forEach((s, j) => {
    const name = s?.name ?? ''
    if (safeSysctls.has(name)) return
    bad.push(name)
    pointers.push(`/securityContext/sysctls/${j}/name`)
  })
  if (!bad.length) return undefined
  // in spec order, unlike the set-based lists of other checks
  return _fail('forbidden sysctls', bad.join(', '), pointers)
}

function windowsHostProcess(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const setters: string[] = []
  const pointers: string[] = []
  if (spec.securityContext?.windowsOptions?.hostProcess === true) {
    setters.push('pod')
    pointers.push('/securityContext/windowsOptions/hostProcess')
  }
  const bad = _containers(spec).filter(({c}) => c.securityContext?.windowsOptions?.hostProcess === true)
  if (bad.length) setters.push(_containersPhrase(bad.map(({c}) => _name(c))))
  pointers.push(...bad.map(({at}) => `${at}/securityContext/windowsOptions/hostProcess`))
  if (!setters.length) return undefined
  return _fail('hostProcess', `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`, pointers)
}

// ---------------------------------------------------------------- restricted

// From policy 1.25 a Windows pod is exempt from the Linux-only restricted fields:
// pod validation already refuses them there, so unset is the only possible value.

function allowPrivilegeEscalation(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  if (_isWindows(spec)) return undefined
  const bad = _containers(spec).filter(({c}) => c.securityContext?.allowPrivilegeEscalation !== false)
  if (!bad.length) return undefined
  return _fail(
    'allowPrivilegeEscalation != false',
    `${_containersPhrase(bad.map(({c}) => _name(c)))} must set securityContext.allowPrivilegeEscalation=false`,
    bad.map(({c, at}) => _nearest(at, c, ['securityContext', 'allowPrivilegeEscalation'])),
  )
}

function capabilitiesRestricted(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  if (_isWindows(spec)) return undefined
  const missingDropAll: string[] = []
  const adding: string[] = []
  const caps = new Set<string>()
  const dropPointers: string[] = []
  const addPointers: string[] = []
  for (const {c, at} of _containers(spec)) {
    const capabilities = c.securityContext?.capabilities
    if (!capabilities) {
      missingDropAll.push(_name(c))
      dropPointers.push(_nearest(at, c, ['securityContext', 'capabilities']))
      continue
    }
    if (!(capabilities.drop ?? []).includes('ALL')) {
      missingDropAll.push(_name(c))
      dropPointers.push(_nearest(at, c, ['securityContext', 'capabilities', 'drop']))
    }
    let addedForbidden = false
    ;(capabilities.add ?? []).forEach((cap, j) => {
      if (cap === 'NET_BIND_SERVICE') return
      addedForbidden = true
      caps.add(cap)
      addPointers.push(`${at}/securityContext/capabilities/add/${j}`)
    })
    if (addedForbidden) adding.push(_name(c))
  }
  const details: string[] = []
  if (missingDropAll.length) details.push(`${_containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`)
  if (adding.length) details.push(`${_containersPhrase(adding)} must not include ${_joinQuote(_sorted(caps))} in securityContext.capabilities.add`)
  if (!details.length) return undefined
  return _fail('unrestricted capabilities', details.join('; '), [...dropPointers, ...addPointers])
}

/** check_restrictedVolumes.go: the sources a pod may use; everything else is named by its field. */
const allowedVolumeSources = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret']
// kube's switch order; it names each source by its JSON field (so "cephfs", "storageos")
const restrictedVolumeSources = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs',
  'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos',
]

function restrictedVolumes(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  const bad: string[] = []
  const types = new Set<string>()
  const pointers: string[] = []
  const set = (v: VolumeLike, field: string): boolean => v[field] !== undefined && v[field] !== null
  ;(spec.volumes ?? []).forEach((v, i) => {
    if (!v || allowedVolumeSources.some((f) => set(v, f))) return
    bad.push(v.name ?? '')
    const known = restrictedVolumeSources.find((f) => set(v, f))
    types.add(known ?? 'unknown')
    pointers.push(known ? `/volumes/${i}/${known}` : `/volumes/${i}`)
  })
  if (!bad.length) return undefined
  const list = _sorted(types)
  return _fail(
    'restricted volume types',
    `${_pluralize('volume', 'volumes', bad.length)} ${_joinQuote(bad)} ${_pluralize('uses', 'use', bad.length)} ${_pluralize('restricted volume type', 'restricted volume types', list.length)} ${_joinQuote(list)}`,
    pointers,
  )
}

/**
 * The shape runAsNonRoot and seccompProfile share: a pod-level value covers
 * containers that leave theirs unset, so an unset container is only at fault
 * when the pod does not cover it, and an explicit bad value is reported first.
 */
function _implicitPointers(spec: PodSpecLike, bad: Visited[]): string[] {
  const pointers = bad.map(({c, at}) => _nearest(at, c, ['securityContext']))
  if (spec.securityContext) pointers.push('/securityContext')
  return pointers
}

function runAsNonRoot(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  if (_inUserNamespace(spec)) return undefined
  const setters: string[] = []
  const pointers: string[] = []
  const pod = spec.securityContext?.runAsNonRoot
  if (pod === false) {
    setters.push('pod')
    pointers.push('/securityContext/runAsNonRoot')
  }
  const explicit: Visited[] = []
  const implicit: Visited[] = []
  for (const v of _containers(spec)) {
    const value = v.c.securityContext?.runAsNonRoot
    if (value === false) explicit.push(v)
    else if ((value === undefined || value === null) && pod !== true) implicit.push(v)
  }
  if (explicit.length) {
    setters.push(_containersPhrase(explicit.map(({c}) => _name(c))))
    pointers.push(...explicit.map(({at}) => `${at}/securityContext/runAsNonRoot`))
  }
  if (setters.length) return _fail('runAsNonRoot != true', `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`, pointers)
  if (implicit.length) {
    return _fail('runAsNonRoot != true', `pod or ${_containersPhrase(implicit.map(({c}) => _name(c)))} must set securityContext.runAsNonRoot=true`, _implicitPointers(spec, implicit))
  }
  return undefined
}

function runAsUser(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  if (_inUserNamespace(spec)) return undefined
  const setters: string[] = []
  const pointers: string[] = []
  if (spec.securityContext?.runAsUser === 0) {
    setters.push('pod')
    pointers.push('/securityContext/runAsUser')
  }
  const bad = _containers(spec).filter(({c}) => c.securityContext?.runAsUser === 0)
  if (bad.length) setters.push(_containersPhrase(bad.map(({c}) => _name(c))))
  pointers.push(...bad.map(({at}) => `${at}/securityContext/runAsUser`))
  if (!setters.length) return undefined
  return _fail('runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`, pointers)
}

function seccompProfileRestricted(_meta: PodMetaLike, spec: PodSpecLike): PodSecurityViolation | undefined {
  if (_isWindows(spec)) return undefined
  const {setters, values, pointers} = _explicitProfiles(spec, 'seccompProfile')
  if (setters.length) return _fail('seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${_joinQuote(values)}`, pointers)
  const podSet = _validSeccomp(spec.securityContext?.seccompProfile?.type)
  if (podSet) return undefined
  const implicit = _containers(spec).filter(({c}) => !c.securityContext?.seccompProfile)
  if (!implicit.length) return undefined
  return _fail(
    'seccompProfile',
    `pod or ${_containersPhrase(implicit.map(({c}) => _name(c)))} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    _implicitPointers(spec, implicit),
  )
}

// ---------------------------------------------------------------- registry

const checks: Check[] = [
  {id: 'appArmorProfile', level: 'baseline', run: appArmorProfile},
  {id: 'capabilities_baseline', level: 'baseline', run: capabilitiesBaseline},
  {id: 'hostNamespaces', level: 'baseline', run: hostNamespaces},
  {id: 'hostPathVolumes', level: 'baseline', run: hostPathVolumes},
  {id: 'hostPorts', level: 'baseline', run: hostPorts},
  {id: 'hostProbesAndHostLifecycle', level: 'baseline', run: hostProbesAndHostLifecycle},
  {id: 'privileged', level: 'baseline', run: privileged},
  {id: 'procMount', level: 'baseline', run: procMountBaseline},
  {id: 'seLinuxOptions', level: 'baseline', run: seLinuxOptions},
  {id: 'seccompProfile_baseline', level: 'baseline', run: seccompProfileBaseline},
  {id: 'sysctls', level: 'baseline', run: sysctls},
  {id: 'windowsHostProcess', level: 'baseline', run: windowsHostProcess},
  {id: 'allowPrivilegeEscalation', level: 'restricted', run: allowPrivilegeEscalation},
  {id: 'capabilities_restricted', level: 'restricted', overrides: ['capabilities_baseline'], run: capabilitiesRestricted},
  {id: 'procMount_restricted', level: 'restricted', overrides: ['procMount'], run: procMountStrict},
  {id: 'restrictedVolumes', level: 'restricted', overrides: ['hostPathVolumes'], run: restrictedVolumes},
  {id: 'runAsNonRoot', level: 'restricted', run: runAsNonRoot},
  {id: 'runAsUser', level: 'restricted', run: runAsUser},
  {id: 'seccompProfile_restricted', level: 'restricted', overrides: ['seccompProfile_baseline'], run: seccompProfileRestricted},
]

// kube's registry.go orders results by check ID (byte order), baseline IDs
// before restricted ones; restricted drops the baseline checks it overrides.
const _byId = (a: Check, b: Check): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
const baselineChecks = checks.filter((c) => c.level === 'baseline').sort(_byId)
const overridden = new Set(checks.flatMap((c) => c.overrides ?? []))
const restrictedChecks = [...baselineChecks.filter((c) => !overridden.has(c.id)), ...checks.filter((c) => c.level === 'restricted').sort(_byId)]

/**
 * The checks `level` fails, in kube's order; [] for `privileged` or a pod
 * that passes. Pure and deterministic.
 */
export function checkPodSecurity(level: PodSecurityLevel, meta: {annotations?: Record<string, string>}, spec: PodSpecLike): PodSecurityViolation[] {
  if (level === 'privileged') return []
  const run = level === 'baseline' ? baselineChecks : restrictedChecks
  const out: PodSecurityViolation[] = []
  for (const check of run) {
    const v = check.run(meta, spec)
    if (v) out.push(v)
  }
  return out
}

/**
 * The admission error kube returns for these violations:
 * `violates PodSecurity "baseline:latest": privileged (container "x" must not set securityContext.privileged=true), …`
 * (AggregateCheckResult.ForbiddenDetail). '' when there is nothing to report.
 */
export function podSecurityMessage(level: PodSecurityLevel, violations: PodSecurityViolation[]): string {
  if (!violations.length) return ''
  const parts = violations.map((v) => {
    const reason = v.reason || 'unknown forbidden reason'
    return v.detail ? `${reason} (${v.detail})` : reason
  })
  return `violates PodSecurity "${level}:latest": ${parts.join(', ')}`
}
