// Shared by the etcd tests: backends on a test cluster, states of any size.
import {EtcdStateBackend} from '../../src/state/etcd-backend.js'
import type {EtcdConfig} from '../../src/state/etcd-config.js'
import {emptyState, type State} from '../../src/state/model.js'

let n = 0
/** A prefix no other test uses. */
export function freshPrefix(): string {
  return `/tsctl/test-${process.pid}-${++n}`
}

export function etcdConfig(endpoints: string[], prefix: string, extra: Partial<EtcdConfig> = {}): EtcdConfig {
  return {endpoints, prefix, ttlSeconds: 2, timeoutMs: 3000, ...extra}
}

export function backend(endpoints: string[], prefix: string, extra: Partial<EtcdConfig> = {}, warn?: (m: string) => void): EtcdStateBackend {
  return new EtcdStateBackend({config: etcdConfig(endpoints, prefix, extra), warn})
}

/** A state with N pods (and a Deployment, ReplicaSet, node, events), as reconcile would order it. */
export function bigState(n: number, lineage = 'lineage-test'): State {
  const s = emptyState(lineage)
  const objects: State['objects'] = {}
  objects['Deployment/default/web'] = {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'web', namespace: 'default', uid: 'd-1'}, spec: {replicas: n}}
  objects['ReplicaSet/default/web-5cd8c6484d'] = {apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: {name: 'web-5cd8c6484d', namespace: 'default', uid: 'rs-1', annotations: {'deployment.kubernetes.io/revision': '1'}}}
  for (let i = 0; i < n; i++) {
    objects[`Pod/default/web-${String(i).padStart(5, '0')}`] = {apiVersion: 'v1', kind: 'Pod', metadata: {name: `web-${String(i).padStart(5, '0')}`, namespace: 'default', uid: `uid-${i}`, labels: {app: 'web'}}, spec: {nodeName: `node-${i % 100}`, containers: [{name: 'web', image: 'busybox:1.36'}]}, status: {phase: 'Running'}}
  }
  for (const k of Object.keys(objects).sort()) s.objects[k] = objects[k]
  s.nodes['node-0'] = {name: 'node-0', ready: true, lastSeen: '2026-12-07T00:00:00.000Z'}
  for (let i = 0; i < 5; i++) s.events.push({time: `2026-12-07T00:00:0${i}.000Z`, type: 'Normal', reason: 'Started', object: 'Pod/default/web-00000', message: `event ${i}`})
  return s
}

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T
