// Pod Security admission at validate time: the Namespace labels, the
// default level from tsctl.yaml and the hostPath allow-list.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {formatDiagnostic, UserError, type Diagnostic} from '../../../src/errors.js'
import {parseConfig, type PodSecurityConfig} from '../../../src/manifests/config.js'
import {desiredFromFiles} from '../../../src/manifests/load.js'
import {commit, loc} from './helpers.js'

const F = 'manifests/app.yaml'

function diags(text: string, config?: PodSecurityConfig): Diagnostic[] {
  try {
    return desiredFromFiles([{path: F, text}], commit, [], config).warnings
  } catch (e) {
    if (!(e instanceof UserError)) throw e
    return e.diagnostics
  }
}

const ns = (labels: Record<string, string>) => `apiVersion: v1
kind: Namespace
metadata:
  name: tools
  labels:
${Object.entries(labels).map(([k, v]) => `    ${k}: ${v}`).join('\n')}
---
`
const podIn = (namespace: string, extra: string, volumes = '') => `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ${namespace}
spec:
  containers:
    - name: web
      image: oci:images/busybox
${extra}${volumes}`

const privileged = '      securityContext:\n        privileged: true\n'

test('default baseline: a privileged container is refused with kube\'s message, at the field', () => {
  const text = podIn('default', privileged)
  const errors = diags(text).filter((d) => d.severity === 'error')
  assert.is(errors.length, 1, errors.map(formatDiagnostic).join('\n'))
  assert.is(errors[0].message, 'violates PodSecurity "baseline:latest": privileged (container "web" must not set securityContext.privileged=true)')
  assert.is(errors[0].field, 'spec.containers[0].securityContext.privileged')
  assert.equal({line: errors[0].line, col: errors[0].col}, loc(text, 'privileged: true'))
  assert.match(errors[0].hint!, 'podSecurity.default in tsctl.yaml is baseline')
})

test('a workload template is checked like a Pod', () => {
  const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      hostNetwork: true
      containers:
        - name: web
          image: oci:images/busybox
`
  const e = diags(text).find((d) => d.severity === 'error')
  assert.ok(e)
  assert.is(e!.message, 'violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)')
  assert.is(e!.field, 'spec.template.spec.hostNetwork')
})

test('a Namespace labelled enforce: privileged allows it; podSecurity.default: privileged too', () => {
  assert.equal(diags(ns({'pod-security.kubernetes.io/enforce': 'privileged'}) + podIn('tools', privileged)).filter((d) => d.severity === 'error').map(formatDiagnostic), [])
  assert.equal(diags(podIn('default', privileged), {default: 'privileged'}).filter((d) => d.severity === 'error').map(formatDiagnostic), [])
})

test('warn and audit above enforce are warnings ("would violate"), errors stay at enforce', () => {
  const text = ns({'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/audit': 'restricted'}) + podIn('tools', '')
  const ds = diags(text)
  assert.equal(ds.filter((d) => d.severity === 'error').map(formatDiagnostic), [])
  const warns = ds.filter((d) => d.severity === 'warning' && /PodSecurity/.test(d.message))
  assert.is(warns.length, 2)
  assert.match(warns[0].message, /^(audit: )?would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/)
  assert.ok(warns.some((w) => w.message.startsWith('audit: ')))
})

test('enforce restricted refuses a pod that does not set the restricted fields', () => {
  const text = ns({'pod-security.kubernetes.io/enforce': 'restricted'}) + podIn('tools', '')
  const e = diags(text).find((d) => d.severity === 'error')
  assert.match(e!.message, /^violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false .*runAsNonRoot != true .*seccompProfile/)
  assert.match(e!.hint!, 'namespace tools is labelled pod-security.kubernetes.io/enforce: restricted')
})

test('an unknown level in a label is an error at the label; a version other than latest a warning', () => {
  const text = ns({'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/enforce-version': 'v1.29'}) + podIn('tools', '')
  const ds = diags(text)
  const e = ds.find((d) => d.severity === 'error')!
  assert.is(e.message, 'pod-security.kubernetes.io/enforce must be one of privileged, baseline, restricted, not "strict"')
  assert.equal({line: e.line, col: e.col}, loc(text, 'pod-security.kubernetes.io/enforce: strict'))
  assert.ok(ds.some((d) => d.severity === 'warning' && /enforce-version "v1.29": tsctl checks the latest/.test(d.message)))
})

const hostPath = (path: string) => `  volumes:\n    - name: h\n      hostPath:\n        path: ${path}\n`

test('hostPaths allow-list: inside passes baseline, outside (or escaping with ..) is refused at any level', () => {
  const allow: PodSecurityConfig = {default: 'baseline', hostPaths: ['/proc', '/srv/data']}
  assert.equal(diags(podIn('default', '', hostPath('/proc')), allow).filter((d) => d.severity === 'error').map(formatDiagnostic), [])
  assert.equal(diags(podIn('default', '', hostPath('/srv/data/x')), allow).filter((d) => d.severity === 'error').map(formatDiagnostic), [])
  for (const bad of ['/etc', '/srv/database', '/srv/data/../../etc']) {
    const text = podIn('default', '', hostPath(bad))
    const e = diags(text, {...allow, default: 'privileged'}).filter((d) => d.severity === 'error')
    assert.is(e.length, 1, `${bad}: ${e.map(formatDiagnostic).join('\n')}`)
    assert.is(e[0].message, `hostPath "${bad}" of volume "h" is not under an allowed prefix`)
    assert.is(e[0].field, 'spec.volumes[0].hostPath.path')
    assert.is(e[0].hint, 'podSecurity.hostPaths in tsctl.yaml allows /proc, /srv/data')
  }
  // without the allow-list, baseline refuses every hostPath, as Kubernetes does
  assert.match(diags(podIn('default', '', hostPath('/proc'))).find((d) => d.severity === 'error')!.message, 'hostPath volumes (volume "h")')
})

test('tsctl.yaml podSecurity: parsed, and a bad level or path named at its line', () => {
  assert.equal(parseConfig('podSecurity:\n  default: restricted\n  hostPaths: [/srv/data/, /proc]\n').podSecurity, {default: 'restricted', hostPaths: ['/srv/data', '/proc']})
  assert.equal(parseConfig('manifests: [m/]\n').podSecurity, {default: 'baseline'})
  const r = parseConfig('podSecurity:\n  default: strict\n  hostPaths: [relative]\n  other: 1\n')
  assert.equal(r.diagnostics.map((d) => `${d.line}:${d.field}: ${d.message}`), [
    '4:podSecurity/other: unknown field "other" in podSecurity',
    '2:podSecurity/default: podSecurity.default must be one of privileged, baseline, restricted, not "strict"',
    '3:podSecurity/hostPaths/0: "relative" must be an absolute path without ".."',
  ])
})

test.run()
