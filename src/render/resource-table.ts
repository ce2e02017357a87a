import type {KubeObject} from '../manifests/object.js'
import type {NodeRecord} from '../state/model.js'
import {age, humanDuration} from './age.js'
import {carriesDigest, podImageDigest, shortDigest} from './images.js'
import {field, formatLabels, podReady, podRestarts, podStatus} from './kube.js'
import {renderTable} from './table.js'
import {A} from '../manifests/annotations.js'
import {escapeControl} from './untrusted.js'

export interface TableOptions {
  wide: boolean
  /** add a NAMESPACE column first (-A) */
  withNamespace: boolean
  now: number
  /** node records from the state, for the nodes table */
  nodes?: Record<string, NodeRecord>
}

type Column = {header: string; wide?: boolean; cell: (o: KubeObject, opts: TableOptions) => string}

const AGE: Column = {header: 'AGE', cell: (o, t) => age(o.metadata.creationTimestamp, t.now)}
const num = (v: unknown) => String(typeof v === 'number' ? v : 0)
const containers = (o: KubeObject, path: string) => (field<Array<{name: string; image?: string}>>(o, path) ?? [])
const CONTAINERS = (path: string): Column => ({header: 'CONTAINERS', wide: true, cell: (o) => containers(o, path).map((c) => c.name).join(',') || '<none>'})
const IMAGES = (path: string): Column => ({header: 'IMAGES', wide: true, cell: (o) => containers(o, path).map((c) => c.image ?? '').join(',') || '<none>'})
const SELECTOR: Column = {header: 'SELECTOR', wide: true, cell: (o) => formatLabels(field(o, 'spec.selector.matchLabels'))}
/** `rollout undo` pinned this workload to a revision until a commit changes it (src/gitops) */
const PINNED: Column = {header: 'PINNED', wide: true, cell: (o) => (o.metadata.annotations?.[A.pinnedRevision] ? `revision ${o.metadata.annotations[A.pinnedRevision]}` : '<none>')}

/** kubectl's default (and -o wide) columns per kind, from what the state records. */
const columns: Record<string, Column[]> = {
  Pod: [
    {header: 'READY', cell: podReady},
    {header: 'STATUS', cell: podStatus},
    {header: 'RESTARTS', cell: (o) => String(podRestarts(o))},
    AGE,
    {header: 'IP', wide: true, cell: (o) => field<string>(o, 'status.podIP') ?? '<none>'},
    {header: 'NODE', wide: true, cell: (o) => field<string>(o, 'spec.nodeName') ?? '<none>'},
    // not in kubectl's pod table: the digest each pod runs, shortened, which a tag alone does not say
    {
      header: 'IMAGES',
      wide: true,
      cell: (o) =>
        containers(o, 'spec.containers')
          .map((c) => {
            const image = c.image ?? ''
            const digest = podImageDigest(o, image)
            return digest && !carriesDigest(image, digest) ? `${image}@${shortDigest(digest)}` : image
          })
          .join(',') || '<none>',
    },
  ],
  Deployment: [
    {header: 'READY', cell: (o) => `${num(field(o, 'status.readyReplicas'))}/${field<number>(o, 'spec.replicas') ?? 1}`},
    {header: 'UP-TO-DATE', cell: (o) => num(field(o, 'status.updatedReplicas'))},
    {header: 'AVAILABLE', cell: (o) => num(field(o, 'status.availableReplicas'))},
    AGE,
    CONTAINERS('spec.template.spec.containers'),
    IMAGES('spec.template.spec.containers'),
    SELECTOR,
    PINNED,
  ],
  ReplicaSet: [
    {header: 'DESIRED', cell: (o) => String(field<number>(o, 'spec.replicas') ?? 1)},
    {header: 'CURRENT', cell: (o) => num(field(o, 'status.replicas'))},
    {header: 'READY', cell: (o) => num(field(o, 'status.readyReplicas'))},
    AGE,
    CONTAINERS('spec.template.spec.containers'),
    IMAGES('spec.template.spec.containers'),
    SELECTOR,
  ],
  StatefulSet: [
    {header: 'READY', cell: (o) => `${num(field(o, 'status.readyReplicas'))}/${field<number>(o, 'spec.replicas') ?? 1}`},
    AGE,
    CONTAINERS('spec.template.spec.containers'),
    IMAGES('spec.template.spec.containers'),
    PINNED,
  ],
  DaemonSet: [
    {header: 'DESIRED', cell: (o) => num(field(o, 'status.desiredNumberScheduled'))},
    {header: 'CURRENT', cell: (o) => num(field(o, 'status.currentNumberScheduled'))},
    {header: 'READY', cell: (o) => num(field(o, 'status.numberReady'))},
    {header: 'UP-TO-DATE', cell: (o) => num(field(o, 'status.updatedNumberScheduled'))},
    {header: 'AVAILABLE', cell: (o) => num(field(o, 'status.numberAvailable'))},
    {header: 'NODE SELECTOR', cell: (o) => formatLabels(field(o, 'spec.template.spec.nodeSelector'))},
    AGE,
    CONTAINERS('spec.template.spec.containers'),
    IMAGES('spec.template.spec.containers'),
    SELECTOR,
    PINNED,
  ],
  Job: [
    {header: 'COMPLETIONS', cell: (o) => `${num(field(o, 'status.succeeded'))}/${field<number>(o, 'spec.completions') ?? 1}`},
    {
      header: 'DURATION',
      cell: (o, t) => {
        const start = field<string>(o, 'status.startTime')
        if (!start) return ''
        const end = field<string>(o, 'status.completionTime')
        return humanDuration((end ? Date.parse(end) : t.now) - Date.parse(start))
      },
    },
    AGE,
    CONTAINERS('spec.template.spec.containers'),
    IMAGES('spec.template.spec.containers'),
  ],
  CronJob: [
    {header: 'SCHEDULE', cell: (o) => field<string>(o, 'spec.schedule') ?? ''},
    {header: 'TIMEZONE', cell: (o) => field<string>(o, 'spec.timeZone') ?? '<none>'},
    {header: 'SUSPEND', cell: (o) => (field<boolean>(o, 'spec.suspend') ? 'True' : 'False')},
    {header: 'ACTIVE', cell: (o) => String((field<unknown[]>(o, 'status.active') ?? []).length)},
    {header: 'LAST SCHEDULE', cell: (o, t) => (field<string>(o, 'status.lastScheduleTime') ? age(field<string>(o, 'status.lastScheduleTime'), t.now) : '<none>')},
    AGE,
    CONTAINERS('spec.jobTemplate.spec.template.spec.containers'),
    IMAGES('spec.jobTemplate.spec.template.spec.containers'),
  ],
  Service: [
    {header: 'TYPE', cell: (o) => field<string>(o, 'spec.type') ?? 'ClusterIP'},
    {header: 'CLUSTER-IP', cell: (o) => field<string>(o, 'spec.clusterIP') ?? '<none>'},
    {header: 'EXTERNAL-IP', cell: (o) => (field<string[]>(o, 'spec.externalIPs') ?? []).join(',') || '<none>'},
    {
      header: 'PORT(S)',
      cell: (o) =>
        (field<Array<{port: number; nodePort?: number; protocol?: string}>>(o, 'spec.ports') ?? [])
          .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
          .join(',') || '<none>',
    },
    AGE,
    {header: 'SELECTOR', wide: true, cell: (o) => formatLabels(field(o, 'spec.selector'))},
  ],
  ConfigMap: [{header: 'DATA', cell: (o) => String(Object.keys(field(o, 'data') ?? {}).length + Object.keys(field(o, 'binaryData') ?? {}).length)}, AGE],
  Secret: [
    {header: 'TYPE', cell: (o) => field<string>(o, 'type') ?? 'Opaque'},
    {header: 'DATA', cell: (o) => String(new Set([...Object.keys(field(o, 'data') ?? {}), ...Object.keys(field(o, 'stringData') ?? {})]).size)},
    AGE,
  ],
  Node: [
    {
      header: 'STATUS',
      cell: (o, t) => {
        const rec = t.nodes?.[o.metadata.name]
        const s = rec ? (rec.ready ? 'Ready' : 'NotReady') : 'Unknown'
        return field<boolean>(o, 'spec.unschedulable') ? `${s},SchedulingDisabled` : s
      },
    },
    {header: 'ADDRESS', cell: (o) => field<string>(o, 'spec.address') ?? '<none>'},
    AGE,
    {header: 'CPU', wide: true, cell: (o, t) => field<string>(o, 'spec.capacity.cpu') ?? t.nodes?.[o.metadata.name]?.capacity?.cpu ?? '<unknown>'},
    {header: 'MEMORY', wide: true, cell: (o, t) => field<string>(o, 'spec.capacity.memory') ?? t.nodes?.[o.metadata.name]?.capacity?.memory ?? '<unknown>'},
    {header: 'LABELS', wide: true, cell: (o) => formatLabels(o.metadata.labels)},
    {
      header: 'TAINTS',
      wide: true,
      cell: (o) => (field<Array<{key: string; value?: string; effect: string}>>(o, 'spec.taints') ?? []).map((x) => `${x.key}${x.value ? `=${x.value}` : ''}:${x.effect}`).join(',') || '<none>',
    },
  ],
  PersistentVolumeClaim: [
    {header: 'STATUS', cell: (o) => field<string>(o, 'status.phase') ?? 'Pending'},
    {header: 'VOLUME', cell: (o) => field<string>(o, 'spec.volumeName') ?? ''},
    {header: 'CAPACITY', cell: (o) => field<string>(o, 'status.capacity.storage') ?? field<string>(o, 'spec.resources.requests.storage') ?? ''},
    {header: 'ACCESS MODES', cell: (o) => (field<string[]>(o, 'spec.accessModes') ?? []).map((m) => ({ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP'})[m] ?? m).join(',')},
    {header: 'STORAGECLASS', cell: (o) => field<string>(o, 'spec.storageClassName') ?? 'local-path'},
    AGE,
    {header: 'NODE', wide: true, cell: (o) => o.metadata.annotations?.[A.selectedNode] ?? '<none>'},
  ],
  Namespace: [{header: 'STATUS', cell: (o) => field<string>(o, 'status.phase') ?? 'Active'}, AGE],
  ControllerRevision: [{header: 'CONTROLLER', cell: (o) => o.metadata.ownerReferences?.[0] ? `${o.metadata.ownerReferences[0].kind.toLowerCase()}.apps/${o.metadata.ownerReferences[0].name}` : '<none>'}, {header: 'REVISION', cell: (o) => num(field(o, 'revision'))}, AGE],
}

/** The `tsctl get` table for objects of one kind (already filtered and sorted). */
export function renderResourceTable(kind: string, objects: KubeObject[], opts: TableOptions): string {
  const cols = (columns[kind] ?? [AGE]).filter((c) => opts.wide || !c.wide)
  const headers = [...(opts.withNamespace ? ['NAMESPACE'] : []), 'NAME', ...cols.map((c) => c.header)]
  // every cell is read from an object someone else wrote (names, labels, images, taints): escaped where it enters the table
  const rows = objects.map((o) => [...(opts.withNamespace ? [o.metadata.namespace ?? ''] : []), o.metadata.name, ...cols.map((c) => c.cell(o, opts))].map(escapeControl))
  return renderTable(headers, rows)
}
