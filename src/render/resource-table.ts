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
    {header: 'IP', wide: true, cell: (o, t) => podIP(o, t.nodes) ?? '<none>'},
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
    // kubectl reads clusterIPs[0]: `None` for a headless Service, `<none>` while none is allocated
    {header: 'CLUSTER-IP', cell: (o) => field<string[]>(o, 'spec.clusterIPs')?.[0] ?? field<string>(o, 'spec.clusterIP') ?? '<none>'},
    {header: 'EXTERNAL-IP', cell: (o, t) => serviceExternalIP(o, t.wide)},
    {header: 'PORT(S)', cell: (o) => servicePorts(o) || '<none>'},
    AGE,
    {header: 'SELECTOR', wide: true, cell: (o) => formatLabels(field(o, 'spec.selector'))},
  ],
  Endpoints: [{header: 'ENDPOINTS', cell: (o) => formatEndpoints(o)}, AGE],
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
    // kubectl's first -o wide column; the IPv4 address reconcile routes the node's pods through (state.nodes)
    {header: 'INTERNAL-IP', wide: true, cell: (o, t) => t.nodes?.[o.metadata.name]?.address ?? '<none>'},
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

/**
 * A pod's IP: what its host reports (status.podIP, kubectl's source), else
 * the address reconcile allocated at binding (`tsctl.io/pod-ip`, which the
 * host then configures), else for a hostNetwork pod its node's address: the
 * same order the Endpoints controller reads, so `get pods -o wide` and
 * `get endpoints` agree before the host has reported.
 */
export function podIP(o: KubeObject, nodes?: Record<string, NodeRecord>): string | undefined {
  const hostNetwork = field<boolean>(o, 'spec.hostNetwork') ? nodes?.[field<string>(o, 'spec.nodeName') ?? '']?.address : undefined
  return field<string>(o, 'status.podIP') ?? o.metadata.annotations?.[A.podIP] ?? hostNetwork
}

type ServicePortLike = {name?: string; port: number; nodePort?: number; protocol?: string}
type EndpointAddressLike = {ip?: string}
/** core/v1 EndpointSubset as the Endpoints controller writes it (src/reconcile/controllers/endpoints.ts). */
export interface EndpointSubsetLike {
  addresses?: EndpointAddressLike[]
  notReadyAddresses?: EndpointAddressLike[]
  ports?: Array<{name?: string; port: number; protocol?: string}>
}

/** kubectl's loadBalancerWidth: the LoadBalancer ingress list is clipped to it outside -o wide. */
const LOAD_BALANCER_WIDTH = 16

/** kubectl's getServiceExternalIP. tsctl has no cloud load balancer, so a LoadBalancer stays `<pending>` unless its status says otherwise. */
function serviceExternalIP(o: KubeObject, wide: boolean): string {
  const external = field<string[]>(o, 'spec.externalIPs') ?? []
  switch (field<string>(o, 'spec.type') ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.join(',') || '<none>'
    case 'LoadBalancer': {
      const ingress = field<Array<{ip?: string; hostname?: string}>>(o, 'status.loadBalancer.ingress') ?? []
      let lb = [...new Set(ingress.map((i) => i.ip || i.hostname || '').filter(Boolean))].sort().join(',')
      if (!wide && lb.length > LOAD_BALANCER_WIDTH) lb = lb.slice(0, LOAD_BALANCER_WIDTH - 3) + '...'
      return [...(lb ? lb.split(',') : []), ...external].join(',') || '<pending>'
    }
    case 'ExternalName':
      return field<string>(o, 'spec.externalName') ?? ''
    default:
      return '<unknown>'
  }
}

/** kubectl's makePortString: `80/TCP`, `80:30080/TCP` with a node port, comma-separated. */
export function servicePorts(o: KubeObject): string {
  return (field<ServicePortLike[]>(o, 'spec.ports') ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',')
}

/** net.JoinHostPort: an IPv6 address in brackets. */
const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`)

/**
 * kubectl's formatEndpoints: the ready addresses as `ip:port` for every port
 * (only the ports named in PORTS when given; `""` is an unnamed port), at
 * most 3, then ` + N more...`; `<none>` without subsets, empty when no
 * address is ready. A subset without ports (headless) lists bare IPs.
 * Deviation: an address without an IP (the pod has none yet) is left out
 * rather than printed as `:80`.
 */
export function formatEndpoints(ep: KubeObject, ports?: ReadonlySet<string>): string {
  const subsets = field<EndpointSubsetLike[]>(ep, 'subsets') ?? []
  if (subsets.length === 0) return '<none>'
  const max = 3
  const list: string[] = []
  let count = 0
  for (const ss of subsets) {
    const ips = (ss.addresses ?? []).map((a) => a.ip).filter((ip): ip is string => !!ip)
    if (!ss.ports?.length) {
      count += ips.length
      for (const ip of ips) if (list.length < max) list.push(ip)
      continue
    }
    for (const port of ss.ports) {
      if (ports && !ports.has(port.name ?? '')) continue
      count += ips.length
      for (const ip of ips) if (list.length < max) list.push(hostPort(ip, port.port))
    }
  }
  return count > max ? `${list.join(',')} + ${count - max} more...` : list.join(',')
}

/** The `tsctl get` table for objects of one kind (already filtered and sorted). */
export function renderResourceTable(kind: string, objects: KubeObject[], opts: TableOptions): string {
  const cols = (columns[kind] ?? [AGE]).filter((c) => opts.wide || !c.wide)
  const headers = [...(opts.withNamespace ? ['NAMESPACE'] : []), 'NAME', ...cols.map((c) => c.header)]
  // every cell is read from an object someone else wrote (names, labels, images, taints): escaped where it enters the table
  const rows = objects.map((o) => [...(opts.withNamespace ? [o.metadata.namespace ?? ''] : []), o.metadata.name, ...cols.map((c) => c.cell(o, opts))].map(escapeControl))
  return renderTable(headers, rows)
}
