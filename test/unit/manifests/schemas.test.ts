import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {kindSchemas, schemaDir} from '../../../src/manifests/schemas.js'

const kinds = ['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Service', 'ConfigMap', 'Secret', 'PersistentVolumeClaim', 'Namespace', 'Node']

test('every kind in the issue has a compiled schema', () => {
  const s = kindSchemas()
  assert.equal([...s.validators.keys()].sort(), [...kinds].sort())
})

test('every object schema forbids unknown fields (additionalProperties: false) unless it is a map', () => {
  const bad: string[] = []
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`))
    if (!node || typeof node !== 'object') return
    const o = node as Record<string, unknown>
    if (o.type === 'object' && o.properties && o.additionalProperties !== false) bad.push(path)
    if (o.type === 'object' && !o.properties && (o.additionalProperties === undefined || o.additionalProperties === true)) bad.push(path)
    for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`)
  }
  for (const f of readdirSync(schemaDir()).filter((f) => f.endsWith('.json'))) {
    walk(JSON.parse(readFileSync(join(schemaDir(), f), 'utf8')), f)
  }
  assert.equal(bad, [])
})

test('a real Kubernetes Deployment validates unchanged', () => {
  const v = kindSchemas().validators.get('Deployment')!
  const ok = v({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: 'nginx', labels: {app: 'nginx'}, creationTimestamp: null},
    spec: {
      replicas: 3,
      selector: {matchLabels: {app: 'nginx'}},
      strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: '25%', maxUnavailable: 0}},
      template: {
        metadata: {labels: {app: 'nginx'}},
        spec: {
          containers: [{
            name: 'nginx', image: 'nginx:1.25', ports: [{containerPort: 80}],
            resources: {requests: {cpu: '100m', memory: '128Mi'}, limits: {cpu: 0.5, memory: '1.5Gi'}},
            readinessProbe: {httpGet: {path: '/', port: 'http'}, periodSeconds: 5},
          }],
          affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, podAffinityTerm: {topologyKey: 'kubernetes.io/hostname', labelSelector: {matchLabels: {app: 'nginx'}}}}]}},
          tolerations: [{key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule'}],
          topologySpreadConstraints: [{maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: {matchLabels: {app: 'nginx'}}}],
        },
      },
    },
  })
  assert.equal(v.errors ?? null, null)
  assert.ok(ok)
})

test('an unknown field fails with additionalProperties', () => {
  const v = kindSchemas().validators.get('Pod')!
  assert.not.ok(v({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p'}, spec: {containres: [], containers: [{name: 'a', image: 'x'}]}}))
  assert.ok(v.errors!.some((e) => e.keyword === 'additionalProperties' && e.params.additionalProperty === 'containres'))
})

test('unsupported fields are recorded, not rejected', () => {
  const s = kindSchemas()
  s.unsupported.length = 0
  const v = s.validators.get('Pod')!
  assert.ok(v({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p'}, spec: {serviceAccountName: 'x', containers: [{name: 'a', image: 'x'}]}}))
  assert.equal(s.unsupported.map((u) => u.instancePath), ['/spec/serviceAccountName'])
})

test.run()
