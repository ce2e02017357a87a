/**
 * The pod network's allocations, as Kubernetes' allocators make them
 * (docs/networking.md): each node a pod CIDR (the node IPAM controller),
 * each new pod an IP of its node's block (here, not on the host, so the plan,
 * the downward API and the Endpoints know it before the pod starts), each
 * Service a cluster IP and node ports (the apiserver's allocators). All
 * deterministic: the lowest free block or address, or a stable pick from a
 * hash of the Service's name, probing on. Nothing is allocated without
 * `network:` in tsctl.yaml.
 */
import {A} from '../manifests/annotations.js'
import {keyOf, type KubeObject} from '../manifests/object.js'
import {contains, formatCidr, formatIp, gatewayOf, nth, parseCidr, parseIp, size, subBlock, type Cidr} from '../net/cidr.js'
import type {NetworkConfig} from '../net/config.js'
import type {State} from '../state/model.js'
import type {Ctx} from './context.js'
import {fnv32a} from './hash.js'
import type {NodeObject, PodObject, ServiceObject} from './status.js'
import {ann, clone, isTerminal, setAnn} from './util.js'

/** Nodes' pod CIDRs: the Node's own `spec.podCIDR` (validated at load), else the one it had, else the lowest free block. */
export function allocateNodeCIDRs(ctx: Ctx, net: NetworkConfig): void {
  const names = Object.keys(ctx.state.nodes).sort()
  const blocks = size(net.pods) / 2 ** (32 - net.nodeMask)
  const taken = new Set<number>()
  const fits = (c: Cidr | undefined) => c !== undefined && c.bits === net.nodeMask && contains(net.pods, c.base)
  const index = (c: Cidr) => (c.base - net.pods.base) / 2 ** (32 - net.nodeMask)
  const explicit = new Map<string, Cidr>()
  for (const name of names) {
    const spec = (ctx.get(`Node/${name}`) as (NodeObject & {spec?: {podCIDR?: string}}) | undefined)?.spec
    const c = spec?.podCIDR ? parseCidr(spec.podCIDR) : undefined
    if (fits(c)) {
      explicit.set(name, c!)
      taken.add(index(c!))
    }
  }
  const keep = new Map<string, Cidr>()
  for (const name of names) {
    if (explicit.has(name)) continue
    const c = ctx.state.nodes[name].podCIDR ? parseCidr(ctx.state.nodes[name].podCIDR!) : undefined
    if (fits(c) && !taken.has(index(c!))) {
      keep.set(name, c!)
      taken.add(index(c!))
    }
  }
  let next = 0
  for (const name of names) {
    const rec = ctx.state.nodes[name]
    let c = explicit.get(name) ?? keep.get(name)
    if (!c) {
      while (next < blocks && taken.has(next)) next++
      if (next >= blocks) {
        if (rec.podCIDR) delete rec.podCIDR
        ctx.event('Warning', 'CIDRNotAvailable', `Node/${name}`, `no pod CIDR left for node ${name}: network.pods ${formatCidr(net.pods)} holds ${blocks} blocks of /${net.nodeMask}`)
        continue
      }
      taken.add(next)
      c = subBlock(net.pods, net.nodeMask, next)
      ctx.event('Normal', 'CIDRAssignmentSucceeded', `Node/${name}`, `Node ${name} got pod CIDR ${formatCidr(c)}`)
    }
    rec.podCIDR = formatCidr(c)
    // shown where kubectl shows it: the Node's spec.podCIDR(s)
    const n = ctx.get(`Node/${name}`)
    const spec = n?.spec as {podCIDR?: string; podCIDRs?: string[]} | undefined
    if (n && (spec?.podCIDR !== rec.podCIDR || spec?.podCIDRs?.[0] !== rec.podCIDR)) {
      const next = clone(n)
      next.spec = {...(next.spec ?? {}), podCIDR: rec.podCIDR, podCIDRs: [rec.podCIDR]}
      ctx.put(next)
    }
  }
}

/**
 * The state's copy of a git object without what the allocators added
 * (cluster IPs, node ports, pod CIDRs) where git does not give them, so
 * `diff` compares what git says with what git said.
 */
export function withoutAllocations(state: KubeObject, git: KubeObject): KubeObject {
  if (state.kind !== 'Service' && state.kind !== 'Node') return state
  const g = (git.spec ?? {}) as Record<string, unknown>
  const o = clone(state)
  const spec = (o.spec ?? {}) as Record<string, unknown>
  const fields = state.kind === 'Service' ? ['clusterIP', 'clusterIPs'] : ['podCIDR', 'podCIDRs']
  for (const f of fields) if (g[f] === undefined) delete spec[f]
  if (state.kind === 'Service' && Array.isArray(spec.ports)) {
    const gp = (g.ports ?? []) as {nodePort?: number}[]
    spec.ports = (spec.ports as {nodePort?: number}[]).map((p, i) => {
      if (gp[i]?.nodePort !== undefined || p.nodePort === undefined) return p
      const {nodePort: _n, ...rest} = p
      return rest
    })
  }
  return o
}

/** The node's address for routes: spec.address when it is an IPv4 address, else what its host reported. */
export function recordNodeAddresses(ctx: Ctx): void {
  for (const [name, rec] of Object.entries(ctx.state.nodes)) {
    const spec = (ctx.get(`Node/${name}`) as NodeObject | undefined)?.spec as {address?: string} | undefined
    const fromSpec = spec?.address && parseIp(spec.address) !== undefined ? spec.address : undefined
    const reported = ctx.observed.nodes[name]?.address
    const addr = fromSpec ?? reported ?? rec.address
    if (addr) rec.address = addr
  }
}

const hostNetwork = (p: PodObject) => p.spec?.hostNetwork === true

/**
 * An IP for every pod that is bound to a node, has none, and has not started
 * yet (a pod that ran before `network:` was added keeps running without one
 * until it is replaced). A pod whose node changed gets a new one. Taken: the
 * node's network and broadcast addresses, its gateway, and every IP a pod in
 * the state holds (terminating ones too: the host still has them).
 */
export function allocatePodIPs(ctx: Ctx): void {
  const byNode = new Map<string, PodObject[]>()
  for (const p of ctx.pods() as PodObject[]) {
    const node = p.spec?.nodeName
    if (node) byNode.set(node, [...(byNode.get(node) ?? []), p])
  }
  for (const [node, pods] of [...byNode.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const cidr = ctx.state.nodes[node]?.podCIDR ? parseCidr(ctx.state.nodes[node].podCIDR!) : undefined
    if (!cidr) continue
    const taken = new Set<number>([cidr.base, gatewayOf(cidr), nth(cidr, size(cidr) - 1)])
    const wanting: PodObject[] = []
    for (const p of pods) {
      if (hostNetwork(p)) continue
      const ip = ann(p, A.podIP) ? parseIp(ann(p, A.podIP)!) : undefined
      if (ip !== undefined && contains(cidr, ip) && !taken.has(ip)) taken.add(ip)
      else if (!p.metadata.deletionTimestamp && !isTerminal(p) && !started(p)) wanting.push(p)
    }
    let n = 2
    for (const p of wanting) {
      while (n < size(cidr) - 1 && taken.has(nth(cidr, n))) n++
      const q = clone(p)
      if (n >= size(cidr) - 1) {
        setAnn(q, A.podIP, undefined)
        ctx.put(q)
        ctx.event('Warning', 'FailedCreatePodSandBox', keyOf(p), `no free IP in ${formatCidr(cidr)} of node ${node} for pod ${p.metadata.name}`)
        continue
      }
      taken.add(nth(cidr, n))
      setAnn(q, A.podIP, formatIp(nth(cidr, n)))
      ctx.put(q)
    }
  }
}

function started(p: PodObject): boolean {
  return p.status?.startTime !== undefined || (p.status?.containerStatuses?.length ?? 0) > 0
}

const hasClusterIP = (s: ServiceObject) => (s.spec?.type ?? 'ClusterIP') !== 'ExternalName'
const wantsNodePorts = (s: ServiceObject) => s.spec?.type === 'NodePort' || s.spec?.type === 'LoadBalancer'

/**
 * Cluster IPs and node ports. Explicit values from git were checked at load
 * (validate-network.ts); others keep what the Service had in `before` (the
 * state this pass started from: applying git replaces the object) while it
 * stays in range and free, else get a stable pick. `clusterIP: None`
 * (headless) and ExternalName get no IP.
 */
export function allocateServices(ctx: Ctx, net: NetworkConfig, before: State): void {
  const services = ctx.list('Service') as ServiceObject[]
  const ips = new Set<number>()
  const ports = new Set<string>()
  const svcSize = size(net.services)
  const reservedIp = (ip: number) => ip === net.services.base || ip === nth(net.services, 1) || ip === nth(net.services, svcSize - 1)
  const inRange = (ip: number | undefined) => ip !== undefined && contains(net.services, ip) && !reservedIp(ip)
  const portOk = (p: number | undefined) => p !== undefined && p >= net.nodePorts.min && p <= net.nodePorts.max
  const fromGit = new Map(ctx.desired.objects.filter((d) => d.object.kind === 'Service').map((d) => [keyOf(d.object), d.object as ServiceObject]))
  const gitOf = (s: ServiceObject) => fromGit.get(keyOf(s)) ?? s
  // first what git fixes, then what a Service already had, then the rest: a new Service never takes an old one's IP
  for (const s of services) {
    const g = gitOf(s)
    const ip = g.spec?.clusterIP && g.spec.clusterIP !== 'None' ? parseIp(g.spec.clusterIP) : undefined
    if (inRange(ip)) ips.add(ip!)
    for (const p of g.spec?.ports ?? []) if (portOk(p.nodePort)) ports.add(`${p.protocol ?? 'TCP'}/${p.nodePort}`)
  }
  const plans = services.map((s) => {
    const g = gitOf(s)
    const prev = before.objects[keyOf(s)] as ServiceObject | undefined
    return {s, g, prev}
  })
  const ipOf = new Map<ServiceObject, string | undefined>()
  for (const {s, g, prev} of plans) {
    if (!hasClusterIP(s) || g.spec?.clusterIP === 'None') continue
    if (g.spec?.clusterIP) {
      ipOf.set(s, g.spec.clusterIP)
      continue
    }
    const old = prev?.spec?.clusterIP && prev.spec.clusterIP !== 'None' ? parseIp(prev.spec.clusterIP) : undefined
    if (inRange(old) && !ips.has(old!)) {
      ips.add(old!)
      ipOf.set(s, formatIp(old!))
    }
  }
  for (const {s, g} of plans) {
    if (!hasClusterIP(s) || g.spec?.clusterIP === 'None' || ipOf.has(s)) continue
    const start = fnv32a(`${s.metadata.namespace}/${s.metadata.name}`) % svcSize
    let pick: number | undefined
    for (let i = 0; i < svcSize; i++) {
      const ip = nth(net.services, (start + i) % svcSize)
      if (inRange(ip) && !ips.has(ip)) {
        pick = ip
        break
      }
    }
    if (pick === undefined) {
      ctx.event('Warning', 'ClusterIPNotAllocated', keyOf(s), `no free cluster IP in network.services ${formatCidr(net.services)}`)
      continue
    }
    ips.add(pick)
    ipOf.set(s, formatIp(pick))
  }
  // node ports: git's (reserved above), then each port's old one while free, then stable picks
  const span = net.nodePorts.max - net.nodePorts.min + 1
  const portKey = (s: ServiceObject, i: number) => `${keyOf(s)}#${i}`
  const portOf = new Map<string, number>()
  const portsToPick: Array<{s: ServiceObject; i: number; proto: string; seed: string}> = []
  for (const {s, g, prev} of plans) {
    if (!wantsNodePorts(s)) continue
    ;(s.spec?.ports ?? []).forEach((p, i) => {
      const proto = p.protocol ?? 'TCP'
      if (g.spec?.ports?.[i]?.nodePort) return
      const old = prev?.spec?.ports?.find((q) => q.port === p.port && (q.protocol ?? 'TCP') === proto && q.name === p.name)?.nodePort
      if (portOk(old) && !ports.has(`${proto}/${old}`)) {
        ports.add(`${proto}/${old}`)
        portOf.set(portKey(s, i), old!)
      } else portsToPick.push({s, i, proto, seed: `${s.metadata.namespace}/${s.metadata.name}/${p.name ?? ''}/${p.port}/${proto}`})
    })
  }
  for (const {s, i, proto, seed} of portsToPick) {
    const start = fnv32a(seed) % span
    for (let k = 0; k < span; k++) {
      const c = net.nodePorts.min + ((start + k) % span)
      if (ports.has(`${proto}/${c}`)) continue
      ports.add(`${proto}/${c}`)
      portOf.set(portKey(s, i), c)
      break
    }
    if (!portOf.has(portKey(s, i))) ctx.event('Warning', 'NodePortNotAllocated', keyOf(s), `no free node port in network.nodePorts ${net.nodePorts.min}-${net.nodePorts.max}`)
  }
  for (const {s, g} of plans) {
    const next = clone(s)
    let changed = false
    const ip = ipOf.get(s)
    if (g.spec?.clusterIP !== 'None' && ip && (next.spec?.clusterIP !== ip || next.spec?.clusterIPs?.[0] !== ip)) {
      next.spec = {...(next.spec ?? {}), clusterIP: ip, clusterIPs: [ip]}
      changed = true
    }
    if (wantsNodePorts(s)) {
      const nextPorts = (next.spec?.ports ?? []).map((p, i) => {
        const want = portOf.get(portKey(s, i))
        if (want === undefined || p.nodePort === want) return p
        changed = true
        return {...p, nodePort: want}
      })
      if (changed) next.spec = {...(next.spec ?? {}), ports: nextPorts}
    }
    if (changed) ctx.put(next)
  }
}

/** The gateway (the node's resolver too) of a node, from the state. */
export function nodeGateway(state: State, node: string): string | undefined {
  const c = state.nodes[node]?.podCIDR ? parseCidr(state.nodes[node].podCIDR!) : undefined
  return c ? formatIp(gatewayOf(c)) : undefined
}
