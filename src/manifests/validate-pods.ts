/**
 * Checks inside one pod spec: container and volume names, mounts that name
 * a volume, ports, probes and hooks, resource quantities, and the restart
 * policy its owner kind allows.
 */
import {CAPABILITIES, capabilityName} from '../host/bundle/capabilities.js'
import {parseQuantity} from './quantity.js'
import {didYouMean} from './suggest.js'
import {checkDNS1123Label, checkPortName} from './names.js'
import {type Checked, type Loose, podSpecPointer, seg} from './object-view.js'
import type {DocRef, Report} from './report.js'

const volumeSources = ['emptyDir', 'hostPath', 'configMap', 'secret', 'projected', 'downwardAPI', 'persistentVolumeClaim', 'nfs', 'csi']

export function validatePods(c: Checked, report: Report): void {
  const pointer = podSpecPointer(c.kind)
  if (!pointer) return
  const spec = pointer.split('/').slice(1).reduce((v: Loose, k) => v?.[k], c.object)
  if (!spec) return
  const at = c.at
  checkRestartPolicy(c, pointer, spec, report)
  if (spec.securityContext) checkSeccomp(at, `${pointer}/securityContext`, spec.securityContext, report)

  // volumes
  const volumes = new Set<string>()
  ;(spec.volumes ?? []).forEach((v: Loose, i: number) => {
    const p = `${pointer}/volumes/${i}`
    const bad = checkDNS1123Label(v.name)
    if (bad) report.error(at, `${p}/name`, `invalid volume name: ${bad}`)
    if (volumes.has(v.name)) report.error(at, `${p}/name`, `duplicate volume name "${v.name}"`, 'each volume needs its own name')
    volumes.add(v.name)
    const sources = volumeSources.filter((s) => v[s] !== undefined)
    if (sources.length > 1) report.error(at, p, `volume "${v.name}" has ${sources.length} sources (${sources.join(', ')})`, 'a volume has exactly one source')
    if (v.emptyDir?.sizeLimit !== undefined) checkQuantity(at, `${p}/emptyDir/sizeLimit`, v.emptyDir.sizeLimit, report)
    if (v.hostPath && !String(v.hostPath.path).startsWith('/')) report.error(at, `${p}/hostPath/path`, 'hostPath.path must be absolute')
  })
  // a StatefulSet's claim templates are mounted by name like volumes
  const claims = new Set<string>((c.kind === 'StatefulSet' ? c.object.spec.volumeClaimTemplates ?? [] : []).map((t: Loose) => t.metadata.name))

  // containers
  const names = new Map<string, string>()
  for (const list of ['initContainers', 'containers'] as const) {
    ;(spec[list] ?? []).forEach((ct: Loose, i: number) => {
      const p = `${pointer}/${list}/${i}`
      const bad = checkDNS1123Label(ct.name)
      if (bad) report.error(at, `${p}/name`, `invalid container name: ${bad}`)
      if (names.has(ct.name)) report.error(at, `${p}/name`, `duplicate container name "${ct.name}"`, `also used at ${names.get(ct.name)}; container names are unique across containers and initContainers`)
      else names.set(ct.name, `${list}[${i}]`)
      if (typeof ct.image === 'string' && ct.image.trim() === '') report.error(at, `${p}/image`, 'image must not be empty')
      checkContainer(at, p, ct, volumes, claims, report)
    })
  }
}

/** Kubernetes' rules for localhostProfile; tsctl reads it from the commit (seccomp-localhost.ts), so it is a repo path. */
function checkSeccomp(at: DocRef, p: string, sc: Loose, report: Report): void {
  const sp = sc.seccompProfile
  if (!sp) return
  if (sp.type === 'Localhost') {
    const lp = sp.localhostProfile
    if (typeof lp !== 'string' || lp === '') report.error(at, `${p}/seccompProfile`, 'must set localhostProfile when seccomp profile type is Localhost', 'a path from the repository root to the profile (Docker/OCI JSON), e.g. seccomp/app.json')
    else if (lp.startsWith('/') || lp.split('/').includes('..')) report.error(at, `${p}/seccompProfile/localhostProfile`, `localhostProfile "${lp}" must be a path inside the repository`, 'write it relative to the repository root, without ".."')
  } else if (sp.localhostProfile !== undefined) {
    report.error(at, `${p}/seccompProfile/localhostProfile`, 'can only be set when seccomp profile type is Localhost')
  }
}

/** Capability names the host knows, and the escalation settings Kubernetes refuses together. */
function checkSecurityContext(at: DocRef, p: string, sc: Loose, report: Report): void {
  if (!sc) return
  checkSeccomp(at, p, sc, report)
  for (const list of ['add', 'drop'] as const) {
    ;(sc.capabilities?.[list] ?? []).forEach((name: unknown, i: number) => {
      const n = capabilityName(String(name))
      if (n === 'ALL' || CAPABILITIES.has(n)) return
      const close = didYouMean(n, CAPABILITIES.keys())
      report.error(at, `${p}/capabilities/${list}/${i}`, `unknown capability "${name}"`, close ? `did you mean "${close}"?` : 'write a Linux capability name such as NET_ADMIN (with or without CAP_), or ALL')
    })
  }
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) report.error(at, p, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true', 'a privileged container can always escalate: drop one of the two')
    if ((sc.capabilities?.add ?? []).some((c: unknown) => capabilityName(String(c)) === 'SYS_ADMIN')) {
      report.error(at, p, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN', 'CAP_SYS_ADMIN allows escalation: drop one of the two')
    }
  }
}

function checkRestartPolicy(c: Checked, pointer: string, spec: Loose, report: Report): void {
  const rp = spec.restartPolicy
  if (c.kind === 'Job' || c.kind === 'CronJob') {
    if (rp === undefined || rp === 'Always') {
      report.error(c.at, rp === undefined ? pointer : `${pointer}/restartPolicy`, `a ${c.kind}'s pods must not restart forever: restartPolicy is ${rp === undefined ? 'unset (Always)' : 'Always'}`, 'set restartPolicy: Never or OnFailure')
    }
  } else if (c.kind !== 'Pod' && rp !== undefined && rp !== 'Always') {
    report.error(c.at, `${pointer}/restartPolicy`, `a ${c.kind}'s pods must have restartPolicy Always, not ${rp}`, 'remove restartPolicy, or use a Job for pods that finish')
  }
}

function checkContainer(at: DocRef, p: string, ct: Loose, volumes: Set<string>, claims: Set<string>, report: Report): void {
  // ports
  const portNames = new Map<string, number>()
  ;(ct.ports ?? []).forEach((port: Loose, i: number) => {
    if (port.name === undefined) return
    const bad = checkPortName(port.name)
    if (bad) report.error(at, `${p}/ports/${i}/name`, bad)
    if (portNames.has(port.name)) report.error(at, `${p}/ports/${i}/name`, `duplicate port name "${port.name}"`)
    portNames.set(port.name, port.containerPort)
  })
  // mounts
  const paths = new Set<string>()
  ;(ct.volumeMounts ?? []).forEach((m: Loose, i: number) => {
    const mp = `${p}/volumeMounts/${i}`
    if (!volumes.has(m.name) && !claims.has(m.name)) {
      const known = [...volumes, ...claims]
      report.error(at, `${mp}/name`, `volume "${m.name}" is not defined`, known.length ? `define it under volumes; defined here: ${known.sort().join(', ')}` : 'define it under the pod\'s volumes')
    }
    if (!String(m.mountPath).startsWith('/')) report.error(at, `${mp}/mountPath`, `mountPath "${m.mountPath}" must be absolute`)
    if (paths.has(m.mountPath)) report.error(at, `${mp}/mountPath`, `mountPath "${m.mountPath}" is used twice in this container`)
    paths.add(m.mountPath)
    if (m.subPath !== undefined && (String(m.subPath).startsWith('/') || String(m.subPath).split('/').includes('..'))) {
      report.error(at, `${mp}/subPath`, 'subPath must be a relative path without ".."')
    }
  })
  checkSecurityContext(at, `${p}/securityContext`, ct.securityContext, report)
  // probes and hooks
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const pr = ct[probe]
    if (!pr) continue
    checkHandler(at, `${p}/${probe}`, pr, ['exec', 'httpGet', 'tcpSocket', 'grpc'], portNames, report)
    if (probe !== 'readinessProbe' && pr.successThreshold !== undefined && pr.successThreshold !== 1) {
      report.error(at, `${p}/${probe}/successThreshold`, `${probe}.successThreshold must be 1`)
    }
  }
  for (const hook of ['postStart', 'preStop']) {
    if (ct.lifecycle?.[hook]) checkHandler(at, `${p}/lifecycle/${hook}`, ct.lifecycle[hook], ['exec', 'httpGet', 'tcpSocket', 'sleep'], portNames, report)
  }
  // resources
  const req = ct.resources?.requests ?? {}
  const lim = ct.resources?.limits ?? {}
  const parsed: Record<string, Record<string, number | undefined>> = {requests: {}, limits: {}}
  for (const [which, list] of [['requests', req], ['limits', lim]] as const) {
    for (const [name, q] of Object.entries(list)) {
      parsed[which][name] = checkQuantity(at, `${p}/resources/${which}/${seg(name)}`, q, report)
    }
  }
  for (const [name, r] of Object.entries(parsed.requests)) {
    const l = parsed.limits[name]
    if (r !== undefined && l !== undefined && r > l) {
      report.error(at, `${p}/resources/requests/${seg(name)}`, `${name} request ${String(req[name])} is more than its limit ${String(lim[name])}`, 'a request must be less than or equal to the limit')
    }
  }
  ;(ct.envFrom ?? []).forEach((e: Loose, i: number) => {
    if (typeof e.prefix === 'string' && e.prefix !== '') checkEnvVarName(at, `${p}/envFrom/${i}/prefix`, e.prefix, 'envFrom prefix', report)
  })
  ;(ct.env ?? []).forEach((e: Loose, i: number) => {
    if (typeof e.name === 'string') checkEnvVarName(at, `${p}/env/${i}/name`, e.name, 'environment variable name', report)
    const vf = e.valueFrom
    if (!vf) return
    const n = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((k) => vf[k] !== undefined).length
    if (n !== 1) report.error(at, `${p}/env/${i}/valueFrom`, `valueFrom must name exactly one source, not ${n}`)
    if (e.value !== undefined) report.error(at, `${p}/env/${i}/value`, 'env has both value and valueFrom', 'keep one')
    if (vf.resourceFieldRef?.divisor !== undefined) checkQuantity(at, `${p}/env/${i}/valueFrom/resourceFieldRef/divisor`, vf.resourceFieldRef.divisor, report)
  })
}

/**
 * Kubernetes' current rule for env names and envFrom prefixes
 * (validation.IsRelaxedEnvVarName, RelaxedEnvironmentVariableValidation is
 * GA): not empty, only printable ASCII, no '='. Digits first, dots and
 * spaces are allowed; a '=' or a control character would corrupt the
 * process environment.
 */
export function checkEnvVarName(at: DocRef, pointer: string, name: string, what: string, report: Report): void {
  if (name === '' && what !== 'envFrom prefix') report.error(at, pointer, `${what} must not be empty`)
  else if (/[^\x20-\x7e]|=/.test(name)) {
    report.error(at, pointer, `${what} ${JSON.stringify(name)} is invalid: a valid environment variable name must consist only of printable ASCII characters other than '='`)
  }
}

/** A probe or hook names exactly one handler; its port is in range or names a container port. */
function checkHandler(at: DocRef, p: string, h: Loose, kinds: string[], portNames: Map<string, number>, report: Report): void {
  const present = kinds.filter((k) => h[k] !== undefined)
  if (present.length !== 1) {
    report.error(at, p, present.length ? `has ${present.length} handlers (${present.join(', ')})` : 'has no handler', `give exactly one of ${kinds.join(', ')}`)
  }
  for (const k of ['httpGet', 'tcpSocket']) {
    const port = h[k]?.port
    if (port === undefined) continue
    checkPortRef(at, `${p}/${k}/port`, port, portNames, report)
  }
  if (h.exec && (!h.exec.command || h.exec.command.length === 0)) report.error(at, `${p}/exec/command`, 'exec needs a command')
}

/** An IntOrString port: 1-65535, or the name of one of the container's ports. */
export function checkPortRef(at: DocRef, p: string, port: number | string, portNames: Map<string, number> | undefined, report: Report): void {
  if (typeof port === 'number') {
    if (!Number.isInteger(port) || port < 1 || port > 65535) report.error(at, p, `port ${port} is out of range (1-65535)`)
    return
  }
  if (/^\d+$/.test(port)) {
    report.error(at, p, `port "${port}" is a string`, `write it as a number: ${port}`)
    return
  }
  const bad = checkPortName(port)
  if (bad) report.error(at, p, bad)
  else if (portNames && !portNames.has(port)) {
    report.error(at, p, `no container port is named "${port}"`, portNames.size ? `named ports: ${[...portNames.keys()].sort().join(', ')}` : 'name it under the container\'s ports')
  }
}

/** Reports an unparseable quantity; returns its value otherwise. */
export function checkQuantity(at: DocRef, p: string, q: unknown, report: Report): number | undefined {
  const v = typeof q === 'string' || typeof q === 'number' ? parseQuantity(q) : undefined
  if (v === undefined) {
    report.error(at, p, `${JSON.stringify(q)} is not a valid quantity`, 'e.g. 100m, 0.5, 128Mi, 1.5Gi, 256M, 1e3')
    return undefined
  }
  if (v < 0) report.error(at, p, `${JSON.stringify(q)} must not be negative`)
  return v
}
