/**
 * Bench-only: in-memory hosts that answer the real runtime protocol
 * (src/host/protocol.md), so `sync()` — observe, reconcile, executor,
 * RuntimeClient, bundles, layers — runs unchanged against a fleet of any size.
 *
 *   const fleet = new SimFleet(['sim-1', 'sim-2'], {rttMs: 30, concurrency: 32})
 *   await sync({repo, ref, backend, hosts: fleet.hosts()})   // fresh connections, like a new `tsctl sync`
 *
 * Each exec holds a slot of one Limiter shared by the fleet (the CLI's
 * `--concurrency`), then one per-host session slot (SshTransport's
 * maxSessions), pays a round trip, and answers from the host's memory.
 * A transport's first exec first "connects": a start-up slot of the same
 * Limiter, paced as SshTransport paces its masters, for `connectMs`.
 * Pods turn Running and Ready as soon as `apply` returns. An argv the real
 * runtime would not take, or a verb the sim does not know, exits 2, so a
 * protocol change shows up as unreachable nodes instead of a silent pass.
 */
import type {Readable} from 'node:stream'
import type {KubeObject} from '../src/manifests/object.js'
import {loadRuntimeFiles, RuntimeClient, type RuntimeFiles} from '../src/host/runtime-client.js'
import {readTar} from '../src/images/tar/reader.js'
import {Hosts} from '../src/sync/executor/hosts.js'
import {Limiter} from '../src/transport/limiter.js'
import type {RunOptions, RunResult, Transport} from '../src/transport/transport.js'

export interface SimOptions {
  /** added to every exec, ms (default: env BENCH_RTT_MS, else 30) */
  rttMs?: number
  /** execs in flight across the fleet (default 32, as `--concurrency`) */
  concurrency?: number
  /** one connection set-up (TCP + key exchange + auth), ms; 0: none (default 3 round trips) */
  connectMs?: number
  /** execs per host at once (SshTransport's maxSessions, default 8) */
  maxSessions?: number
  /** what each host's `status` node line says */
  cpus?: number
  memoryKb?: number
  arch?: string
}

/** One pod as the sim host keeps it: what `status` prints back. */
interface SimPod {
  namespace: string
  name: string
  hash: string
  startedAt: number
  containers: {kind: 'init' | 'app'; name: string; layers: string[]}[]
  /** files/secret volumes: index → {name, hash} */
  volumes: Map<string, {name: string; hash: string}>
}

/** Everything one host's runtime would hold under ROOT, in memory. */
export class SimHost {
  readonly pods = new Map<string, SimPod>()
  readonly layers = new Set<string>()
  readonly images = new Map<string, string[]>()
  constructor(readonly name: string) {}
}

/** Execs by verb and connections made, across the fleet. */
export class SimStats {
  readonly verbs = new Map<string, number>()
  connects = 0
  count(verb: string): void {
    this.verbs.set(verb, (this.verbs.get(verb) ?? 0) + 1)
  }
  /** `verb=count …`, most first, then resets */
  take(): string {
    const s = [...this.verbs].sort((a, b) => b[1] - a[1]).map(([v, n]) => `${v}=${n}`).join(' ')
    this.verbs.clear()
    return s
  }
}

/** The in-memory fleet: hosts by name, the shared limiter, the stats. */
export class SimFleet {
  readonly hostsByName = new Map<string, SimHost>()
  readonly limiter: Limiter
  readonly stats = new SimStats()
  readonly opts: Required<SimOptions>
  #files?: RuntimeFiles

  constructor(names: string[], opts: SimOptions = {}) {
    const rttMs = opts.rttMs ?? Number(process.env.BENCH_RTT_MS ?? 30)
    this.opts = {
      rttMs,
      concurrency: opts.concurrency ?? 32,
      connectMs: opts.connectMs ?? 3 * rttMs,
      maxSessions: opts.maxSessions ?? 8,
      cpus: opts.cpus ?? 16,
      memoryKb: opts.memoryKb ?? 64 * 1024 * 1024,
      arch: opts.arch ?? 'amd64',
    }
    this.limiter = new Limiter({concurrency: this.opts.concurrency})
    for (const n of names) this.hostsByName.set(n, new SimHost(n))
  }

  /** A new transport to host NAME (not yet connected). */
  transport(name: string): SimTransport {
    const host = this.hostsByName.get(name)
    if (!host) throw new Error(`sim: no host ${name}`)
    return new SimTransport(host, this)
  }

  /**
   * Hosts for one sync, every transport new: like a fresh `tsctl sync`
   * process, each host is connected to (paced) before its first command.
   * Reuse the result across syncs for `watch`'s warm connections.
   */
  hosts(nodes: KubeObject[] = []): SimHosts {
    this.#files ??= loadRuntimeFiles()
    return new SimHosts(this, this.#files, nodes)
  }
}

/**
 * Hosts whose clients talk to the sim fleet. Overrides the two places that
 * reach the transport pool (check, client); everything else is Hosts'.
 */
export class SimHosts extends Hosts {
  readonly #clients = new Map<string, RuntimeClient>()
  constructor(private readonly fleet: SimFleet, private readonly files: RuntimeFiles, nodes: KubeObject[]) {
    super(nodes)
  }

  override check(): void {
    for (const n of this.names) if (!this.fleet.hostsByName.has(n)) throw new Error(`sim: the commit names Node ${n}, the sim fleet has no such host`)
  }

  override async setNodes(nodes: KubeObject[]): Promise<void> {
    await super.setNodes(nodes)
    for (const n of [...this.#clients.keys()]) if (!this.node(n)) this.#clients.delete(n)
  }

  override client(name: string): RuntimeClient {
    let c = this.#clients.get(name)
    if (!c) {
      if (!this.node(name)) throw new Error(`no Node ${name} in this commit`)
      c = new RuntimeClient(this.fleet.transport(name), {root: this.root, files: this.files})
      this.#clients.set(name, c)
    }
    return c
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const DIGEST = /^sha256:[0-9a-f]{64}$/
const UID = /^[a-z0-9-]{1,64}$/

async function readAll(stdin: Buffer | Readable | undefined): Promise<Buffer> {
  if (stdin === undefined) return Buffer.alloc(0)
  if (Buffer.isBuffer(stdin)) return stdin
  const parts: Buffer[] = []
  for await (const c of stdin) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c))
  return Buffer.concat(parts)
}

const out = (stdout = '', code = 0, stderr = ''): RunResult => ({code, stdout: Buffer.from(stdout), stderr})
const die = (msg: string, code = 1): RunResult => out('', code, `tsctl-runtime: ${msg}\n`)

/** One in-memory host, reached with a simulated round trip. */
export class SimTransport implements Transport {
  readonly node: string
  readonly #sessions: Limiter
  #connected?: Promise<void>

  constructor(readonly host: SimHost, private readonly fleet: SimFleet) {
    this.node = host.name
    this.#sessions = new Limiter({concurrency: fleet.opts.maxSessions})
  }

  exec(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    // the order SshTransport takes its slots in: per-host session, run-wide command, then the master
    return this.#sessions.run(() => this.fleet.limiter.run(async () => {
      const {connectMs, rttMs} = this.fleet.opts
      if (connectMs > 0) {
        this.#connected ??= this.fleet.limiter.connect(async () => {
          this.fleet.stats.connects++
          await sleep(connectMs)
        })
        await this.#connected
      }
      const stdin = await readAll(opts.stdin)
      await sleep(rttMs)
      return this.answer(argv, stdin)
    }))
  }

  async close(): Promise<void> {}

  /** What the host would answer; the protocol's formats exactly. */
  answer(argv: string[], stdin: Buffer): RunResult {
    const stats = this.fleet.stats
    if (argv[0] === 'sh' && argv[1] === '-c') {
      // RuntimeClient.ensureInstalled: the root check (0: installed), or the install itself
      const script = argv[2] ?? ''
      const kind = script.includes('chk()') ? 'install-check' : script.includes('tar -x') ? 'install' : undefined
      if (!kind) return die(`sim: unknown sh -c script: ${script.slice(0, 60)}`, 2)
      stats.count(kind)
      return out()
    }
    if (argv[0] === 'test' && argv[1] === '-x') {
      stats.count('test-x')
      return out()
    }
    if (!argv[0]?.endsWith('/tsctl-runtime') || argv[1] !== '--root') return die(`sim: not a runtime call: ${argv.slice(0, 3).join(' ')}`, 2)
    const [verb, ...args] = argv.slice(3)
    stats.count(verb ?? '-')
    const h = this.host
    switch (verb) {
      case 'status':
        return out(this.status())
      case 'apply': {
        const uid = args[0]
        if (!uid || !UID.test(uid)) return die(`apply: bad uid ${uid}`)
        const pod = parseBundle(stdin)
        if (!pod) return die('apply: the bundle has no meta/hash, meta/namespace or meta/name')
        const old = h.pods.get(uid)
        if (old && old.hash === pod.hash) return out('unchanged\n')
        h.pods.set(uid, pod)
        return out('started\n')
      }
      case 'remove':
      case 'stop':
        // grace periods are not waited for: the sim's pods stop at once
        if (!args[0] || !UID.test(args[0])) return die(`${verb}: bad uid ${args[0]}`)
        if (verb === 'remove') h.pods.delete(args[0])
        return out()
      case 'layer-has':
        if (!args.every((d) => DIGEST.test(d))) return die('layer-has: bad digest')
        return out(args.filter((d) => !h.layers.has(d)).map((d) => `${d}\n`).join(''))
      case 'layer-add':
        if (!DIGEST.test(args[0] ?? '')) return die('layer-add: bad digest')
        h.layers.add(args[0])
        return out()
      case 'image-add':
        if (args.length < 1 || !args.every((d) => DIGEST.test(d))) return die('image-add: bad digest')
        h.images.set(args[0], args.slice(1))
        return out()
      case 'image-gc':
        return this.imageGc(args[0] === '-' ? stdin.toString().split('\n').filter(Boolean) : args)
      case 'gc':
        return out()
      case 'update-files': {
        const [uid, volume, hash] = args
        const pod = h.pods.get(uid ?? '')
        if (!pod) return die(`update-files: no pod ${uid}`)
        const vol = [...pod.volumes].find(([idx, v]) => v.name === volume || idx === volume)
        if (!vol) return die(`update-files: pod ${uid} has no files volume ${volume}`)
        vol[1].hash = hash
        return out()
      }
      default:
        return die(`sim: unknown verb ${verb} (did the runtime protocol change? teach bench/sim-transport.ts)`, 2)
    }
  }

  /** `tsctl-runtime status`: every pod Running and Ready since it started. */
  private status(): string {
    const {cpus, memoryKb, arch} = this.fleet.opts
    const lines = [`node ${cpus} ${memoryKb} ${arch}`]
    for (const [uid, p] of this.host.pods) {
      lines.push(`pod ${uid} ${p.namespace} ${p.name} ${p.hash} Running 1 ${p.startedAt} ${p.startedAt}`)
      for (const c of p.containers) {
        lines.push(c.kind === 'init'
          ? `ctr ${uid} init ${c.name} terminated Completed 0 0 0 ${p.startedAt} ${p.startedAt} - -`
          : `ctr ${uid} app ${c.name} running - - 0 1 ${p.startedAt} - - -`)
      }
      for (const [idx, v] of p.volumes) lines.push(`vol ${uid} ${idx} ${v.hash} ${v.name}`)
    }
    return lines.join('\n') + '\n'
  }

  /** Drops the records not in KEEP and the layers nothing left uses (no sizes: kb=0). */
  private imageGc(keep: string[]): RunResult {
    if (!keep.every((d) => DIGEST.test(d))) return die('image-gc: bad digest')
    const h = this.host
    const lines: string[] = []
    const kept = new Set(keep)
    for (const d of [...h.images.keys()]) {
      if (kept.has(d)) continue
      h.images.delete(d)
      lines.push(`removed-image ${d}`)
    }
    const used = new Set<string>()
    for (const ids of h.images.values()) for (const d of ids) used.add(d)
    for (const p of h.pods.values()) for (const c of p.containers) for (const d of c.layers) used.add(d)
    for (const d of [...h.layers]) {
      if (used.has(d)) continue
      h.layers.delete(d)
      lines.push(`removed-layer ${d} 0`)
    }
    lines.push(`store layers=${h.layers.size} kb=0 images=${h.images.size}`)
    return out(lines.join('\n') + '\n')
  }
}

/** The parts of a pod bundle `status` reports (src/host/bundle/pod-bundle.ts); undefined without the meta files. */
function parseBundle(tar: Buffer): (SimPod & {hash: string}) | undefined {
  const files = new Map<string, string>()
  for (const e of readTar(tar)) if (e.type === 'file' && !e.name.includes('/data/') && !e.name.endsWith('/env') && !e.name.endsWith('/argv')) files.set(e.name, e.data.toString().trim())
  const hash = files.get('meta/hash')
  const namespace = files.get('meta/namespace')
  const name = files.get('meta/name')
  if (!hash || !namespace || !name) return undefined
  const containers: SimPod['containers'] = []
  const volumes: SimPod['volumes'] = new Map()
  for (const [path, v] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const c = /^containers\/([ic])\d+\/name$/.exec(path)
    if (c) containers.push({kind: c[1] === 'i' ? 'init' : 'app', name: v, layers: (files.get(path.replace(/name$/, 'layers')) ?? '').split('\n').filter(Boolean)})
    const vol = /^volumes\/(\d+)\/kind$/.exec(path)
    if (vol && (v === 'files' || v === 'secret')) volumes.set(vol[1], {name: files.get(`volumes/${vol[1]}/name`) ?? vol[1], hash: files.get(`volumes/${vol[1]}/hash`) ?? '-'})
  }
  return {namespace, name, hash, startedAt: Date.now(), containers, volumes}
}
