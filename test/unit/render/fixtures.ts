// Hand-made Desired / State / Plan for the renderer tests and golden files:
// a rolling update of a Deployment, a changed ConfigMap and Secret, a
// replaced StatefulSet pod, a removed ConfigMap and a pod no node can take.
// Builders take only what a test is about; the rest has realistic defaults.
import type {Desired} from '../../../src/manifests/desired.js'
import type {KubeObject} from '../../../src/manifests/object.js'
import type {Plan} from '../../../src/reconcile/plan.js'
import type {State} from '../../../src/state/model.js'

export const NOW = Date.parse('2026-11-20T12:00:00Z')
const T0 = '2026-11-18T09:30:00Z'

export const commit = {sha: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d', subject: 'web: busybox 1.37, 3 replicas', author: 'Alice <alice@example.com>', date: '2026-11-20T11:58:00Z'}
export const oldCommit = {sha: '0f9e8d7c6b5a49382716f5e4d3c2b1a098765432', subject: 'first deploy of web', author: 'Bob <bob@example.com>', date: '2026-11-18T09:29:00Z'}

const git = {'tsctl.io/managed-by': 'git'}

export function node(name: string, address: string, extra: Record<string, unknown> = {}): KubeObject {
  return {apiVersion: 'v1', kind: 'Node', metadata: {name, labels: {zone: name.slice(-1)}, annotations: git, creationTimestamp: T0}, spec: {address, capacity: {cpu: '2', memory: '4Gi', pods: '110'}, ...extra}}
}

function template(image: string) {
  return {
    metadata: {labels: {app: 'web'}},
    spec: {
      restartPolicy: 'Always',
      containers: [
        {name: 'web', image, ports: [{containerPort: 8080, protocol: 'TCP'}], resources: {requests: {cpu: '100m', memory: '64Mi'}}, env: [{name: 'DB_PASSWORD', valueFrom: {secretKeyRef: {name: 'db', key: 'password'}}}]},
      ],
    },
  }
}

export function deployment(image: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: 'web', namespace: 'default', uid: 'uid-deploy-web', labels: {app: 'web'}, annotations: git, creationTimestamp: T0},
    spec: {replicas, revisionHistoryLimit: 10, selector: {matchLabels: {app: 'web'}}, strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: '25%', maxUnavailable: '25%'}}, template: template(image)},
  }
}

export function replicaSet(hash: string, image: string, replicas: number, revision: number, c: typeof commit): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'default',
      uid: `uid-rs-${hash}`,
      labels: {app: 'web', 'pod-template-hash': hash},
      annotations: {'deployment.kubernetes.io/revision': String(revision), 'tsctl.io/commit': c.sha, 'tsctl.io/commit-subject': c.subject, 'tsctl.io/commit-author': c.author, 'tsctl.io/commit-date': c.date},
      ownerReferences: [{apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-deploy-web', controller: true}],
      creationTimestamp: T0,
    },
    spec: {replicas, selector: {matchLabels: {app: 'web', 'pod-template-hash': hash}}, template: template(image)},
    status: {replicas, readyReplicas: replicas},
  }
}

export interface PodOpts {
  node?: string
  owner?: {kind: string; name: string; uid: string}
  uid?: string
  ready?: boolean
  restarts?: number
  image?: string
  created?: string
  ip?: string
  pending?: string
  namespace?: string
  /** the image pins the pod carries (`tsctl.io/image-digests`: image as written → sha256:…) */
  pins?: Record<string, string>
}

export function pod(name: string, o: PodOpts = {}): KubeObject {
  const ready = o.ready ?? true
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-pod-${name}`,
      labels: {app: name.split('-')[0]!},
      creationTimestamp: o.created ?? '2026-11-20T11:00:00Z',
      ...(o.pins ? {annotations: {'tsctl.io/image-digests': JSON.stringify(o.pins)}} : {}),
      ...(o.owner ? {ownerReferences: [{apiVersion: 'apps/v1', ...o.owner, controller: true}]} : {}),
    },
    spec: {...(o.node ? {nodeName: o.node} : {}), containers: [{name: 'main', image: o.image ?? 'busybox:1.36'}]},
    status: o.pending
      ? {phase: 'Pending', conditions: [{type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: o.pending}]}
      : {
          phase: 'Running',
          podIP: o.ip ?? '10.88.0.5',
          conditions: [{type: 'Ready', status: ready ? 'True' : 'False'}],
          containerStatuses: [{name: 'main', ready, restartCount: o.restarts ?? 0, state: ready ? {running: {startedAt: '2026-11-20T11:00:05Z'}} : {waiting: {reason: 'CrashLoopBackOff'}}}],
        },
  }
}

export function configMap(name: string, data: Record<string, string>): KubeObject {
  return {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name, namespace: 'default', annotations: git, creationTimestamp: T0}, data}
}

export function secret(name: string, data: Record<string, string>): KubeObject {
  return {apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: {name, namespace: 'default', annotations: git, creationTimestamp: T0}, data}
}

export function statefulSet(image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {name: 'db', namespace: 'default', uid: 'uid-sts-db', annotations: git, creationTimestamp: T0},
    spec: {replicas: 1, serviceName: 'db', selector: {matchLabels: {app: 'db'}}, template: {metadata: {labels: {app: 'db'}}, spec: {containers: [{name: 'db', image}]}}},
    status: {replicas: 1, readyReplicas: 1},
  }
}

export function service(): KubeObject {
  return {apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: 'default', annotations: git, creationTimestamp: T0}, spec: {type: 'NodePort', selector: {app: 'web'}, ports: [{port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP'}]}}
}

const strip = (o: KubeObject): KubeObject => {
  const c = structuredClone(o)
  delete c.status
  delete c.metadata.uid
  delete c.metadata.creationTimestamp
  if (c.metadata.annotations) delete c.metadata.annotations['tsctl.io/managed-by']
  if (c.metadata.annotations && Object.keys(c.metadata.annotations).length === 0) delete c.metadata.annotations
  return c
}

const src = (file: string, line: number) => ({file, doc: 0, line, col: 1})

export function desired(): Desired {
  return {
    commit,
    objects: [
      {object: strip(node('node-a', '198.18.0.11')), source: src('manifests/nodes.yaml', 1)},
      {object: strip(node('node-b', '198.18.0.12')), source: src('manifests/nodes.yaml', 12)},
      {object: strip(deployment('busybox:1.37', 3)), source: src('manifests/web.yaml', 1)},
      {object: strip(configMap('web-config', {LOG_LEVEL: 'debug', 'app.conf': 'listen 8080\n'})), source: src('manifests/web.yaml', 40)},
      {object: strip(secret('db', {password: 'bmV3LXNlY3JldA==', user: 'YXBw'})), source: src('manifests/db.yaml', 1)},
      {object: strip(service()), source: src('manifests/web.yaml', 52)},
      {object: strip(statefulSet('postgres:16.2')), source: src('manifests/db.yaml', 10)},
    ],
    warnings: [{severity: 'warning', file: 'manifests/web.yaml', line: 60, col: 1, object: 'Ingress/default/web', message: 'kind Ingress is not run by tsctl; skipped'}],
  }
}

const rsOld = {kind: 'ReplicaSet', name: 'web-6b7c8d9f', uid: 'uid-rs-6b7c8d9f'}
const rsNew = {kind: 'ReplicaSet', name: 'web-5f4e3d2c', uid: 'uid-rs-5f4e3d2c'}
const sts = {kind: 'StatefulSet', name: 'db', uid: 'uid-sts-db'}

function stateOf(serial: number, objects: KubeObject[]): State {
  const m: State['objects'] = {}
  for (const o of objects) m[o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`] = o
  return {
    version: 1,
    serial,
    lineage: '3f1c2b9a-0d4e-4c8b-9a51-6f2e7d8c9b10',
    appliedCommit: oldCommit,
    objects: m,
    nodes: {
      'node-a': {name: 'node-a', ready: true, lastSeen: '2026-11-20T11:59:00Z', capacity: {cpu: '2', memory: '4Gi', pods: '110'}},
      'node-b': {name: 'node-b', ready: true, lastSeen: '2026-11-20T11:59:00Z', capacity: {cpu: '2', memory: '4Gi', pods: '110'}},
    },
    events: [
      {time: '2026-11-20T11:00:00Z', type: 'Normal', reason: 'Scheduled', object: 'Pod/default/web-6b7c8d9f-abcde', message: 'Successfully assigned default/web-6b7c8d9f-abcde to node-a'},
      {time: '2026-11-20T11:00:06Z', type: 'Normal', reason: 'Started', object: 'Pod/default/web-6b7c8d9f-abcde', message: 'Started container main'},
      {time: '2026-11-18T09:30:00Z', type: 'Normal', reason: 'ScalingReplicaSet', object: 'Deployment/default/web', message: 'Scaled up replica set web-6b7c8d9f to 2'},
    ],
  }
}

/** The state before the commit: web at revision 1 with 2 pods, db-0, an old ConfigMap. */
export function before(): State {
  return stateOf(7, [
    node('node-a', '198.18.0.11'),
    node('node-b', '198.18.0.12'),
    deployment('busybox:1.36', 2),
    replicaSet('6b7c8d9f', 'busybox:1.36', 2, 1, oldCommit),
    pod('web-6b7c8d9f-abcde', {node: 'node-a', owner: rsOld, ip: '10.88.0.5'}),
    pod('web-6b7c8d9f-fghij', {node: 'node-b', owner: rsOld, ip: '10.88.1.7', restarts: 3, ready: false}),
    configMap('web-config', {LOG_LEVEL: 'info', 'app.conf': 'listen 8080\n'}),
    configMap('legacy', {x: '1'}),
    secret('db', {password: 'b2xkLXNlY3JldA==', user: 'YXBw'}),
    service(),
    statefulSet('postgres:16.1'),
    pod('db-0', {node: 'node-a', owner: sts, uid: 'uid-db-0-v1', image: 'postgres:16.1', ip: '10.88.0.9'}),
  ])
}

/** The converged end state: web at revision 2 with 2 pods placed and 1 pending, db-0 replaced. */
export function after(): State {
  const s = stateOf(8, [
    node('node-a', '198.18.0.11'),
    node('node-b', '198.18.0.12'),
    deployment('busybox:1.37', 3),
    replicaSet('6b7c8d9f', 'busybox:1.36', 0, 1, oldCommit),
    replicaSet('5f4e3d2c', 'busybox:1.37', 3, 2, commit),
    pod('web-5f4e3d2c-klmno', {node: 'node-a', owner: rsNew, image: 'busybox:1.37'}),
    pod('web-5f4e3d2c-pqrst', {node: 'node-b', owner: rsNew, image: 'busybox:1.37'}),
    pod('web-5f4e3d2c-uvwxy', {owner: rsNew, image: 'busybox:1.37', pending: '0/2 nodes are available: 2 Insufficient cpu.'}),
    configMap('web-config', {LOG_LEVEL: 'debug', 'app.conf': 'listen 8080\n'}),
    secret('db', {password: 'bmV3LXNlY3JldA==', user: 'YXBw'}),
    service(),
    statefulSet('postgres:16.2'),
    pod('db-0', {node: 'node-a', owner: sts, uid: 'uid-db-0-v2', image: 'postgres:16.2'}),
  ])
  s.appliedCommit = commit
  return s
}

/** The first step of the rollout. Pod bodies are irrelevant to rendering: only type, node, target, reason are shown. */
export function plan(): Plan {
  const p = pod('web-5f4e3d2c-klmno', {node: 'node-a', owner: rsNew})
  return {
    actions: [
      {type: 'create', node: 'node-a', target: 'Pod/default/web-5f4e3d2c-klmno', reason: 'rolling update deployment/web to revision 2: surge 1 (maxSurge 25% of 3 → 1)', pod: p, specHash: 'h1'},
      {type: 'updateFiles', node: 'node-a', target: 'Pod/default/web-6b7c8d9f-abcde', reason: 'configmap/web-config changed', uid: 'uid-pod-web-6b7c8d9f-abcde', volume: 'config', source: {kind: 'ConfigMap', name: 'web-config'}, contentHash: 'c2'},
      {type: 'replace', node: 'node-a', target: 'Pod/default/db-0', reason: 'statefulset/db template changed (image postgres:16.1 → postgres:16.2)', oldUid: 'uid-db-0-v1', oldSpecHash: 'd1', pod: pod('db-0', {node: 'node-a'}), specHash: 'd2', gracePeriodSeconds: 30},
      {type: 'delete', node: 'node-b', target: 'Pod/default/web-6b7c8d9f-fghij', reason: 'rolling update deployment/web: scale down old replica set web-6b7c8d9f 2→1 (maxUnavailable 25% of 3 → 0, pod not ready)', uid: 'uid-pod-web-6b7c8d9f-fghij', gracePeriodSeconds: 30},
    ],
  }
}
