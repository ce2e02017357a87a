import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {applyDefaults, defaultPullPolicy} from '../../../src/manifests/defaults.js'
import type {KubeObject} from '../../../src/manifests/object.js'

const pod = (extra: object = {}) => ({containers: [{name: 'c', image: 'busybox:1.36', ports: [{containerPort: 80}], readinessProbe: {httpGet: {port: 80}}, resources: {limits: {cpu: '1'}}}], ...extra})
const obj = (kind: string, apiVersion: string, spec: object): KubeObject => ({apiVersion, kind, metadata: {name: 'x'}, spec})
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const d = (o: KubeObject): any => applyDefaults(o)

test('Deployment: replicas, strategy 25%/25%, history, deadline, pod and container defaults', () => {
  const out = d(obj('Deployment', 'apps/v1', {selector: {matchLabels: {a: 'b'}}, template: {metadata: {labels: {a: 'b'}}, spec: pod()}}))
  assert.is(out.metadata.namespace, 'default')
  assert.equal([out.spec.replicas, out.spec.revisionHistoryLimit, out.spec.progressDeadlineSeconds, out.spec.minReadySeconds], [1, 10, 600, 0])
  assert.equal(out.spec.strategy, {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: '25%', maxSurge: '25%'}})
  const ps = out.spec.template.spec
  assert.equal([ps.restartPolicy, ps.terminationGracePeriodSeconds, ps.dnsPolicy], ['Always', 30, 'ClusterFirst'])
  const c = ps.containers[0]
  assert.is(c.ports[0].protocol, 'TCP')
  assert.is(c.imagePullPolicy, 'IfNotPresent')
  assert.equal(c.readinessProbe, {httpGet: {port: 80, path: '/', scheme: 'HTTP'}, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3})
  assert.equal(c.resources.requests, {cpu: '1'}, 'a limit without a request is also the request')
})

test('Recreate gets no rollingUpdate; explicit values are kept', () => {
  const out = d(obj('Deployment', 'apps/v1', {replicas: 0, strategy: {type: 'Recreate'}, selector: {}, template: {spec: pod({restartPolicy: 'Always', terminationGracePeriodSeconds: 5})}}))
  assert.equal(out.spec.strategy, {type: 'Recreate'})
  assert.is(out.spec.replicas, 0)
  assert.is(out.spec.template.spec.terminationGracePeriodSeconds, 5)
})

test('StatefulSet, DaemonSet, Job, CronJob, Service, Secret', () => {
  const sts = d(obj('StatefulSet', 'apps/v1', {selector: {}, template: {spec: pod()}, volumeClaimTemplates: [{metadata: {name: 'data'}, spec: {}}]}))
  assert.equal([sts.spec.replicas, sts.spec.podManagementPolicy, sts.spec.updateStrategy], [1, 'OrderedReady', {type: 'RollingUpdate', rollingUpdate: {partition: 0}}])
  assert.is(sts.spec.volumeClaimTemplates[0].spec.volumeMode, 'Filesystem')
  const ds = d(obj('DaemonSet', 'apps/v1', {selector: {}, template: {spec: pod()}}))
  assert.equal(ds.spec.updateStrategy, {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: 1, maxSurge: 0}})
  const job = d(obj('Job', 'batch/v1', {template: {spec: pod({restartPolicy: 'Never'})}}))
  assert.equal([job.spec.completions, job.spec.parallelism, job.spec.backoffLimit], [1, 1, 6])
  const job5 = d(obj('Job', 'batch/v1', {completions: 5, template: {spec: pod({restartPolicy: 'Never'})}}))
  assert.equal([job5.spec.completions, job5.spec.parallelism], [5, 1])
  const par = d(obj('Job', 'batch/v1', {parallelism: 3, template: {spec: pod({restartPolicy: 'Never'})}}))
  assert.equal([par.spec.completions, par.spec.parallelism], [undefined, 3], 'Kubernetes leaves completions unset when only parallelism is given')
  const cj = d(obj('CronJob', 'batch/v1', {schedule: '@daily', jobTemplate: {spec: {template: {spec: pod({restartPolicy: 'Never'})}}}}))
  assert.equal([cj.spec.concurrencyPolicy, cj.spec.successfulJobsHistoryLimit, cj.spec.failedJobsHistoryLimit, cj.spec.suspend], ['Allow', 3, 1, false])
  assert.is(cj.spec.jobTemplate.spec.backoffLimit, 6)
  const svc = d(obj('Service', 'v1', {ports: [{port: 80}, {port: 53, protocol: 'UDP', targetPort: 'dns'}]}))
  assert.is(svc.spec.type, 'ClusterIP')
  assert.equal(svc.spec.ports, [{port: 80, protocol: 'TCP', targetPort: 80}, {port: 53, protocol: 'UDP', targetPort: 'dns'}])
  const secret = d({apiVersion: 'v1', kind: 'Secret', metadata: {name: 's'}})
  assert.is(secret.type, 'Opaque')
  const node = d({apiVersion: 'v1', kind: 'Node', metadata: {name: 'n'}, spec: {address: 'local'}})
  assert.is(node.metadata.namespace, undefined, 'cluster-scoped kinds get no namespace')
})

test('volumes: no source is an emptyDir; modes default to 0644', () => {
  const out = d(obj('Pod', 'v1', pod({volumes: [{name: 'a'}, {name: 'b', configMap: {name: 'c'}}, {name: 's', secret: {secretName: 's', defaultMode: 0o400}}]})))
  assert.equal(out.spec.volumes, [{name: 'a', emptyDir: {}}, {name: 'b', configMap: {name: 'c', defaultMode: 0o644}}, {name: 's', secret: {secretName: 's', defaultMode: 0o400}}])
})

test('imagePullPolicy follows the tag', () => {
  assert.is(defaultPullPolicy('busybox'), 'Always')
  assert.is(defaultPullPolicy('busybox:latest'), 'Always')
  assert.is(defaultPullPolicy('busybox:1.36'), 'IfNotPresent')
  assert.is(defaultPullPolicy('localhost:5000/busybox'), 'Always')
  assert.is(defaultPullPolicy('busybox@sha256:abcd'), 'IfNotPresent')
  assert.is(defaultPullPolicy('oci:images/busybox'), 'IfNotPresent')
})

test('idempotent and never changes its input', () => {
  const input = obj('Deployment', 'apps/v1', {selector: {}, template: {spec: pod()}})
  const copy = structuredClone(input)
  const once = applyDefaults(input)
  assert.equal(input, copy)
  assert.equal(applyDefaults(once), once)
})

test.run()
