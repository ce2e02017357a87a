/**
 * Fixture builders with realistic defaults (kube wrappers.go, Nomad mock):
 * a test states only what it is about. `World` is the harness: it runs
 * passes, records plans, and applies them to a simulated fleet.
 */
import type {Desired} from '../../../src/manifests/desired.js'
import type {KubeObject} from '../../../src/manifests/object.js'
import {emptyState, type State} from '../../../src/state/model.js'
import {simulateApply} from '../../../src/reconcile/converge.js'
import type {Observed} from '../../../src/reconcile/observed.js'
import type {Action} from '../../../src/reconcile/plan.js'
import {reconcile, type ReconcileOptions, type ReconcileResult} from '../../../src/reconcile/reconcile.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any

export const T0 = Date.parse('2026-03-01T12:00:00Z')

function container(image: string, extra: Any = {}): Any {
  return {name: 'main', image, resources: {requests: {cpu: '100m', memory: '64Mi'}}, ...extra}
}

class Builder<Self> {
  o: Any
  constructor(o: Any) {
    this.o = o
  }
  ns(n: string): Self {
    this.o.metadata.namespace = n
    return this as unknown as Self
  }
  label(k: string, v: string): Self {
    this.o.metadata.labels = {...(this.o.metadata.labels ?? {}), [k]: v}
    return this as unknown as Self
  }
  set(f: (o: Any) => void): Self {
    f(this.o)
    return this as unknown as Self
  }
  build(): KubeObject {
    return JSON.parse(JSON.stringify(this.o))
  }
}

class NodeB extends Builder<NodeB> {
  taint(key: string, value: string, effect = 'NoSchedule') {
    ;(this.o.spec.taints ??= []).push({key, value, effect})
    return this
  }
  capacity(cpu: string, memory: string, pods = '110') {
    this.o.spec.capacity = {cpu, memory, pods}
    return this
  }
  unschedulable() {
    this.o.spec.unschedulable = true
    return this
  }
}
export const node = (name: string) =>
  new NodeB({apiVersion: 'v1', kind: 'Node', metadata: {name, labels: {}}, spec: {address: 'local', capacity: {cpu: '4', memory: '8Gi', pods: '110'}}})

class PodTemplated<Self> extends Builder<Self> {
  get tpl(): Any {
    return this.o.spec.template ?? this.o.spec.jobTemplate.spec.template
  }
  image(img: string): Self {
    this.tpl.spec.containers[0].image = img
    return this as unknown as Self
  }
  env(name: string, value: string): Self {
    ;(this.tpl.spec.containers[0].env ??= []).push({name, value})
    return this as unknown as Self
  }
  configVolume(cm: string): Self {
    ;(this.tpl.spec.volumes ??= []).push({name: 'config', configMap: {name: cm}})
    this.tpl.spec.containers[0].volumeMounts = [{name: 'config', mountPath: '/etc/config'}]
    return this as unknown as Self
  }
  nodeSelector(sel: Record<string, string>): Self {
    this.tpl.spec.nodeSelector = sel
    return this as unknown as Self
  }
  tolerate(key: string): Self {
    ;(this.tpl.spec.tolerations ??= []).push({key, operator: 'Exists'})
    return this as unknown as Self
  }
  requests(cpu: string, memory: string): Self {
    this.tpl.spec.containers[0].resources = {requests: {cpu, memory}}
    return this as unknown as Self
  }
}

function template(app: string, image: string, restartPolicy = 'Always'): Any {
  return {metadata: {labels: {app}}, spec: {restartPolicy, terminationGracePeriodSeconds: 30, containers: [container(image)]}}
}

class DeploymentB extends PodTemplated<DeploymentB> {
  replicas(n: number) {
    this.o.spec.replicas = n
    return this
  }
  rolling(maxSurge: number | string, maxUnavailable: number | string) {
    this.o.spec.strategy = {type: 'RollingUpdate', rollingUpdate: {maxSurge, maxUnavailable}}
    return this
  }
  recreate() {
    this.o.spec.strategy = {type: 'Recreate'}
    return this
  }
  paused(p = true) {
    this.o.spec.paused = p
    return this
  }
  minReady(s: number) {
    this.o.spec.minReadySeconds = s
    return this
  }
  history(n: number) {
    this.o.spec.revisionHistoryLimit = n
    return this
  }
  deadline(s: number) {
    this.o.spec.progressDeadlineSeconds = s
    return this
  }
}
export const deployment = (name: string) =>
  new DeploymentB({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name, namespace: 'default', labels: {app: name}},
    spec: {
      replicas: 1,
      selector: {matchLabels: {app: name}},
      strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: '25%', maxUnavailable: '25%'}},
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: template(name, 'busybox:1.36'),
    },
  })

class StatefulSetB extends PodTemplated<StatefulSetB> {
  replicas(n: number) {
    this.o.spec.replicas = n
    return this
  }
  parallel() {
    this.o.spec.podManagementPolicy = 'Parallel'
    return this
  }
  partition(n: number) {
    this.o.spec.updateStrategy = {type: 'RollingUpdate', rollingUpdate: {partition: n}}
    return this
  }
  claim(name: string, size = '1Gi') {
    ;(this.o.spec.volumeClaimTemplates ??= []).push({metadata: {name}, spec: {accessModes: ['ReadWriteOnce'], resources: {requests: {storage: size}}}})
    return this
  }
}
export const statefulset = (name: string) =>
  new StatefulSetB({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {name, namespace: 'default'},
    spec: {
      replicas: 1,
      serviceName: name,
      selector: {matchLabels: {app: name}},
      podManagementPolicy: 'OrderedReady',
      updateStrategy: {type: 'RollingUpdate', rollingUpdate: {partition: 0}},
      template: template(name, 'busybox:1.36'),
    },
  })

class DaemonSetB extends PodTemplated<DaemonSetB> {
  maxUnavailable(n: number | string) {
    this.o.spec.updateStrategy = {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: n}}
    return this
  }
}
export const daemonset = (name: string) =>
  new DaemonSetB({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {name, namespace: 'default'},
    spec: {selector: {matchLabels: {app: name}}, updateStrategy: {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: 1}}, template: template(name, 'busybox:1.36')},
  })

class JobB extends PodTemplated<JobB> {
  completions(n: number) {
    this.o.spec.completions = n
    return this
  }
  parallelism(n: number) {
    this.o.spec.parallelism = n
    return this
  }
  backoffLimit(n: number) {
    this.o.spec.backoffLimit = n
    return this
  }
  restartPolicy(p: 'Never' | 'OnFailure') {
    this.tpl.spec.restartPolicy = p
    return this
  }
  activeDeadline(s: number) {
    this.o.spec.activeDeadlineSeconds = s
    return this
  }
}
export const job = (name: string) =>
  new JobB({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {name, namespace: 'default'},
    spec: {backoffLimit: 6, template: template(name, 'busybox:1.36', 'Never')},
  })

class CronJobB extends PodTemplated<CronJobB> {
  schedule(s: string) {
    this.o.spec.schedule = s
    return this
  }
  policy(p: 'Allow' | 'Forbid' | 'Replace') {
    this.o.spec.concurrencyPolicy = p
    return this
  }
  startingDeadline(s: number) {
    this.o.spec.startingDeadlineSeconds = s
    return this
  }
  suspend() {
    this.o.spec.suspend = true
    return this
  }
}
export const cronjob = (name: string) =>
  new CronJobB({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {name, namespace: 'default'},
    spec: {
      schedule: '*/5 * * * *',
      concurrencyPolicy: 'Allow',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {spec: {backoffLimit: 6, template: template(name, 'busybox:1.36', 'OnFailure')}},
    },
  })

class PodB extends Builder<PodB> {
  image(img: string) {
    this.o.spec.containers[0].image = img
    return this
  }
  on(n: string) {
    this.o.spec.nodeName = n
    return this
  }
}
export const pod = (name: string) =>
  new PodB({apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: 'default', labels: {app: name}}, spec: {restartPolicy: 'Always', containers: [container('busybox:1.36')]}})

export const service = (name: string, selector: Record<string, string>, targetPort: number | string = 8080) =>
  new Builder<unknown>({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'default'}, spec: {selector, ports: [{name: 'http', port: 80, targetPort, protocol: 'TCP'}]}}) as Builder<unknown>

export const configMap = (name: string, data: Record<string, string>): KubeObject => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name, namespace: 'default'}, data})

type Buildable = KubeObject | {build(): KubeObject}
const built = (b: Buildable): KubeObject => ('build' in b && typeof b.build === 'function' ? b.build() : (b as KubeObject))

export function desired(objs: Buildable[], sha = 'c0ffee0000000000000000000000000000000001', subject = 'deploy'): Desired {
  const objects = objs.map(built).map((object, i) => ({object, source: {file: `manifests/${object.kind.toLowerCase()}.yaml`, doc: i, line: 1, col: 1}}))
  return {commit: {sha, subject, author: 'Ada <ada@example.org>', date: '2026-03-01T11:00:00Z'}, objects, warnings: []}
}

export function summarize(actions: Action[]): string[] {
  return actions.map((a) => `${a.type} ${a.node} ${a.target.replace(/^Pod\/default\//, '')}`)
}

/**
 * The harness: holds desired/state/observed/now, runs passes, and applies
 * plans to a simulated fleet (created pods Running; Ready unless told not).
 */
export class World {
  state: State = emptyState('test-lineage')
  observed: Observed = {nodes: {}}
  now = T0
  last!: ReconcileResult
  /** the image answers passes get (image → digest), as sync gives them */
  images?: Record<string, string>
  constructor(public desired: Desired, public options: ReconcileOptions = {}) {
    for (const d of desired.objects) {
      if (d.object.kind === 'Node') this.observed.nodes[d.object.metadata.name] = {name: d.object.metadata.name, reachable: true, observedAt: T0, pods: []}
    }
  }
  pass(): ReconcileResult {
    this.last = reconcile({desired: this.desired, state: this.state, observed: this.observed, now: this.now, options: this.options, ...(this.images ? {images: this.images} : {})})
    this.state = this.last.state
    return this.last
  }
  /** Apply the last plan. `ready: false` leaves created pods Running but not Ready. */
  apply(opts: {ready?: boolean} = {}): this {
    const plan = this.last.plan
    this.observed = simulateApply(this.observed, plan, this.state, this.now)
    if (opts.ready === false) {
      for (const a of plan.actions) if (a.type === 'create' || a.type === 'replace') this.setReady(a.pod.metadata.name, false)
    }
    return this
  }
  /** pass + apply, returning the pass */
  step(opts: {ready?: boolean} = {}): ReconcileResult {
    const r = this.pass()
    this.apply(opts)
    return r
  }
  findPod(name: string) {
    for (const n of Object.values(this.observed.nodes)) for (const p of n.pods) if (p.name === name) return p
    return undefined
  }
  setReady(name: string, ready: boolean): this {
    const p = this.findPod(name)
    if (p) {
      p.ready = ready
      if (ready) p.readySince = this.now
      else delete p.readySince
      for (const c of p.containers) c.ready = ready
    }
    return this
  }
  setPhase(name: string, phase: 'Succeeded' | 'Failed' | 'Running'): this {
    const p = this.findPod(name)
    if (p) {
      p.phase = phase
      p.ready = phase === 'Running'
    }
    return this
  }
  allReady(): this {
    for (const n of Object.values(this.observed.nodes)) for (const p of n.pods) if (p.phase === 'Running') this.setReady(p.name, true)
    return this
  }
  advance(ms: number): this {
    this.now += ms
    return this
  }
  objects(kind: string): Any[] {
    return Object.values(this.state.objects).filter((o) => o.kind === kind) as Any[]
  }
  get(key: string): Any {
    return this.state.objects[key]
  }
  /** pods observed running, by owner name prefix */
  running(prefix = ''): string[] {
    const out: string[] = []
    for (const n of Object.values(this.observed.nodes)) for (const p of n.pods) if (p.name.startsWith(prefix)) out.push(p.name)
    return out.sort()
  }
  readyCount(prefix = ''): number {
    let c = 0
    for (const n of Object.values(this.observed.nodes)) for (const p of n.pods) if (p.name.startsWith(prefix) && p.ready) c++
    return c
  }
}
