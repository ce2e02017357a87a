/**
 * `npm run bench:reconcile`: the whole pure pass (controllers + scheduler +
 * plan) on a synthetic fleet, at 100 and 1,000 nodes with about 10 pods per
 * node from Deployments, StatefulSets and a DaemonSet. Three figures per size:
 *
 *   first_pass_ms   nothing runs yet: every pod made, scheduled, planned
 *   steady_pass_ms  every pod observed Running and Ready: the plan is empty
 *                   (what each `sync` round and `watch` resync pays)
 *   rollout_pass_ms every Deployment's image changed: first rolling step
 *
 * One line per size: `bench reconcile nodes=… pods=… first_pass_ms=… …`.
 */
import type {Desired} from '../src/manifests/desired.js'
import type {KubeObject} from '../src/manifests/object.js'
import {simulateApply} from '../src/reconcile/converge.js'
import {reconcile} from '../src/reconcile/reconcile.js'
import {emptyState} from '../src/state/model.js'

const T0 = Date.parse('2026-01-01T00:00:00Z')

function workloads(nodes: number, image: string): KubeObject[] {
  const out: KubeObject[] = []
  for (let i = 0; i < nodes; i++) {
    out.push({apiVersion: 'v1', kind: 'Node', metadata: {name: `node-${String(i).padStart(5, '0')}`, labels: {zone: `z${i % 5}`}}, spec: {address: 'local', capacity: {cpu: '16', memory: '64Gi', pods: '110'}}})
  }
  const tpl = (app: string, img: string) => ({
    metadata: {labels: {app}},
    spec: {restartPolicy: 'Always', containers: [{name: 'main', image: img, resources: {requests: {cpu: '100m', memory: '128Mi'}}}]},
  })
  const deployments = Math.max(1, Math.floor(nodes / 2))
  for (let i = 0; i < deployments; i++) {
    out.push({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: `web-${i}`, namespace: 'default'},
      spec: {replicas: 16, selector: {matchLabels: {app: `web-${i}`}}, strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: '25%', maxUnavailable: '25%'}}, template: tpl(`web-${i}`, image)}})
  }
  for (let i = 0; i < Math.max(1, Math.floor(nodes / 10)); i++) {
    out.push({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: `db-${i}`, namespace: 'default'},
      spec: {replicas: 3, serviceName: `db-${i}`, podManagementPolicy: 'Parallel', selector: {matchLabels: {app: `db-${i}`}}, template: tpl(`db-${i}`, 'db:1')}})
  }
  out.push({apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: {name: 'agent', namespace: 'default'}, spec: {selector: {matchLabels: {app: 'agent'}}, template: tpl('agent', 'agent:1')}})
  return out
}

function desired(objects: KubeObject[], sha: string): Desired {
  return {commit: {sha, subject: 'bench', author: 'bench', date: '2026-01-01T00:00:00Z'}, objects: objects.map((object, i) => ({object, source: {file: 'bench.yaml', doc: i, line: 1, col: 1}})), warnings: []}
}

function time<T>(f: () => T): [T, number] {
  const t = process.hrtime.bigint()
  const r = f()
  return [r, Number(process.hrtime.bigint() - t) / 1e6]
}

for (const nodes of [100, 1000]) {
  const d1 = desired(workloads(nodes, 'web:1'), 'a'.repeat(40))
  const [first, firstMs] = time(() => reconcile({desired: d1, state: emptyState('bench'), observed: {nodes: {}}, now: T0}))
  const observed = simulateApply({nodes: {}}, first.plan, first.state, T0)
  const [steady, steadyMs] = time(() => reconcile({desired: d1, state: first.state, observed, now: T0 + 1000}))
  const d2 = desired(workloads(nodes, 'web:2'), 'b'.repeat(40))
  const [rollout, rolloutMs] = time(() => reconcile({desired: d2, state: steady.state, observed, now: T0 + 2000}))
  const pods = Object.keys(first.state.objects).filter((k) => k.startsWith('Pod/')).length
  process.stdout.write(
    `bench reconcile nodes=${nodes} pods=${pods} first_pass_ms=${firstMs.toFixed(0)} steady_pass_ms=${steadyMs.toFixed(0)} ` +
      `steady_actions=${steady.plan.actions.length} rollout_pass_ms=${rolloutMs.toFixed(0)} rollout_actions=${rollout.plan.actions.length} ` +
      `peak_rss_mb=${(process.resourceUsage().maxRSS / 1024).toFixed(0)}\n`,
  )
}
