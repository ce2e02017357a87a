/**
 * Checks of one object beyond its shape and its pods: selectors that must
 * select their own template, rollout strategies, cron schedules, Services,
 * ConfigMap/Secret data, claims and Nodes.
 */
import {isEncryptedValue} from '../secrets/sops-tree.js'
import {parseCron, validTimeZone} from '../reconcile/cron.js'
import {checkConfigKey, checkDNS1123Label} from './names.js'
import {type Checked, type Loose, seg} from './object-view.js'
import type {Report} from './report.js'
import {selectorMatches, selectorProblems} from './selector.js'
import {checkPortRef, checkQuantity} from './validate-pods.js'

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export function validateWorkload(c: Checked, report: Report): void {
  const o = c.object
  switch (c.kind) {
    case 'Deployment':
      checkSelector(c, '/spec/selector', '/spec/template/metadata/labels', report)
      checkRollingUpdate(c, '/spec/strategy', o.spec.strategy, {maxSurge: '25%', maxUnavailable: '25%'}, report)
      break
    case 'ReplicaSet':
    case 'StatefulSet':
      checkSelector(c, '/spec/selector', '/spec/template/metadata/labels', report)
      break
    case 'DaemonSet':
      checkSelector(c, '/spec/selector', '/spec/template/metadata/labels', report)
      checkRollingUpdate(c, '/spec/updateStrategy', o.spec.updateStrategy, {maxSurge: 0, maxUnavailable: 1}, report)
      break
    case 'Job':
      if (o.spec.selector) checkSelector(c, '/spec/selector', '/spec/template/metadata/labels', report)
      break
    case 'CronJob': {
      const r = parseCron(o.spec.schedule)
      if (!r.ok) report.error(c.at, '/spec/schedule', `invalid cron schedule ${JSON.stringify(o.spec.schedule)}: ${r.error}`, 'five fields: minute hour day-of-month month day-of-week, e.g. "*/15 * * * *", or @hourly, @daily')
      if (typeof o.spec.timeZone === 'string' && !validTimeZone(o.spec.timeZone)) {
        report.error(c.at, '/spec/timeZone', `unknown time zone ${JSON.stringify(o.spec.timeZone)}`, 'an IANA name such as "Europe/Berlin" or "Etc/UTC"')
      }
      if (o.spec.jobTemplate.spec.selector) checkSelector(c, '/spec/jobTemplate/spec/selector', '/spec/jobTemplate/spec/template/metadata/labels', report)
      break
    }
    case 'Service':
      checkService(c, report)
      break
    case 'ConfigMap':
      checkData(c, 'data', false, report)
      checkData(c, 'binaryData', true, report)
      for (const k of Object.keys(o.binaryData ?? {})) {
        if (o.data && k in o.data) report.error(c.at, `/binaryData/${seg(k)}`, `key "${k}" is in both data and binaryData`)
      }
      break
    case 'Secret':
      checkData(c, 'data', true, report)
      checkData(c, 'stringData', false, report)
      break
    case 'PersistentVolumeClaim':
      checkClaim(c, '/spec', o.spec, report)
      break
    case 'Node':
      for (const [k, q] of Object.entries(o.spec.capacity ?? {})) checkQuantity(c.at, `/spec/capacity/${seg(k)}`, q, report)
      if (String(o.spec.address).trim() === '') report.error(c.at, '/spec/address', 'address must not be empty', 'an IP address, a host name, or "local"')
      break
  }
  if (c.kind === 'StatefulSet') {
    ;(o.spec.volumeClaimTemplates ?? []).forEach((t: Loose, i: number) => checkClaim(c, `/spec/volumeClaimTemplates/${i}/spec`, t.spec ?? {}, report))
  }
}

function checkSelector(c: Checked, selPointer: string, labelsPointer: string, report: Report): void {
  const sel = selPointer.split('/').slice(1).reduce((v: Loose, k) => v?.[k], c.object) ?? {}
  const labels = labelsPointer.split('/').slice(1).reduce((v: Loose, k) => v?.[k], c.object) ?? {}
  // wrong types were reported by the schema; comparing them would only add noise
  if (typeof sel !== 'object' || Array.isArray(sel) || typeof labels !== 'object' || Array.isArray(labels)) return
  for (const p of selectorProblems(sel)) report.error(c.at, `${selPointer}/matchExpressions/${p.index}`, p.message)
  if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
    report.error(c.at, selPointer, 'an empty selector would select every pod', 'select the template\'s labels, e.g. matchLabels: {app: NAME}')
    return
  }
  if (!selectorMatches(sel, labels)) {
    report.error(c.at, selPointer, `selector does not match the template's labels ${JSON.stringify(labels)}`, `make ${labelsPointer.slice(1).replace(/\//g, '.')} include ${JSON.stringify(sel.matchLabels ?? {})}`)
  }
}

/** A count or percentage; returns 0 for a zero value, undefined when invalid (reported). */
function intOrPercent(c: Checked, p: string, v: number | string, report: Report): number | undefined {
  if (typeof v === 'number') {
    if (v < 0) report.error(c.at, p, `${v} must not be negative`)
    return v
  }
  const m = /^(\d+)%$/.exec(v)
  if (!m) {
    report.error(c.at, p, `${JSON.stringify(v)} is neither a number nor a percentage`, 'e.g. 1 or "25%"')
    return undefined
  }
  if (Number(m[1]) > 100) report.error(c.at, p, `${v} is more than 100%`)
  return Number(m[1])
}

function checkRollingUpdate(c: Checked, p: string, strategy: Loose, defaults: {maxSurge: number | string; maxUnavailable: number | string}, report: Report): void {
  const type = strategy?.type ?? 'RollingUpdate'
  const ru = strategy?.rollingUpdate
  if (type !== 'RollingUpdate') {
    if (ru) report.error(c.at, `${p}/rollingUpdate`, `rollingUpdate may not be set when type is ${type}`)
    return
  }
  const surge = intOrPercent(c, `${p}/rollingUpdate/maxSurge`, ru?.maxSurge ?? defaults.maxSurge, report)
  const unavail = intOrPercent(c, `${p}/rollingUpdate/maxUnavailable`, ru?.maxUnavailable ?? defaults.maxUnavailable, report)
  if (surge === 0 && unavail === 0) {
    report.error(c.at, `${p}/rollingUpdate`, 'maxSurge and maxUnavailable are both 0: the rollout could never make progress', 'let one of them be at least 1 (or a non-zero percentage)')
  }
}

function checkService(c: Checked, report: Report): void {
  const spec = c.object.spec ?? {}
  const type = spec.type ?? 'ClusterIP'
  if (type === 'LoadBalancer') {
    report.warn(c.at, '/spec/type', 'type LoadBalancer is served as NodePort: there is no load balancer', 'reach it on any node at its nodePort')
  }
  if (type === 'ExternalName') {
    if (!spec.externalName) report.error(c.at, '/spec', 'an ExternalName Service needs spec.externalName')
    return
  }
  const ports: Loose[] = spec.ports ?? []
  if (ports.length === 0 && spec.clusterIP !== 'None') report.error(c.at, '/spec', 'a Service needs at least one port', 'add spec.ports, or make it headless with clusterIP: None')
  const names = new Set<string>()
  const seen = new Set<string>()
  ports.forEach((port, i) => {
    const p = `/spec/ports/${i}`
    if (ports.length > 1 && port.name === undefined) report.error(c.at, p, 'every port needs a name when a Service has more than one')
    if (port.name !== undefined) {
      const bad = checkDNS1123Label(port.name)
      if (bad) report.error(c.at, `${p}/name`, `invalid port name: ${bad}`)
      if (names.has(port.name)) report.error(c.at, `${p}/name`, `duplicate port name "${port.name}"`)
      names.add(port.name)
    }
    const id = `${port.port}/${port.protocol ?? 'TCP'}`
    if (seen.has(id)) report.error(c.at, `${p}/port`, `port ${id} is listed twice`)
    seen.add(id)
    if (port.targetPort !== undefined) checkPortRef(c.at, `${p}/targetPort`, port.targetPort, undefined, report)
    if (port.nodePort !== undefined && type === 'ClusterIP') report.error(c.at, `${p}/nodePort`, 'nodePort needs type NodePort (or LoadBalancer)')
  })
}

function checkData(c: Checked, field: string, isBase64: boolean, report: Report): void {
  for (const [k, v] of Object.entries<string>(c.object[field] ?? {})) {
    const p = `/${field}/${seg(k)}`
    const bad = checkConfigKey(k)
    if (bad) report.error(c.at, p, bad)
    // a SOPS value (ENC[AES256_GCM,…]) is checked once decrypted (src/secrets/open-manifests.ts)
    if (isBase64 && !isEncryptedValue(v) && !base64.test(v.replace(/\s+/g, ''))) {
      report.error(c.at, p, 'the value is not valid base64', c.kind === 'Secret' ? 'encode it (printf %s VALUE | base64 -w0), or put the plain value under stringData' : 'encode it with base64 -w0')
    }
  }
}

function checkClaim(c: Checked, p: string, spec: Loose, report: Report): void {
  const storage = spec.resources?.requests?.storage
  if (storage === undefined) report.error(c.at, `${p}/resources`, 'a claim must request storage', 'e.g. resources: {requests: {storage: 1Gi}}')
  for (const which of ['requests', 'limits']) {
    for (const [k, q] of Object.entries(spec.resources?.[which] ?? {})) checkQuantity(c.at, `${p}/resources/${which}/${seg(k)}`, q, report)
  }
}
