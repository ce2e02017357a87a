import {HostError} from '../errors.js'
import type {KubeObject} from '../manifests/object.js'
import type {Observed, ObservedNode} from '../reconcile/observed.js'
import type {Hosts} from './executor/hosts.js'
import {hostCapacity, parseArch, parseNodeNet, parseStatus} from '../host/status-lines.js'
import {isLocalNode} from '../transport/index.js'

export type NodeCapacity = NonNullable<ObservedNode['capacity']>

export interface ObserveOptions {
  /** the runtime clients of the run */
  hosts: Hosts
  /** epoch ms for `observedAt` (default Date.now) */
  now?: () => number
  /** per host, for install + status (+ info): past it the node is unreachable (default 30 000) */
  timeoutMs?: number
  /** a per-node bound instead of timeoutMs (sync: short for a node already unreachable this run) */
  timeoutFor?: (node: string) => number | undefined
  /**
   * Detected capacities by node, shared across the rounds of a run: a node
   * found here (or for which `capacityKnown` says yes) costs no `info` call.
   */
  capacities?: Map<string, NodeCapacity>
  /** true when the Node manifest or the state already gives the node's capacity */
  capacityKnown?: (node: string) => boolean
  /**
   * false: never install the runtime (dry runs and `diff` change nothing on
   * a host); a host without it is reported reachable and running nothing.
   */
  install?: boolean
}

/** What `tsctl-runtime info` says about size, as a Node capacity. */
export function capacityFromInfo(info: Record<string, string>): NodeCapacity | undefined {
  return hostCapacity(info.cpus, info.memory_kb)
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms${what ? ` (${what})` : ''}`)), ms)
  })
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

/**
 * Observes every node: one `status` round trip per host, all hosts in
 * parallel (bounded by the transports' limiter), each bounded by
 * `timeoutMs`. The runtime is installed first where it is missing (once per
 * content hash). A host that cannot be reached, times out or whose runtime
 * fails is `reachable: false` with the error: reconcile then leaves its pods
 * as they were. Capacity is detected with `info` only for nodes whose
 * capacity nobody gives. Never throws for a host problem.
 */
export async function observe(nodes: KubeObject[], opts: ObserveOptions): Promise<Observed> {
  const now = opts.now ?? Date.now
  const defaultTimeout = opts.timeoutMs ?? 30_000
  const caps = opts.capacities ?? new Map<string, NodeCapacity>()
  const one = async (node: KubeObject): Promise<ObservedNode> => {
    const name = node.metadata.name
    const timeoutMs = opts.timeoutFor?.(name) ?? defaultTimeout
    try {
      if (isLocalNode(node) && process.getuid?.() !== 0) {
        throw new Error('running pods on this machine needs root (mounts, cgroups, namespaces): run tsctl as root, e.g. with sudo')
      }
      const client = opts.hosts.client(name)
      const work = async (): Promise<ObservedNode> => {
        if (opts.install === false) {
          const probe = await client.transport.exec(['test', '-x', client.runtimePath], {timeoutMs})
          if (probe.code !== 0) return {name, reachable: true, observedAt: now(), pods: [], ...(caps.has(name) ? {capacity: caps.get(name)!} : {})}
        }
        // One round trip when the runtime is there (the usual case); install and retry when it is not (127/126).
        let r = await client.transport.exec([client.runtimePath, '--root', client.root, 'status'], {timeoutMs})
        if (r.code === 127 || r.code === 126) r = await client.run(['status'], {timeoutMs})
        if (r.code !== 0) throw new HostError(name, `tsctl-runtime status failed (exit ${r.code}): ${r.stderr.trim()}`)
        const text = r.stdout.toString()
        const pods = parseStatus(text)
        const arch = parseArch(text)
        // Unknown = its supervisor is gone: the last "ready" the host recorded is stale.
        for (const p of pods) {
          if (p.phase !== 'Unknown') continue
          p.ready = false
          for (const c of [...p.initContainers, ...p.containers]) c.ready = false
        }
        let capacity = caps.get(name)
        if (!capacity && !opts.capacityKnown?.(name)) {
          capacity = capacityFromInfo(await client.info())
          if (capacity) caps.set(name, capacity)
        }
        return {name, reachable: true, observedAt: now(), pods, ...(capacity ? {capacity} : {}), ...(arch ? {arch} : {}), ...parseNodeNet(text)}
      }
      return await withTimeout(work(), timeoutMs, 'install, status')
    } catch (e) {
      const msg = e instanceof HostError ? e.message.replace(`${name}: `, '') : (e as Error).message
      return {name, reachable: false, observedAt: now(), error: msg, pods: []}
    }
  }
  const results = await Promise.all(nodes.map(one))
  const out: Observed = {nodes: {}}
  for (const n of results.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) out.nodes[n.name] = n
  return out
}
