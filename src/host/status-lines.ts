import type {ObservedContainer, ObservedNode, ObservedPod, PodPhase} from '../reconcile/index.js'

import {KUBELET_MAX_PODS} from '../manifests/defaults.js'

/**
 * A host's size as a Node capacity in Kubernetes quantities, with the
 * kubelet's default pod limit; undefined unless both figures are positive.
 * The one reading of size for the status `node` line and the `info` verb.
 */
export function hostCapacity(cpus: string | number, memoryKb: string | number): NonNullable<ObservedNode['capacity']> | undefined {
  if (!(Number(cpus) > 0) || !(Number(memoryKb) > 0)) return undefined
  return {cpu: String(Number(cpus)), memory: `${Number(memoryKb)}Ki`, pods: String(KUBELET_MAX_PODS)}
}

/** The host's capacity from the status `node` line. */
export function parseCapacity(text: string): ObservedNode['capacity'] | undefined {
  const f = NODE_LINE.exec(text)
  return f ? hostCapacity(f[1], f[2]) : undefined
}

const NODE_LINE = /^node (\d+) (\d+)(?: ([a-z0-9_]+))?$/m

/** The host's architecture (GOARCH name: amd64, arm64, …) from the status `node` line. */
export function parseArch(text: string): string | undefined {
  return NODE_LINE.exec(text)?.[3]
}

/**
 * The node-level network facts of a status: `net HASH` (the network files applied, printed only
 * while the bridge and the `tsctl` table exist) and `addr IP` (the address the CLI reached the
 * host on). Fields are absent when the host printed no such line.
 */
export function parseNodeNet(text: string): Pick<ObservedNode, 'netHash' | 'address'> {
  const out: Pick<ObservedNode, 'netHash' | 'address'> = {}
  const net = /^net ([A-Za-z0-9_-]+)$/m.exec(text)
  if (net) out.netHash = net[1]
  const addr = /^addr ([0-9a-fA-F.:]+)$/m.exec(text)
  if (addr) out.address = addr[1]
  return out
}

/**
 * Parses the output of `tsctl-runtime status` (one call per host) into
 * ObservedPods. Line format (src/host/protocol.md), space-separated,
 * `-` for none, times in epoch ms, names URI-encoded:
 *
 *   node CPUS MEMORY_KB ARCH
 *   pod UID NAMESPACE NAME HASH PHASE READY READYSINCE STARTEDAT
 *   ctr UID KIND NAME STATE REASON EXIT RESTARTS READY STARTED FINISHED LASTREASON LASTEXIT
 *   vol UID VOLINDEX HASH VOLNAME
 *   podip UID IP
 *
 * (`net` and `addr` are node lines: parseNodeNet.) Unknown line kinds are ignored, so a newer runtime can add lines.
 */
export function parseStatus(text: string): ObservedPod[] {
  const pods = new Map<string, ObservedPod>()
  const num = (s: string | undefined): number | undefined => (s === undefined || s === '-' || s === '' ? undefined : Number(s))
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }
  for (const raw of text.split('\n')) {
    const f = raw.trim().split(/\s+/)
    if (f[0] === 'pod' && f.length >= 9) {
      const phases: PodPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']
      pods.set(f[1], {
        uid: f[1],
        namespace: dec(f[2]),
        name: dec(f[3]),
        specHash: f[4],
        phase: phases.includes(f[5] as PodPhase) ? (f[5] as PodPhase) : 'Unknown',
        ready: f[6] === '1',
        readySince: num(f[7]),
        startedAt: num(f[8]),
        initContainers: [],
        containers: [],
      })
    } else if (f[0] === 'ctr' && f.length >= 12) {
      const pod = pods.get(f[1])
      if (!pod) continue
      const state = (['waiting', 'running', 'terminated'] as const).find((s) => s === f[4]) ?? 'waiting'
      const c: ObservedContainer = {
        name: dec(f[3]),
        state,
        reason: f[5] === '-' ? undefined : f[5],
        exitCode: num(f[6]),
        restartCount: num(f[7]) ?? 0,
        ready: f[8] === '1',
        startedAt: num(f[9]),
        finishedAt: num(f[10]),
        lastTerminationReason: f[11] === '-' || f[11] === undefined ? undefined : f[11],
        lastExitCode: num(f[12]),
      }
      ;(f[2] === 'init' ? pod.initContainers : pod.containers).push(c)
    } else if (f[0] === 'podip' && f.length >= 3) {
      const pod = pods.get(f[1])
      if (pod) pod.podIP = f[2]
    } else if (f[0] === 'vol' && f.length >= 4) {
      const pod = pods.get(f[1])
      // keyed by volume name (reconcile's podVolumeHashes); by index from a runtime that printed no name
      if (pod) pod.volumeHashes = {...pod.volumeHashes, [f[4] !== undefined && f[4] !== '-' ? dec(f[4]) : f[2]]: f[3]}
    }
  }
  return [...pods.values()]
}

/** A host's layer store: layer directories, their size in KiB (`du -sk`), image records. */
export interface LayerStoreSize {
  layers: number
  kb: number
  images: number
}

/** The store's size from the `info` facts `layers`, `layers_kb`, `images`; undefined when the host did not report them. */
export function layerStoreFromInfo(info: Record<string, string>): LayerStoreSize | undefined {
  const [layers, kb, images] = [info.layers, info.layers_kb, info.images].map((v) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined))
  return layers === undefined || kb === undefined || images === undefined ? undefined : {layers, kb, images}
}

/** What `tsctl-runtime image-gc` removed, and the store left after it. */
export interface ImageGcResult {
  removedImages: string[]
  removedLayers: {digest: string; kb: number}[]
  store: LayerStoreSize
}

/**
 * Parses the output of `tsctl-runtime image-gc` (src/host/protocol.md):
 *
 *   removed-image DIGEST
 *   removed-layer DIGEST KB
 *   store layers=N kb=K images=M      (last)
 *
 * Undefined without a store line: the run did not finish. Unknown lines are ignored.
 */
export function parseImageGc(text: string): ImageGcResult | undefined {
  const out: Omit<ImageGcResult, 'store'> = {removedImages: [], removedLayers: []}
  let store: LayerStoreSize | undefined
  for (const raw of text.split('\n')) {
    const f = raw.trim().split(/\s+/)
    if (f[0] === 'removed-image' && f.length >= 2) out.removedImages.push(f[1])
    else if (f[0] === 'removed-layer' && f.length >= 3) out.removedLayers.push({digest: f[1], kb: Number(f[2])})
    else if (f[0] === 'store') {
      const m = /^store layers=(\d+) kb=(\d+) images=(\d+)$/.exec(raw.trim())
      if (m) store = {layers: Number(m[1]), kb: Number(m[2]), images: Number(m[3])}
    }
  }
  return store ? {...out, store} : undefined
}
