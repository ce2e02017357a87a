import {type KubeObject, keyOf} from '../manifests/object.js'
import type {State} from '../state/model.js'
import {age} from './age.js'
import {imageId, podImageDigest} from './images.js'
import {byNsName, containerStatuses, controllerOf, field, formatLabels, objectsOfKind, podStatus, unschedulableMessage} from './kube.js'
import {maskObject} from './mask.js'
import {renderTable} from './table.js'
import {type EndpointSubsetLike, formatEndpoints, podIP} from './resource-table.js'
import {A} from '../manifests/annotations.js'
import {escapeControl as u, escapeControlMultiline} from './untrusted.js'

type Line = [label: string, value: string] | string

/** kubectl's two-column layout: labels padded to one width, multi-line values indented under the value column. */
function block(lines: Line[], indent = ''): string {
  const pairs = lines.filter((l): l is [string, string] => Array.isArray(l))
  const width = Math.max(0, ...pairs.map(([k]) => k.length + 1)) + 2
  const out: string[] = []
  for (const l of lines) {
    if (typeof l === 'string') {
      out.push(indent + l)
      continue
    }
    const [k, v] = l
    const [first, ...rest] = v.split('\n')
    out.push(`${indent}${(k + ':').padEnd(width)}${first}`.trimEnd())
    for (const r of rest) out.push(`${indent}${' '.repeat(width)}${r}`.trimEnd())
  }
  return out.join('\n')
}

function kv(m: Record<string, string> | undefined, sep = '='): string {
  const e = Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
  // one line per entry: a newline inside a label or annotation value must not start a line of its own
  return e.length ? e.map(([k, v]) => `${u(k)}${sep}${u(v)}`).join('\n') : '<none>'
}

function resources(c: Record<string, unknown>, which: 'limits' | 'requests'): string | undefined {
  const r = field<Record<string, string>>(c, `resources.${which}`)
  return r && Object.keys(r).length ? kv(r, ': ') : undefined
}

/**
 * One container. POD: the pod it runs in (absent for a pod template), for
 * kubectl's `Image ID` line: the digest the image is pinned to, empty while
 * it is not (kubectl's value for a container not started yet).
 */
function containerBlock(c: Record<string, unknown>, status: ReturnType<typeof containerStatuses>[number] | undefined, pod?: KubeObject): string {
  const lines: Line[] = [`${u(c.name as string)}:`]
  const image = String(c.image ?? '')
  const inner: Line[] = [['Image', u(image)]]
  if (pod) {
    const digest = podImageDigest(pod, image)
    inner.push(['Image ID', digest ? u(imageId(image, digest)) : ''])
  }
  const ports = (c.ports as Array<{containerPort: number; protocol?: string}> | undefined) ?? []
  if (ports.length) inner.push(['Port', ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ')])
  if (Array.isArray(c.command)) inner.push(['Command', (c.command as string[]).map(u).join('\n')])
  if (Array.isArray(c.args)) inner.push(['Args', (c.args as string[]).map(u).join('\n')])
  if (status) {
    const st = status.state ?? {}
    if (st.running) inner.push(['State', `Running\n  Started:  ${u(st.running.startedAt ?? '')}`])
    else if (st.waiting) inner.push(['State', `Waiting\n  Reason:  ${u(st.waiting.reason ?? '')}`])
    else if (st.terminated) inner.push(['State', `Terminated\n  Reason:    ${u(st.terminated.reason ?? '')}\n  Exit Code: ${u(String(st.terminated.exitCode ?? ''))}`])
    inner.push(['Ready', status.ready ? 'True' : 'False'])
    inner.push(['Restart Count', String(status.restartCount ?? 0)])
  }
  const lim = resources(c, 'limits')
  if (lim) inner.push(['Limits', lim])
  const req = resources(c, 'requests')
  if (req) inner.push(['Requests', req])
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const p = c[probe] as Record<string, unknown> | undefined
    if (p) inner.push([probe.replace('Probe', '').replace(/^./, (x) => x.toUpperCase()), describeProbe(p)])
  }
  const env = (c.env as Array<{name: string; value?: string; valueFrom?: Record<string, {name?: string; key?: string}>}> | undefined) ?? []
  if (env.length) {
    inner.push([
      'Environment',
      env
        .map((e) => {
          if (e.value !== undefined) return `${u(e.name)}:  ${u(e.value)}`
          const [src, ref] = Object.entries(e.valueFrom ?? {})[0] ?? ['', {}]
          return `${u(e.name)}:  <set to the key '${u(ref?.key ?? '')}' in ${src === 'secretKeyRef' ? 'secret' : 'config map'} '${u(ref?.name ?? '')}'>`
        })
        .join('\n'),
    ])
  }
  return [block(lines), block(inner, '  ')].join('\n')
}

function describeProbe(p: Record<string, unknown>): string {
  const how = p.httpGet
    ? `http-get ${(p.httpGet as {path?: string}).path ?? '/'} port ${(p.httpGet as {port: unknown}).port}`
    : p.tcpSocket
      ? `tcp-socket :${(p.tcpSocket as {port: unknown}).port}`
      : p.exec
        ? `exec [${((p.exec as {command?: string[]}).command ?? []).join(' ')}]`
        : 'unknown'
  return `${u(how)} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`
}

function podTemplate(spec: Record<string, unknown> | undefined, labels?: Record<string, string>): string {
  if (!spec) return '<none>'
  const parts = [block([['Labels', kv(labels)]], '  ')]
  const cs = (spec.containers as Record<string, unknown>[] | undefined) ?? []
  const inits = (spec.initContainers as Record<string, unknown>[] | undefined) ?? []
  if (inits.length) parts.push('  Init Containers:', ...inits.map((c) => indentAll(containerBlock(c, undefined), '   ')))
  parts.push('  Containers:', ...cs.map((c) => indentAll(containerBlock(c, undefined), '   ')))
  return parts.join('\n')
}

function indentAll(s: string, ind: string): string {
  return s
    .split('\n')
    .map((l) => ind + l)
    .join('\n')
}

type ServicePort = {name?: string; port: number; targetPort?: number | string; nodePort?: number; protocol?: string; appProtocol?: string}

/** kubectl's describeService lines after the metadata, with Endpoints read from the Endpoints object of the same name. */
function serviceLines(o: KubeObject, state: State): Line[] {
  const type = field<string>(o, 'spec.type') ?? 'ClusterIP'
  const clusterIP = field<string>(o, 'spec.clusterIP')
  const clusterIPs = field<string[]>(o, 'spec.clusterIPs') ?? (clusterIP ? [clusterIP] : [])
  const ep = state.objects[`Endpoints/${o.metadata.namespace ?? 'default'}/${o.metadata.name}`]
  const lines: Line[] = [['Selector', u(formatLabels(field(o, 'spec.selector')))], ['Type', u(type)]]
  const policy = field<string>(o, 'spec.ipFamilyPolicy')
  if (policy) lines.push(['IP Family Policy', u(policy)])
  const families = field<string[]>(o, 'spec.ipFamilies')
  if (families?.length) lines.push(['IP Families', u(families.join(','))])
  lines.push(['IP', u(clusterIP ?? '')], ['IPs', u(clusterIPs.join(',')) || '<none>'])
  const optional: Array<[string, string | undefined]> = [
    ['External IPs', field<string[]>(o, 'spec.externalIPs')?.join(',')],
    ['Desired LoadBalancer IP', field<string>(o, 'spec.loadBalancerIP')],
    ['External Name', field<string>(o, 'spec.externalName')],
    ['LoadBalancer Ingress', field<Array<{ip?: string; hostname?: string}>>(o, 'status.loadBalancer.ingress')?.map((i) => i.ip || i.hostname || '').join(', ')],
  ]
  for (const [k, v] of optional) if (v) lines.push([k, u(v)])
  for (const p of field<ServicePort[]>(o, 'spec.ports') ?? []) {
    const name = u(p.name || '<unset>')
    const proto = u(p.protocol ?? 'TCP')
    lines.push(['Port', `${name}  ${p.port}/${proto}`], ['TargetPort', `${u(String(p.targetPort ?? p.port))}/${proto}`])
    if (p.appProtocol) lines.push(['AppProtocol', u(p.appProtocol)])
    if (p.nodePort) lines.push(['NodePort', `${name}  ${p.nodePort}/${proto}`])
    lines.push(['Endpoints', ep ? u(formatEndpoints(ep, new Set([p.name ?? '']))) : '<none>'])
  }
  lines.push(['Session Affinity', u(field<string>(o, 'spec.sessionAffinity') ?? 'None')])
  // shown with the API server's defaults where tsctl's defaulting (src/manifests/defaults.ts) sets none
  const external = field<string>(o, 'spec.externalTrafficPolicy') ?? (type === 'NodePort' || type === 'LoadBalancer' ? 'Cluster' : undefined)
  if (external) lines.push(['External Traffic Policy', u(external)])
  const internal = field<string>(o, 'spec.internalTrafficPolicy') ?? (type !== 'ExternalName' ? 'Cluster' : undefined)
  if (internal) lines.push(['Internal Traffic Policy', u(internal)])
  const hc = field<number>(o, 'spec.healthCheckNodePort')
  if (hc) lines.push(['HealthCheck NodePort', String(hc)])
  const ranges = field<string[]>(o, 'spec.loadBalancerSourceRanges')
  if (ranges?.length) lines.push(['LoadBalancer Source Ranges', u(ranges.join(','))])
  return lines
}

/** Why a pod is not a ready endpoint, from its own status: the first reason that holds. */
function notEndpointReason(p: KubeObject, state: State): string {
  if (p.metadata.deletionTimestamp) return 'terminating'
  const phase = field<string>(p, 'status.phase')
  if (phase === 'Succeeded' || phase === 'Failed') return `finished (${phase})`
  if (!field<string>(p, 'spec.nodeName')) {
    const why = unschedulableMessage(p)
    return `not scheduled${why ? `: ${why}` : ''}`
  }
  if (!podIP(p, state.nodes)) return 'no IP yet'
  const status = podStatus(p)
  if (status.startsWith('Init:')) return `not ready: ${status}`
  const statuses = new Map(containerStatuses(p).map((c) => [c.name, c]))
  const specs = field<Array<{name: string; readinessProbe?: unknown}>>(p, 'spec.containers') ?? []
  const waiting = specs
    .filter((c) => !statuses.get(c.name)?.ready)
    .map((c) => {
      const st = statuses.get(c.name)?.state
      const t = st?.terminated
      const why = st?.waiting ? (st.waiting.reason ?? 'waiting') : t ? (t.reason ?? `exit code ${t.exitCode}`) : st?.running ? (c.readinessProbe ? 'readiness probe failing' : 'running') : 'no status yet'
      return `container ${c.name} not ready (${why})`
    })
  if (waiting.length) return `not ready: ${waiting.join(', ')}`
  const cond = (field<Array<{type: string; status: string; reason?: string}>>(p, 'status.conditions') ?? []).find((c) => c.type === 'Ready')
  if (!cond) return 'not ready: no Ready condition yet'
  if (cond.status !== 'True') return `not ready: condition Ready is ${cond.status}${cond.reason ? ` (${cond.reason})` : ''}`
  return 'ready, not in the Endpoints yet'
}

/**
 * tsctl's addition to kubectl's describe service: every pod the selector
 * matches, or the Endpoints list as not ready, that receives no traffic,
 * with the reason. Undefined for a Service without a selector (its
 * endpoints are not tsctl's to explain).
 */
function notEndpoints(svc: KubeObject, state: State): string | undefined {
  const sel = field<Record<string, string>>(svc, 'spec.selector')
  if (!sel || Object.keys(sel).length === 0) return undefined
  const ns = svc.metadata.namespace ?? 'default'
  const ep = state.objects[`Endpoints/${ns}/${svc.metadata.name}`]
  const subsets = field<EndpointSubsetLike[]>(ep, 'subsets') ?? []
  type Ref = {ip?: string; targetRef?: {name?: string; uid?: string}}
  const ready = new Set<string>()
  const listedNotReady = new Map<string, Ref>()
  for (const ss of subsets) {
    for (const a of (ss.addresses ?? []) as Ref[]) if (a.ip && a.targetRef?.name) ready.add(a.targetRef.name)
    for (const a of (ss.notReadyAddresses ?? []) as Ref[]) if (a.targetRef?.name) listedNotReady.set(a.targetRef.name, a)
  }
  const pods = new Map<string, KubeObject>()
  for (const p of objectsOfKind(state, 'Pod')) {
    if ((p.metadata.namespace ?? 'default') !== ns) continue
    if (listedNotReady.has(p.metadata.name) || Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v)) pods.set(p.metadata.name, p)
  }
  const rows: Array<[string, string]> = []
  for (const name of new Set([...pods.keys(), ...listedNotReady.keys()])) {
    if (ready.has(name) && !listedNotReady.has(name)) continue
    const p = pods.get(name)
    const ip = p ? podIP(p, state.nodes) : listedNotReady.get(name)?.ip
    const reason = p ? notEndpointReason(p, state) : 'not ready (the pod is no longer in the state)'
    rows.push([`${u(name)}${ip ? ` (${u(ip)})` : ''}`, listedNotReady.has(name) && reason.startsWith('ready') ? 'listed as not ready' : u(reason)])
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : 1))
  return rows.length ? 'Not endpoints:\n' + block(rows, '  ') : 'Not endpoints:  <none>'
}

/**
 * `tsctl describe KIND/NAME`: kubectl's layout (Name, Namespace, Labels,
 * Annotations, kind-specific parts, Events) from the state. Secrets show
 * their keys and sizes, never values.
 */
export function renderDescribe(obj: KubeObject, state: State, now: number): string {
  const o = maskObject(obj)
  const m = o.metadata
  const head: Line[] = [['Name', u(m.name)]]
  if (m.namespace) head.push(['Namespace', u(m.namespace)])
  head.push(['Labels', kv(m.labels)], ['Annotations', kv(m.annotations, ': ')])
  if (m.creationTimestamp) head.push(['CreationTimestamp', u(m.creationTimestamp)])
  const ctl = controllerOf(o)
  if (ctl) head.push(['Controlled By', u(`${ctl.kind}/${ctl.name}`)])
  const sections: string[] = []

  switch (o.kind) {
    case 'Pod': {
      const node = field<string>(o, 'spec.nodeName')
      const nodeObj = node ? state.objects[`Node/${node}`] : undefined
      head.push(['Node', node ? u(`${node}${nodeObj ? `/${field<string>(nodeObj, 'spec.address') ?? ''}` : ''}`) : '<none>'])
      head.push(['Status', u(podStatus(o))])
      // kubectl: `IP:` empty until the pod has one, then `IPs:` with one `IP:` line per address
      const ip = podIP(o, state.nodes)
      const ips = field<Array<{ip: string}>>(o, 'status.podIPs')?.map((x) => x.ip) ?? (ip ? [ip] : [])
      head.push(['IP', u(ip ?? '')])
      if (ips.length) head.push(['IPs', ''], ...ips.map((x) => `  IP:  ${u(x)}`))
      else head.push(['IPs', '<none>'])
      const why = unschedulableMessage(o)
      if (why) head.push(['Reason', u(why)])
      const statuses = new Map(containerStatuses(o).map((c) => [c.name, c]))
      const initStatuses = new Map(containerStatuses(o, true).map((c) => [c.name, c]))
      const inits = field<Record<string, unknown>[]>(o, 'spec.initContainers') ?? []
      if (inits.length) sections.push('Init Containers:\n' + inits.map((c) => indentAll(containerBlock(c, initStatuses.get(c.name as string), o), '  ')).join('\n'))
      const cs = field<Record<string, unknown>[]>(o, 'spec.containers') ?? []
      sections.push('Containers:\n' + cs.map((c) => indentAll(containerBlock(c, statuses.get(c.name as string), o), '  ')).join('\n'))
      const conds = field<Array<{type: string; status: string}>>(o, 'status.conditions') ?? []
      if (conds.length) sections.push('Conditions:\n' + indentAll(renderTable(['Type', 'Status'], conds.map((c) => [u(c.type), u(c.status)])).trimEnd(), '  '))
      const vols = field<Array<Record<string, unknown>>>(o, 'spec.volumes') ?? []
      if (vols.length) sections.push('Volumes:\n' + vols.map((v) => `  ${u(v.name as string)}:\n    Type:  ${u(Object.keys(v).filter((k) => k !== 'name')[0] ?? 'unknown')}`).join('\n'))
      const tol = field<Array<{key?: string; operator?: string; value?: string; effect?: string}>>(o, 'spec.tolerations') ?? []
      head.push(['Node-Selectors', kv(field(o, 'spec.nodeSelector'))])
      head.push(['Tolerations', tol.length ? tol.map((t) => u(`${t.key ?? ''}${t.value ? `=${t.value}` : ''}${t.effect ? `:${t.effect}` : ''}`)).join('\n') : '<none>'])
      break
    }
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet': {
      head.push(['Selector', kv(field(o, 'spec.selector.matchLabels'))])
      // rollout undo/pause/restart live in the state, not in git: say so (src/gitops)
      const pin = m.annotations?.[A.pinnedRevision]
      if (pin && o.kind !== 'ReplicaSet') head.push(['Pinned', `revision ${u(pin)} (tsctl rollout undo); syncs of the same commit keep it until a commit changes this ${o.kind.toLowerCase()}`])
      if (o.kind === 'Deployment' && (field<boolean>(o, 'spec.paused') || m.annotations?.[A.paused] === 'true')) head.push(['Paused', 'true (tsctl rollout resume to continue)'])
      const restarted = m.annotations?.[A.restartedAt]
      if (restarted && o.kind !== 'ReplicaSet') head.push(['Restarted At', u(restarted)])
      if (o.kind !== 'DaemonSet') {
        head.push(['Replicas', `${field<number>(o, 'spec.replicas') ?? 1} desired | ${field<number>(o, 'status.updatedReplicas') ?? 0} updated | ${field<number>(o, 'status.replicas') ?? 0} total | ${field<number>(o, 'status.availableReplicas') ?? 0} available | ${field<number>(o, 'status.readyReplicas') ?? 0} ready`])
      }
      if (o.kind === 'Deployment') {
        const st = field<string>(o, 'spec.strategy.type') ?? 'RollingUpdate'
        head.push(['StrategyType', st])
        head.push(['MinReadySeconds', String(field<number>(o, 'spec.minReadySeconds') ?? 0)])
        if (st === 'RollingUpdate') head.push(['RollingUpdateStrategy', `${field(o, 'spec.strategy.rollingUpdate.maxUnavailable') ?? '25%'} max unavailable, ${field(o, 'spec.strategy.rollingUpdate.maxSurge') ?? '25%'} max surge`])
        const rss = objectsOfKind(state, 'ReplicaSet').filter((rs) => controllerOf(rs)?.uid === m.uid || controllerOf(rs)?.name === m.name)
        const newest = rss.sort((a, b) => Number(a.metadata.annotations?.[A.revision] ?? 0) - Number(b.metadata.annotations?.[A.revision] ?? 0)).at(-1)
        if (newest) head.push(['NewReplicaSet', `${u(newest.metadata.name)} (${field<number>(newest, 'status.replicas') ?? 0}/${field<number>(newest, 'spec.replicas') ?? 0} replicas created)`])
      }
      sections.push('Pod Template:\n' + podTemplate(field(o, 'spec.template.spec'), field(o, 'spec.template.metadata.labels')))
      break
    }
    case 'Service': {
      head.push(...serviceLines(o, state))
      const not = notEndpoints(o, state)
      if (not) sections.push(not)
      break
    }
    case 'Endpoints': {
      // kubectl's describeEndpoints
      const subsets = field<EndpointSubsetLike[]>(o, 'subsets') ?? []
      const ipsOf = (as: Array<{ip?: string}> | undefined) => (as ?? []).map((a) => u(a.ip ?? '')).join(',') || '<none>'
      sections.push(
        'Subsets:' +
          subsets
            .map((ss) => {
              const inner: Line[] = [['Addresses', ipsOf(ss.addresses)], ['NotReadyAddresses', ipsOf(ss.notReadyAddresses)]]
              const ports = ss.ports ?? []
              if (ports.length) inner.push('Ports:', ...indentAll(renderTable(['Name', 'Port', 'Protocol'], [['----', '----', '--------'], ...ports.map((p) => [u(p.name || '<unset>'), String(p.port), u(p.protocol ?? 'TCP')])]).trimEnd(), '  ').split('\n'))
              return '\n' + block(inner, '  ') + '\n'
            })
            .join(''),
      )
      break
    }
    case 'ConfigMap':
    case 'Secret': {
      const data = {...(field<Record<string, string>>(obj, 'data') ?? {}), ...(field<Record<string, string>>(obj, 'stringData') ?? {})}
      if (o.kind === 'Secret') {
        head.push(['Type', field<string>(o, 'type') ?? 'Opaque'])
        // a SOPS Secret is kept encrypted (docs/secrets.md): who can decrypt it instead of sizes
        const sops = field<{age?: Array<{recipient?: string}>}>(obj, 'sops')
        if (sops) head.push(['Encryption', u(`SOPS, age: ${(sops.age ?? []).map((a) => a.recipient).join(', ')}`)])
        // sizes, as kubectl does; the values never leave the state
        sections.push('Data\n====\n' + (Object.keys(data).sort().map((k) => `${u(k)}:  ${sops ? '(encrypted)' : `${Buffer.from(data[k] ?? '', 'base64').length} bytes`}`).join('\n') || '<none>'))
      } else {
        sections.push('Data\n====\n' + (Object.keys(data).sort().map((k) => `${u(k)}:\n----\n${escapeControlMultiline(data[k] ?? '')}`).join('\n\n') || '<none>'))
      }
      break
    }
    case 'Node': {
      const rec = state.nodes[m.name]
      head.push(['Address', u(field<string>(o, 'spec.address') ?? '<none>')])
      head.push(['Ready', rec ? String(rec.ready) : 'Unknown'])
      if (rec?.lastSeen) head.push(['LastSeen', u(rec.lastSeen)])
      if (rec?.unreachableSince) head.push(['UnreachableSince', u(rec.unreachableSince)])
      head.push(['Unschedulable', String(field<boolean>(o, 'spec.unschedulable') ?? false)])
      const taints = field<Array<{key: string; value?: string; effect: string}>>(o, 'spec.taints') ?? []
      head.push(['Taints', taints.length ? taints.map((t) => u(`${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`)).join('\n') : '<none>'])
      const cap = field<Record<string, string>>(o, 'spec.capacity') ?? rec?.capacity
      head.push(['Capacity', cap ? kv(cap as Record<string, string>, ': ') : '<unknown>'])
      // reconcile writes the node's block of the pod range onto the Node (docs/networking.md)
      const podCIDR = field<string>(o, 'spec.podCIDR') ?? rec?.podCIDR
      const podCIDRs = field<string[]>(o, 'spec.podCIDRs') ?? (podCIDR ? [podCIDR] : [])
      if (podCIDR) head.push(['PodCIDR', u(podCIDR)])
      if (podCIDRs.length) head.push(['PodCIDRs', u(podCIDRs.join(','))])
      const pods = objectsOfKind(state, 'Pod').filter((p) => field(p, 'spec.nodeName') === m.name).sort(byNsName)
      sections.push(
        `Non-terminated Pods:  (${pods.length} in total)\n` +
          (pods.length ? indentAll(renderTable(['Namespace', 'Name', 'AGE'], pods.map((p) => [u(p.metadata.namespace ?? ''), u(p.metadata.name), age(p.metadata.creationTimestamp, now)])).trimEnd(), '  ') : '  <none>'),
      )
      break
    }
    case 'Job':
    case 'CronJob': {
      if (o.kind === 'CronJob') head.push(['Schedule', u(field<string>(o, 'spec.schedule') ?? '')], ['Concurrency Policy', u(field<string>(o, 'spec.concurrencyPolicy') ?? 'Allow')], ['Suspend', String(field<boolean>(o, 'spec.suspend') ?? false)])
      else head.push(['Parallelism', String(field<number>(o, 'spec.parallelism') ?? 1)], ['Completions', String(field<number>(o, 'spec.completions') ?? 1)], ['Pods Statuses', `${field<number>(o, 'status.active') ?? 0} Active / ${field<number>(o, 'status.succeeded') ?? 0} Succeeded / ${field<number>(o, 'status.failed') ?? 0} Failed`])
      const tpl = o.kind === 'CronJob' ? 'spec.jobTemplate.spec.template' : 'spec.template'
      sections.push('Pod Template:\n' + podTemplate(field(o, `${tpl}.spec`), field(o, `${tpl}.metadata.labels`)))
      break
    }
    default:
      break
  }

  const key = keyOf(o)
  const events = state.events.filter((e) => e.object === key)
  const ev = events.length
    ? 'Events:\n' + indentAll(renderTable(['Type', 'Reason', 'Age', 'From', 'Message'], [['----', '------', '----', '----', '-------'], ...events.map((e) => [u(e.type), u(e.reason), age(e.time, now), 'tsctl', u(e.message)])]).trimEnd(), '  ')
    : 'Events:  <none>'
  // The fields above are escaped one by one (a newline in a name stays on its line); this
  // pass is the guarantee for any field read without it: no control sequence reaches the terminal.
  return escapeControlMultiline([block(head), ...sections, ev].join('\n') + '\n')
}
