// The pod bundle compiler: layout, Kubernetes formulas and expansion rules.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {BundleError, buildPodBundle, cpuQuota, cpuShares, expandVars, sharesToWeight, volumeFiles} from '../../../src/host/bundle/pod-bundle.js'
import type {KubeObject} from '../../../src/manifests/object.js'

const L1 = 'sha256:' + '1'.repeat(64)
const L2 = 'sha256:' + '2'.repeat(64)
const image = () => ({layers: [L1, L2], entrypoint: ['/entry'], cmd: ['default-arg'], env: ['PATH=/img/bin', 'FROM_IMAGE=yes'], workingDir: '/w'})
const pod = (spec: Record<string, unknown>): KubeObject => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web', namespace: 'prod', uid: 'u1', labels: {app: 'web'}}, spec})
const text = (t: Map<string, Buffer>, k: string) => t.get(k)?.toString()

test('Kubernetes CPU formulas', () => {
  assert.is(cpuShares(0), 2)
  assert.is(cpuShares(1), 2)
  assert.is(cpuShares(250), 256)
  assert.is(cpuShares(1000), 1024)
  assert.is(cpuQuota(500), 50000)
  assert.is(cpuQuota(1), 1000, 'the kubelet minimum quota')
  assert.is(sharesToWeight(2), 1)
  assert.is(sharesToWeight(1024), 39)
  assert.is(sharesToWeight(262144), 10000)
})

test('$(VAR) expansion as Kubernetes does it', () => {
  const vars = new Map([['A', 'x']])
  assert.is(expandVars('$(A)-$(B)-$$(A)-$(touch /tmp/p)', vars), 'x-$(B)-$(A)-$(touch /tmp/p)')
})

test('layout: meta, init layer, argv/env NUL lists, limits, layers top first', () => {
  const t = buildPodBundle({
    pod: pod({
      containers: [{name: 'app', image: 'i', args: ['a b', '$(FROM_IMAGE)'], env: [{name: 'X', value: '1'}, {name: 'N', valueFrom: {fieldRef: {fieldPath: 'metadata.namespace'}}}], resources: {requests: {cpu: '250m'}, limits: {cpu: '1', memory: '64Mi'}}}],
      hostAliases: [{ip: '10.0.0.1', hostnames: ['db']}],
      terminationGracePeriodSeconds: 5,
      shareProcessNamespace: true,
    }),
    specHash: 'abc',
    image,
    pidsLimit: 50,
  })
  assert.is(text(t, 'meta/hash'), 'abc\n')
  assert.is(text(t, 'meta/namespace'), 'prod\n')
  assert.is(text(t, 'meta/grace'), '5\n')
  assert.is(text(t, 'meta/flags'), 'shareProcessNamespace\n')
  assert.is(text(t, 'etc/hostname'), 'web\n')
  assert.match(text(t, 'etc/hosts')!, '10.0.0.1\tdb')
  assert.is(text(t, 'containers/c00/layers'), `${L2}\n${L1}\n`)
  assert.is(text(t, 'containers/c00/argv'), '/entry\0a b\0yes\0', 'args replace cmd, entrypoint stays')
  assert.match(text(t, 'containers/c00/env')!, 'PATH=/img/bin\0FROM_IMAGE=yes\0X=1\0N=prod\0')
  assert.is(text(t, 'containers/c00/cwd'), '/w')
  assert.is(text(t, 'containers/c00/limits'), 'cpu_shares 256\ncpu_quota 100000\ncpu_period 100000\nmemory 67108864\npids 50\n')
  assert.not.ok(t.has('meta/backoff'))
})

test('command drops the image cmd; security flags', () => {
  const t = buildPodBundle({pod: pod({containers: [{name: 'c', image: 'i', command: ['run'], securityContext: {runAsUser: 1000, runAsGroup: 2000, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}}]}), specHash: 'h', image})
  assert.is(text(t, 'containers/c00/argv'), 'run\0')
  assert.is(text(t, 'containers/c00/user'), '1000 2000\n')
  assert.is(text(t, 'containers/c00/flags'), 'noNewPrivs readOnlyRoot\n')
})

test('volumes: secrets 0644 by default (Kubernetes), on tmpfs, configMap items, mounts records, probes defaults', () => {
  const t = buildPodBundle({
    pod: pod({
      volumes: [{name: 's', secret: {secretName: 'sec'}}, {name: 'c', configMap: {name: 'cm', items: [{key: 'k', path: 'd/k.txt'}], defaultMode: 0o640}}, {name: 'h', hostPath: {path: '/srv/x y'}}, {name: 'm', emptyDir: {medium: 'Memory'}}],
      containers: [{name: 'c', image: 'i', volumeMounts: [{name: 'c', mountPath: '/etc/c'}, {name: 'h', mountPath: '/h', subPath: 'sub'}], readinessProbe: {httpGet: {port: 'web', path: '/ok'}}, ports: [{name: 'web', containerPort: 8080}]}],
    }),
    specHash: 'h',
    image,
    secrets: {sec: {data: {pw: Buffer.from('x').toString('base64')}}},
    configMaps: {cm: {data: {k: 'v', other: 'o'}}},
  })
  assert.is(text(t, 'volumes/00/kind'), 'secret\n')
  assert.is(text(t, 'volumes/00/mode'), '0644\n')
  assert.is(text(t, 'volumes/00/data/pw'), 'x')
  assert.is(text(t, 'volumes/01/mode'), '0640\n')
  assert.is(text(t, 'volumes/01/data/d/k.txt'), 'v')
  assert.not.ok(t.has('volumes/01/data/other'))
  assert.is(text(t, 'volumes/02/source'), '/srv/x y')
  assert.is(text(t, 'volumes/03/kind'), 'emptyDirMemory\n')
  assert.is(text(t, 'containers/c00/mounts'), '01\0/etc/c\0\0ro\0' + '02\0/h\0sub\0rw\0')
  assert.is(text(t, 'containers/c00/probes/readiness/port'), '8080\n')
  assert.is(text(t, 'containers/c00/probes/readiness/period'), '10\n')
  assert.is(text(t, 'containers/c00/probes/readiness/failure'), '3\n')
})

test('bad references and escaping paths are BundleErrors', () => {
  const base = (c: Record<string, unknown>, v: unknown[] = []) => () => buildPodBundle({pod: pod({containers: [{name: 'c', image: 'i', ...c}], volumes: v}), specHash: 'h', image})
  assert.throws(base({volumeMounts: [{name: 'nope', mountPath: '/x'}]}), (e: unknown) => e instanceof BundleError)
  assert.throws(base({volumeMounts: [{name: 'e', mountPath: '/x', subPath: '../etc'}]}, [{name: 'e', emptyDir: {}}]), /must be relative/)
  assert.throws(() => volumeFiles({name: 'c', configMap: {name: 'cm', items: [{key: 'k', path: '../k'}]}}, {pod: pod({containers: []}), configMaps: {cm: {data: {k: 'v'}}}}), /must be relative/)
  assert.throws(base({env: [{name: 'A', valueFrom: {secretKeyRef: {name: 's', key: 'k'}}}]}), /Secret s has no key k/)
  assert.throws(() => buildPodBundle({pod: pod({containers: [{name: 'c', image: 'i'}]}), specHash: 'h', image: () => ({layers: [L1]})}), /no command/)
})

test('resourceFieldRef: the downward API numbers, rounded up by the divisor; an unset limit leaves the variable out', () => {
  const rf = (resource: string, divisor?: string) => ({resourceFieldRef: {resource, ...(divisor ? {divisor} : {})}})
  const t = buildPodBundle({
    pod: pod({
      containers: [{
        name: 'c', image: 'i',
        resources: {limits: {cpu: '500m', memory: '64Mi'}, requests: {cpu: '250m'}},
        env: [
          {name: 'CPU', valueFrom: rf('limits.cpu')},
          {name: 'CPU_M', valueFrom: rf('limits.cpu', '1m')},
          {name: 'MEM_MI', valueFrom: rf('limits.memory', '1Mi')},
          {name: 'REQ_CPU_M', valueFrom: rf('requests.cpu', '1m')},
          {name: 'REQ_MEM', valueFrom: rf('requests.memory')},
          {name: 'DISK', valueFrom: rf('limits.ephemeral-storage')},
        ],
      }],
      volumes: [{name: 'd', downwardAPI: {items: [{path: 'mem', resourceFieldRef: {containerName: 'c', resource: 'limits.memory', divisor: '1Mi'}}]}}],
    }),
    specHash: 'h',
    image,
  })
  const env = text(t, 'containers/c00/env')!.split('\0')
  for (const want of ['CPU=1', 'CPU_M=500', 'MEM_MI=64', 'REQ_CPU_M=250', 'REQ_MEM=0']) assert.ok(env.includes(want), `${want} in ${env.join(' ')}`)
  assert.not.ok(env.some((e) => e.startsWith('DISK=')), 'no limit: not set (Kubernetes would give the node allocatable)')
  const mem = [...t.entries()].find(([k]) => k.startsWith('volumes/') && k.endsWith('/mem'))
  assert.is(mem?.[1].toString(), '64')
})

test.run()
