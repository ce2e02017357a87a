import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {formatDiagnostic} from '../../../src/errors.js'
import {diagnose, expectDiag, loc, webYaml} from './helpers.js'

const F = 'manifests/web.yaml'
/** webYaml with `from` replaced by `to` (must occur). */
function edit(from: string, to: string, base = webYaml): string {
  assert.ok(base.includes(from), `fixture lacks ${from}`)
  return base.replace(from, to)
}
function errorsOf(text: string, file = F) {
  const r = diagnose({[file]: text})
  return r.diagnostics
}

test('the fixture itself is valid with no warnings', () => {
  const r = diagnose({[F]: webYaml})
  assert.equal(r.diagnostics.map(formatDiagnostic), [])
  assert.equal(r.desired!.objects.length, 3)
})

test('unknown field: error at the key, with did-you-mean', () => {
  const text = edit('      containers:', '      containres: []\n      containers:')
  const d = expectDiag(errorsOf(text), {file: F, text, needle: 'containres', field: 'spec.template.spec.containres', message: /unknown field "containres"/})
  assert.is(d.hint, 'did you mean "containers"?')
  assert.is(d.object, 'Deployment/default/web')
})

test('wrong type names what was expected', () => {
  const text = edit('replicas: 2', 'replicas: "2"')
  expectDiag(errorsOf(text), {file: F, text, needle: 'replicas', field: 'spec.replicas', message: /must be an integer, not a string/})
})

test('enum typo suggests the value', () => {
  const text = edit('          image: oci:images/busybox', '          image: oci:images/busybox\n          imagePullPolicy: IfNotPresnt')
  const d = expectDiag(errorsOf(text), {file: F, text, needle: 'imagePullPolicy', field: 'spec.template.spec.containers[0].imagePullPolicy', message: /"IfNotPresnt" is not one of/})
  assert.is(d.hint, 'did you mean "IfNotPresent"?')
})

test('missing required field points at its parent', () => {
  const text = edit('          image: oci:images/busybox\n', '')
  expectDiag(errorsOf(text), {file: F, text, needle: 'name: app', nth: 0, field: 'spec.template.spec.containers[0]', message: /missing required field "image"/})
})

test('DNS-1123 names: object, container, volume', () => {
  let text = edit('  name: web\n', '  name: Web_1\n')
  expectDiag(errorsOf(text), {file: F, text, needle: 'name: Web_1', field: 'metadata.name', message: /not a valid DNS-1123 subdomain/})
  text = edit('- name: app', '- name: App')
  expectDiag(errorsOf(text), {file: F, text, needle: 'name: App', field: 'spec.template.spec.containers[0].name', message: /invalid container name/})
  text = edit('      volumes:\n        - name: conf', '      volumes:\n        - name: conf.d').replace('            - name: conf\n', '            - name: conf.d\n')
  expectDiag(errorsOf(text), {file: F, text, needle: 'name: conf.d', nth: 1, field: 'spec.template.spec.volumes[0].name', message: /invalid volume name/})
})

test('bad quantities', () => {
  const text = edit('cpu: 100m', 'cpu: 1.5x')
  expectDiag(errorsOf(text), {file: F, text, needle: 'cpu: 1.5x', field: 'spec.template.spec.containers[0].resources.requests.cpu', message: /"1.5x" is not a valid quantity/})
})

test('requests above limits', () => {
  const text = edit('              memory: 64Mi', '              memory: 64Mi\n            limits:\n              memory: 32Mi')
  expectDiag(errorsOf(text), {file: F, text, needle: 'memory: 64Mi', field: 'spec.template.spec.containers[0].resources.requests.memory', message: /more than its limit/})
})

test('selector that does not match the template labels', () => {
  const text = edit('        app: web\n    spec:', '        app: webx\n    spec:')
  expectDiag(errorsOf(text), {file: F, text, needle: 'selector:', field: 'spec.selector', message: /selector does not match the template's labels/})
})

test('duplicate container names', () => {
  const text = edit('      volumes:', '        - name: app\n          image: x\n      volumes:')
  expectDiag(errorsOf(text), {file: F, text, needle: 'name: app', nth: 1, field: 'spec.template.spec.containers[1].name', message: /duplicate container name "app"/})
})

test('ports out of range: containerPort, probe port, Service targetPort', () => {
  let text = edit('containerPort: 8080', 'containerPort: 70000')
  expectDiag(errorsOf(text), {file: F, text, needle: 'containerPort', field: 'spec.template.spec.containers[0].ports[0].containerPort', message: /70000 is out of range \(1-65535\)/})
  text = edit('              port: http', '              port: 0')
  expectDiag(errorsOf(text), {file: F, text, needle: 'port: 0', field: 'spec.template.spec.containers[0].readinessProbe.httpGet.port', message: /port 0 is out of range/})
  text = edit('              port: http', '              port: htp')
  expectDiag(errorsOf(text), {file: F, text, needle: 'port: htp', field: 'spec.template.spec.containers[0].readinessProbe.httpGet.port', message: /no container port is named "htp"/})
  const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports:\n    - port: 80\n      targetPort: 99999\n'
  expectDiag(errorsOf(svc, 'svc.yaml'), {file: 'svc.yaml', text: svc, needle: 'targetPort', field: 'spec.ports[0].targetPort', message: /99999 is out of range/})
})

test('volumeMounts naming an undefined volume', () => {
  const text = edit('            - name: conf\n', '            - name: config\n')
  const d = expectDiag(errorsOf(text), {file: F, text, needle: 'name: config', field: 'spec.template.spec.containers[0].volumeMounts[0].name', message: /volume "config" is not defined/})
  assert.match(d.hint!, /conf/)
})

test('references to ConfigMaps, Secrets, keys and claims that do not exist are warnings (the pod waits, as in Kubernetes)', () => {
  let text = edit('            name: app-config', '            name: app-confg')
  let d = expectDiag(errorsOf(text), {file: F, text, needle: 'name: app-confg', field: 'spec.template.spec.volumes[0].configMap.name', message: /ConfigMap "app-confg" does not exist in namespace default/, severity: 'warning'})
  assert.is(d.hint, 'did you mean "app-config"?')
  text = edit('                  key: token', '                  key: tokn')
  d = expectDiag(errorsOf(text), {file: F, text, needle: 'key: tokn', field: 'spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.key', message: /Secret "creds" has no key "tokn"/, severity: 'warning'})
  assert.is(d.hint, 'did you mean "token"?')
  text = edit('                  name: creds', '                  name: nothere')
  expectDiag(errorsOf(text), {file: F, text, needle: 'name: nothere', field: 'spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name', message: /Secret "nothere" does not exist/, severity: 'warning'})
  // envFrom, projected items, and a claim
  text = edit('      volumes:', '          envFrom:\n            - configMapRef: {name: env-cm}\n      volumes:\n        - name: p\n          projected:\n            sources:\n              - secret: {name: creds, items: [{key: nokey, path: k}]}\n        - name: data\n          persistentVolumeClaim: {claimName: data}')
  const ds = errorsOf(text)
  expectDiag(ds, {file: F, text, needle: 'name: env-cm', field: 'spec.template.spec.containers[0].envFrom[0].configMapRef.name', message: /ConfigMap "env-cm" does not exist/, severity: 'warning'})
  expectDiag(ds, {file: F, text, needle: 'key: nokey', field: 'spec.template.spec.volumes[0].projected.sources[0].secret.items[0].key', message: /Secret "creds" has no key "nokey"/, severity: 'warning'})
  expectDiag(ds, {file: F, text, needle: 'claimName', field: 'spec.template.spec.volumes[1].persistentVolumeClaim.claimName', message: /PersistentVolumeClaim "data" does not exist/, severity: 'warning'})
})

test('optional: true references may be missing', () => {
  const text = edit('                  key: token', '                  key: absent\n                  optional: true').replace('            name: app-config', '            name: nope\n            optional: true')
  const r = diagnose({[F]: text})
  assert.equal(r.diagnostics.map(formatDiagnostic), [])
})

test('references do not cross namespaces', () => {
  const text = edit('  name: app-config\ndata', '  name: app-config\n  namespace: other\ndata')
  expectDiag(errorsOf(text), {file: F, text, needle: 'name: app-config', field: 'spec.template.spec.volumes[0].configMap.name', message: /ConfigMap "app-config" does not exist in namespace default/, severity: 'warning'})
})

test("env names follow Kubernetes' current rule (IsRelaxedEnvVarName): printable ASCII, no '='", () => {
  const podWith = (name: string, prefix = '') =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: busybox\n      env:\n        - name: ${JSON.stringify(name)}\n          value: x\n${prefix ? `      envFrom:\n        - prefix: ${JSON.stringify(prefix)}\n          configMapRef: {name: cm, optional: true}\n` : ''}`
  for (const ok of ['MY_VAR', 'my.env-name', '1STARTS_WITH_DIGIT', 'with space', 'a:b/c', '~!@#$%^&*()']) {
    const r = diagnose({'p.yaml': podWith(ok)})
    assert.equal(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), [], ok)
  }
  for (const bad of ['A=B', 'tab\there', 'caf\u00e9', 'bell\u0007']) {
    const text = podWith(bad)
    expectDiag(diagnose({'p.yaml': text}).diagnostics, {file: 'p.yaml', text, needle: `name: ${JSON.stringify(bad)}`, field: 'spec.containers[0].env[0].name', message: /must consist only of printable ASCII characters other than '='/})
  }
  const empty = podWith('')
  expectDiag(diagnose({'p.yaml': empty}).diagnostics, {file: 'p.yaml', text: empty, needle: 'name: ""', field: 'spec.containers[0].env[0].name', message: /must not be empty/})
  const pre = podWith('OK', 'APP=')
  expectDiag(diagnose({'p.yaml': pre}).diagnostics, {file: 'p.yaml', text: pre, needle: 'prefix:', field: 'spec.containers[0].envFrom[0].prefix', message: /envFrom prefix "APP=" is invalid/})
})

test('a manifest exported with kubectl get -o yaml: status dropped silently, server-set metadata accepted with a warning and dropped', () => {
  const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  uid: 0b5c3c1e-9d47-4a5e-8f3e-1d2c3b4a5f60
  resourceVersion: "123456"
  generation: 4
  creationTimestamp: "2026-01-01T00:00:00Z"
  managedFields:
    - manager: kubectl-client-side-apply
      operation: Update
  ownerReferences:
    - {apiVersion: v1, kind: Thing, name: other, uid: abc, controller: true}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, creationTimestamp: null}
    spec:
      containers: [{name: c, image: busybox}]
status:
  replicas: 1
  availableReplicas: 1
  conditions: [{type: Available, status: "True"}]
`
  const r = diagnose({'web.yaml': text})
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), [])
  const warned = r.diagnostics.map((d) => d.field).sort()
  assert.equal(warned, ['metadata.generation', 'metadata.managedFields', 'metadata.ownerReferences', 'metadata.resourceVersion', 'metadata.uid'])
  const o = r.desired!.objects[0]!.object as unknown as Record<string, unknown> & {metadata: Record<string, unknown>}
  assert.is(o.status, undefined, 'status is not kept')
  for (const f of ['uid', 'resourceVersion', 'generation', 'managedFields', 'ownerReferences']) assert.is(o.metadata[f], undefined, f)
})

test('Kubernetes fields tsctl does not honour are accepted with a warning naming each, never "unknown field"', () => {
  const text = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  resources: {limits: {cpu: "1"}}
  resourceClaims: [{name: gpu, resourceClaimName: gpu-claim}]
  hostnameOverride: other
  containers:
    - name: c
      image: busybox
      restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [42]}}]
      env:
        - name: FROM_FILE
          valueFrom: {fileKeyRef: {volumeName: v, path: env, key: K}}
  volumes:
    - name: v
      projected: {sources: [{clusterTrustBundle: {name: b, path: ca.pem}}]}
`
  const r = diagnose({'p.yaml': text})
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), [])
  assert.equal(r.diagnostics.map((d) => d.field).sort(), [
    'spec.containers[0].env[0].valueFrom.fileKeyRef',
    'spec.containers[0].restartPolicyRules',
    'spec.hostnameOverride',
    'spec.resourceClaims',
    'spec.resources',
    'spec.volumes[0].projected.sources[0].clusterTrustBundle',
  ])
  assert.ok(r.diagnostics.every((d) => d.message === 'accepted but not honoured by tsctl' && d.hint))
})

test('invalid cron schedule', () => {
  const cj = 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: r}\nspec:\n  schedule: "61 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: i}]\n'
  expectDiag(errorsOf(cj, 'cj.yaml'), {file: 'cj.yaml', text: cj, needle: 'schedule', field: 'spec.schedule', message: /invalid cron schedule "61 \* \* \* \*"/})
})

test('CronJob timeZone must be a known IANA zone; a known one is accepted', () => {
  const cj = 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: r}\nspec:\n  schedule: "0 3 * * *"\n  timeZone: Mars/Olympus\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: i}]\n'
  expectDiag(errorsOf(cj, 'cj.yaml'), {file: 'cj.yaml', text: cj, needle: 'timeZone', field: 'spec.timeZone', message: /unknown time zone "Mars\/Olympus"/})
  assert.equal(errorsOf(cj.replace('Mars/Olympus', 'Europe/Berlin'), 'cj.yaml'), [])
})

test('Job and CronJob pods with restartPolicy Always (or unset)', () => {
  const job = 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Always\n      containers: [{name: c, image: i}]\n'
  expectDiag(errorsOf(job, 'j.yaml'), {file: 'j.yaml', text: job, needle: 'restartPolicy', field: 'spec.template.spec.restartPolicy', message: /must not restart forever/})
  const unset = job.replace('      restartPolicy: Always\n', '')
  expectDiag(errorsOf(unset, 'j.yaml'), {file: 'j.yaml', text: unset, needle: 'spec:\n      containers', field: 'spec.template.spec', message: /restartPolicy is unset/})
})

test('two objects with the same kind/namespace/name, across files', () => {
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n'
  const ds = diagnose({[F]: webYaml, 'manifests/z.yaml': cm}).diagnostics
  const d = expectDiag(ds, {file: 'manifests/z.yaml', text: cm, needle: 'name: app-config', field: 'metadata.name', message: /ConfigMap\/default\/app-config is defined twice/})
  const first = loc(webYaml, 'apiVersion: v1\nkind: ConfigMap')
  assert.ok(d.hint!.includes(`manifests/web.yaml:${first.line}:1`), d.hint)
  // same name in another namespace is fine
  assert.equal(diagnose({[F]: webYaml, 'manifests/z.yaml': cm.replace('\n  name', '\n  namespace: other\n  name')}).diagnostics, [])
})

test('non-base64 Secret data', () => {
  const text = edit('token: dG9rZW4=', 'token: "not base64!"')
  expectDiag(errorsOf(text), {file: F, text, needle: 'token: "not', field: 'data.token', message: /not valid base64/})
})

test('maxSurge and maxUnavailable both 0', () => {
  const text = edit('  replicas: 2\n', '  replicas: 2\n  strategy:\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: "0%"\n')
  expectDiag(errorsOf(text), {file: F, text, needle: 'rollingUpdate', field: 'spec.strategy.rollingUpdate', message: /both 0/})
  // one of them non-zero (the other defaulted to 25%) is fine
  assert.equal(errorsOf(edit('  replicas: 2\n', '  replicas: 2\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 0\n')), [])
})

test('kinds tsctl does not run: one warning each, skipped, never an error', () => {
  const text = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec: {rules: []}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n'
  const r = diagnose({[F]: webYaml, 'extra.yaml': text})
  assert.ok(r.desired, 'skipped kinds must not fail the load')
  assert.is(r.diagnostics.length, 3)
  expectDiag(r.diagnostics, {file: 'extra.yaml', text, needle: 'kind: ServiceAccount', field: 'kind', message: /ServiceAccount is not run by tsctl; skipped/, severity: 'warning'})
  expectDiag(r.diagnostics, {file: 'extra.yaml', text, needle: 'kind: Ingress', field: 'kind', message: /Ingress is not run by tsctl; skipped/, severity: 'warning'})
  expectDiag(r.diagnostics, {file: 'extra.yaml', text, needle: 'kind: Widget', field: 'kind', message: /Widget \(example.com\/v1\) is not a kind tsctl runs/, severity: 'warning'})
  assert.equal(r.desired!.objects.map((o) => o.object.kind).sort(), ['ConfigMap', 'Deployment', 'Secret'])
})

test('a kind that is a typo of a supported kind is an error', () => {
  const text = 'apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n'
  const d = expectDiag(errorsOf(text, 'x.yaml'), {file: 'x.yaml', text, needle: 'kind', field: 'kind', message: /unknown kind "Deploymnet"/})
  assert.is(d.hint, 'did you mean "Deployment"?')
})

test('wrong apiVersion for a supported kind', () => {
  const text = webYaml.replace('apiVersion: apps/v1', 'apiVersion: extensions/v1beta1')
  expectDiag(errorsOf(text), {file: F, text, needle: 'apiVersion', field: 'apiVersion', message: /Deployment is apps\/v1, not "extensions\/v1beta1"/})
})

test('Service type LoadBalancer: warning, served as NodePort', () => {
  const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: LoadBalancer\n  selector: {app: web}\n  ports: [{port: 80}]\n'
  const r = diagnose({'svc.yaml': svc})
  assert.ok(r.desired)
  expectDiag(r.diagnostics, {file: 'svc.yaml', text: svc, needle: 'type', field: 'spec.type', message: /served as NodePort/, severity: 'warning'})
})

test('fields tsctl cannot honour: a warning naming the field', () => {
  const text = edit('      containers:', '      serviceAccountName: web\n      containers:')
  const r = diagnose({[F]: text})
  assert.ok(r.desired)
  const d = expectDiag(r.diagnostics, {file: F, text, needle: 'serviceAccountName', field: 'spec.template.spec.serviceAccountName', message: /not honoured/, severity: 'warning'})
  assert.match(d.hint!, /service account/)
})

test('every error in every file is collected at once', () => {
  const a = edit('replicas: 2', 'replicas: "2"').replace('cpu: 100m', 'cpu: lots').replace('token: dG9rZW4=', 'token: "!"')
  const b = 'a: 1\na: 2\n'
  const c = 'x: [1, 2\n'
  const r = diagnose({'a.yaml': a, 'b.yaml': b, 'c.yaml': c})
  assert.ok(r.error)
  assert.is(r.error!.exitCode, 2)
  const where = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}`)
  for (const needle of ['replicas', 'cpu: lots', 'token: "!"']) assert.ok(where.includes(`a.yaml:${loc(a, needle).line}`), `${needle}: ${where.join(' ')}`)
  assert.ok(where.includes('b.yaml:2'), where.join(' '))
  assert.ok(where.some((w) => w.startsWith('c.yaml:')), where.join(' '))
  assert.match(r.error!.message, /errors in the manifests/)
})

test('a document that is not an object, or has no kind', () => {
  const text = '- 1\n---\nfoo: bar\n'
  const ds = errorsOf(text, 'x.yaml')
  expectDiag(ds, {file: 'x.yaml', text, needle: '- 1', message: /must be a mapping/})
  expectDiag(ds, {file: 'x.yaml', text, needle: 'foo', message: /missing kind/})
})

test('values of the wrong type everywhere: schema errors, never a crash', () => {
  const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: w, labels: [1], annotations: 3}
spec:
  selector: "x"
  strategy: {rollingUpdate: [1]}
  template:
    metadata: {labels: 5}
    spec:
      containers: "abc"
      volumes: 5
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: w2}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - {name: c, image: i, env: {a: 1}, resources: [], volumeMounts: [{name: 1, mountPath: 2}], livenessProbe: {httpGet: {port: [1]}}}
      volumes: [{name: v, configMap: {name: 1, items: 5}}]
---
apiVersion: v1
kind: Secret
metadata: {name: s}
data: [1]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec: {schedule: 5, jobTemplate: 3}
---
apiVersion: v1
kind: ConfigMap
metadata: null
---
kind: Pod
metadata: {name: p}
spec: 1
`
  const ds = errorsOf(text, 'x.yaml')
  expectDiag(ds, {file: 'x.yaml', text, needle: 'containers: "abc"', field: 'spec.template.spec.containers', message: /must be a list, not a string/})
  expectDiag(ds, {file: 'x.yaml', text, needle: 'env: {a: 1}', field: 'spec.template.spec.containers[0].env', message: /must be a list, not a mapping/})
  expectDiag(ds, {file: 'x.yaml', text, needle: 'schedule: 5', field: 'spec.schedule', message: /must be a string/})
  expectDiag(ds, {file: 'x.yaml', text, needle: 'metadata: null', field: 'metadata', message: /must be a mapping, not null/})
  expectDiag(ds, {file: 'x.yaml', text, needle: 'kind: Pod', message: /missing required field "apiVersion"/})
  assert.not.ok(ds.some((d) => /empty selector/.test(d.message)), 'no noise from semantic checks on wrongly typed values')
})

test('capabilities: an unknown name is an error at its entry, with did-you-mean', () => {
  const text = edit('          image: oci:images/busybox', '          image: oci:images/busybox\n          securityContext:\n            capabilities:\n              add: [NET_ADMN]')
  const d = expectDiag(errorsOf(text), {file: F, text, needle: 'NET_ADMN', field: 'spec.template.spec.containers[0].securityContext.capabilities.add[0]', message: /unknown capability "NET_ADMN"/})
  assert.is(d.hint, 'did you mean "NET_ADMIN"?')
})

test('allowPrivilegeEscalation: false with privileged or CAP_SYS_ADMIN is refused as Kubernetes refuses it', () => {
  const sc = (extra: string) => edit('          image: oci:images/busybox', `          image: oci:images/busybox\n          securityContext:\n            allowPrivilegeEscalation: false\n${extra}`)
  const a = sc('            privileged: true')
  expectDiag(errorsOf(a), {file: F, text: a, needle: 'securityContext', field: 'spec.template.spec.containers[0].securityContext', message: /cannot set `allowPrivilegeEscalation` to false and `privileged` to true/})
  const b = sc('            capabilities: {add: [CAP_SYS_ADMIN]}')
  expectDiag(errorsOf(b), {file: F, text: b, needle: 'securityContext', field: 'spec.template.spec.containers[0].securityContext', message: /cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN/})
})

test('a non-string Secret value is an error that never shows the value', () => {
  const text = 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  pw: 12345678\n  list: [hunter2]\ndata:\n  b: {x: topsecret}\n'
  const ds = errorsOf(text, 'manifests/s.yaml')
  assert.is(ds.length, 3, ds.map(formatDiagnostic).join('\n'))
  for (const d of ds) {
    assert.match(d.message, /^a Secret value must be a string, not (a number|a list|a mapping) \(the value is not shown\)$/)
    assert.not.match(formatDiagnostic(d), /12345678|hunter2|topsecret/)
  }
  expectDiag(ds, {file: 'manifests/s.yaml', text, needle: 'pw: 12345678', field: 'stringData.pw', message: /not a number/})
})

test('seccompProfile: RuntimeDefault is accepted without a warning, Unconfined only where the namespace level allows it; Localhost needs localhostProfile', () => {
  const ok = edit('          image: oci:images/busybox', '          image: oci:images/busybox\n          securityContext:\n            seccompProfile: {type: RuntimeDefault}')
  assert.equal(errorsOf(ok).filter((d) => /seccomp/.test(d.field ?? '')).map(formatDiagnostic), [])
  const unconfined = edit('          image: oci:images/busybox', '          image: oci:images/busybox\n          securityContext:\n            seccompProfile: {type: Unconfined}')
  assert.match(errorsOf(unconfined).map((d) => d.message).join('\n'), 'must not set securityContext.seccompProfile.type to "Unconfined"')
  const bad = edit('          image: oci:images/busybox', '          image: oci:images/busybox\n          securityContext:\n            seccompProfile:\n              type: Localhost')
  expectDiag(errorsOf(bad), {file: F, text: bad, needle: 'seccompProfile:', field: 'spec.template.spec.containers[0].securityContext.seccompProfile', message: /must set localhostProfile when seccomp profile type is Localhost/})
  const stray = edit('          image: oci:images/busybox', '          image: oci:images/busybox\n          securityContext:\n            seccompProfile: {type: RuntimeDefault, localhostProfile: p.json}')
  assert.match(errorsOf(stray).map((d) => d.message).join('\n'), 'can only be set when seccomp profile type is Localhost')
})

test.run()
