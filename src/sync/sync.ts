/**
 * `tsctl sync`: one commit made true on the fleet. The orchestration loop
 * around the pure reconcile pass (DESIGN.md data flow steps 3-6):
 *
 *   lock → load the commit → read the state → ┌ observe every node
 *                                              │ reconcile (pure)
 *                                              │ write the state (the intent)
 *                                              │ execute the plan, writing the state after every action
 *                                              └ until converged, settled, failed or --timeout
 *   → record the applied commit → unlock
 *
 * What each round does next is decided by decideRound (round.ts) from
 * data; this file does the I/O around it.
 *
 * Rules and exit codes: README.md here and docs/sync.md.
 */
import {randomUUID} from 'node:crypto'
import {resolve as resolvePath} from 'node:path'
import {ExitCode, LockedError} from '../errors.js'
import type {CommitInfo, Desired} from '../manifests/desired.js'
import type {KubeObject} from '../manifests/object.js'
import type {Observed} from '../reconcile/observed.js'
import type {Plan} from '../reconcile/plan.js'
import type {StateBackend, LockInfo} from '../state/backend.js'
import {emptyState, type State} from '../state/model.js'
import {executePlan} from './executor/executor.js'
import {Hosts, type HostsOptions} from './executor/hosts.js'
import {ImageResolver} from './executor/images.js'
import {ImageAnswers} from './image-answers.js'
import {pinsOf} from '../reconcile/image-pins.js'
import {hostPlatform} from '../images/oci-layout.js'
import type {ImageCache} from '../images/cache.js'
import {LayerCache} from '../images/ensure-layers.js'
import {observe, type NodeCapacity} from './observe.js'
import {sshOptionsFromEnv} from '../transport/index.js'
import {actionRef, type SyncEvent} from './events.js'
import {recordOutcome} from './record.js'
import {nodesToObserve} from '../reconcile/index.js'
import {afterExecute, decideRound, POLL_FIRST_MS} from './round.js'
import {describeRollout} from '../rollout/verbs.js'
import {inProgress} from './settle.js'
import {StateWriter} from './state-writer.js'

export type {SyncEvent} from './events.js'

export interface SyncOptions {
  /** the manifests repository (work tree or bare); `oci:` images are read from it on disk */
  repo: string
  /** the commit to apply (any git revision) */
  ref: string
  /** where pulled registry blobs are kept (default: $TSCTL_CACHE_DIR or the XDG cache dir) */
  imageCache?: ImageCache
  backend: StateBackend
  /** observe, reconcile and report the first plan; lock nothing, write nothing, install nothing */
  dryRun?: boolean
  /** stop pods of objects removed from git and pods nothing owns (default true) */
  prune?: boolean
  /** overall bound of the rollout (default 300 000 = 5 min): past it, exit 5 */
  timeoutMs?: number
  /** hosts worked on at once, and SSH commands in flight (default 32) */
  concurrency?: number
  /** how long a node may stay unreachable before its pods move (default 40 000) */
  nodeGraceMs?: number
  /** a saved plan to execute first instead of the first pass's own plan (the stale check is the caller's) */
  plan?: Plan
  /** the clock (epoch ms); default Date.now */
  now?: () => number
  onEvent?: (e: SyncEvent) => void
  /** checked between steps: a newer commit or SIGTERM supersedes the rollout after the current step */
  shouldStop?: () => boolean
  /** runtime root on every host (default /var/lib/tsctl; the CLI passes --root / TSCTL_ROOT) */
  root?: string
  /** wait this long for a held lock before exit 3 (default 0: fail at once) */
  lockTimeoutMs?: number
  /** the lock's operation name (default `tsctl sync`; watch passes its own) */
  operation?: string
  /** per host and round: observing past this marks the node unreachable (default 30 000) */
  hostTimeoutMs?: number
  /** transport settings (SSH known_hosts/config); default from TSCTL_SSH_CONFIG / TSCTL_SSH_KNOWN_HOSTS */
  transport?: Omit<HostsOptions, 'root' | 'concurrency'>
  /**
   * Hosts to reuse across syncs (`watch`: SSH masters and installed runtimes
   * stay); sync sets their Nodes from the commit and does not close them.
   * Default: a Hosts made and closed by this sync from root/concurrency/transport.
   */
  hosts?: Hosts
}

/** Per node, what the sync did. */
export interface NodeSummary {
  created: number
  replaced: number
  deleted: number
  /** pods the node was seen running (or finished) that no action of this sync touched */
  unchanged: number
  failed: number
  /** image layers streamed to the node (only those it lacked) and their bytes; absent when none */
  layersSent?: number
  layerBytes?: number
}

export interface SyncResult {
  /** 0 converged; 2 invalid input (thrown before, as UserError); 3 locked (thrown); 4 hosts failed/unreachable; 5 not converged in time */
  exitCode: 0 | 2 | 3 | 4 | 5
  converged: boolean
  commit: CommitInfo
  summary: Record<string, NodeSummary>
  failedNodes: {node: string; error: string}[]
  /** observe → reconcile rounds run */
  passes: number
  /** the state as last written (a dry run: as it would be after the first pass, not written) */
  state: State
  /** dry runs: the plan a sync would execute first */
  plan?: Plan
  /** why it did not converge, in words (timeout, progress deadline, stopped) */
  message?: string
  /** warnings of the commit (unsupported fields, …) */
  warnings: Desired['warnings']
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

async function takeLock(backend: StateBackend, operation: string, timeoutMs: number, now: () => number, emit: (e: SyncEvent) => void): Promise<LockInfo> {
  const until = now() + timeoutMs
  let told = false
  for (;;) {
    try {
      return await backend.lock(operation)
    } catch (e) {
      if (!(e instanceof LockedError) || now() >= until) throw e
      if (!told) emit({type: 'lock-waiting', time: now(), holder: e.message})
      told = true
      await sleep(Math.min(500, Math.max(10, until - now())))
    }
  }
}

function emptySummary(): NodeSummary {
  return {created: 0, replaced: 0, deleted: 0, unchanged: 0, failed: 0}
}

/**
 * Applies commit REF of REPO to the fleet its Nodes name and returns how it
 * went. Throws UserError (exit 2: invalid manifests, images that do not
 * resolve, a state from another fleet — nothing applied) and LockedError
 * (exit 3, naming the holder). Host problems are never thrown: unreachable
 * or failing nodes are reported (exit 4) after the others were applied.
 *
 * Every state write is atomic, the first of each round before its plan runs
 * (the intent) and one after every action, so a kill -9 at any moment
 * leaves a state that parses and from which the next sync converges: names
 * and UIDs are hashes (reconcile/README.md), so re-planned actions find the
 * pods the killed run started instead of duplicating them.
 */
/**
 * Host image GC after a sync that changed something: every host drops the
 * image records and layers that neither its pods nor the state's retained
 * revisions use (the pins of every ReplicaSet, ControllerRevision, Job and
 * pod in the state, and the images of this run), so `rollout undo` within
 * the revision history needs no transfer. A host that fails GC is reported,
 * never fatal: its pods are applied already.
 */
async function collectImages(hosts: Hosts, nodes: string[], state: State, images: ImageResolver, emit: (e: SyncEvent) => void, now: () => number): Promise<void> {
  const keep = new Set(images.resolvedDigests())
  for (const o of Object.values(state.objects)) for (const d of Object.values(pinsOf(o))) keep.add(d)
  const list = [...keep].sort()
  await Promise.all(
    nodes.map(async (node) => {
      try {
        const r = await hosts.client(node).gcImages(list)
        if (r.removedLayers.length || r.removedImages.length) {
          emit({type: 'images-collected', time: now(), node, images: r.removedImages.length, layers: r.removedLayers.length, kb: r.removedLayers.reduce((n, l) => n + l.kb, 0), storeKb: r.store.kb})
        }
      } catch (e) {
        emit({type: 'images-collected', time: now(), node, images: 0, layers: 0, kb: 0, storeKb: 0, error: e instanceof Error ? e.message : String(e)})
      }
    }),
  )
}

export async function sync(opts: SyncOptions): Promise<SyncResult> {
  const now = opts.now ?? Date.now
  const emit = (e: SyncEvent) => opts.onEvent?.(e)
  const deadline = now() + (opts.timeoutMs ?? 300_000)
  const dryRun = opts.dryRun ?? false
  const backend = opts.backend

  const lock = dryRun ? undefined : await takeLock(backend, opts.operation ?? 'tsctl sync', opts.lockTimeoutMs ?? 0, now, emit)
  let ownHosts: Hosts | undefined
  try {
    const {loadDesired} = await import('../manifests/load.js')
    const {reconcile} = await import('../reconcile/reconcile.js')
    const desired = await loadDesired({repo: opts.repo, ref: opts.ref, secrets: dryRun ? 'optional' : 'require'})
    const stored = await backend.read()
    const writer = new StateWriter(backend, stored ?? emptyState(randomUUID()), stored)
    // the commit's Nodes and those leaving it that must first be drained
    const nodes: KubeObject[] = nodesToObserve(desired.objects.map((d) => d.object), stored ?? emptyState(''))
    if (opts.hosts) await opts.hosts.setNodes(nodes)
    else ownHosts = new Hosts(nodes, {...(opts.transport ?? {ssh: sshOptionsFromEnv()}), root: opts.root, concurrency: opts.concurrency})
    const hosts = opts.hosts ?? ownHosts!
    hosts.check()
    // Each host's architecture picks its manifest from a multi-platform image: the Node's
    // kubernetes.io/arch label when it has one (as the kubelet sets it), else what the host reported.
    const archOf = new Map<string, string>()
    const labelArch = (name: string) => nodes.find((x) => x.metadata.name === name)?.metadata.labels?.['kubernetes.io/arch']
    const pullStarted = new Map<string, number>()
    const images = new ImageResolver(resolvePath(opts.repo), {
      ...(desired.registries ? {registries: desired.registries} : {}),
      ...(opts.imageCache ? {cache: opts.imageCache} : {}),
      objects: () => writer.state.objects,
      platformOf: (name) => ({os: 'linux', architecture: labelArch(name) ?? archOf.get(name) ?? hostPlatform().architecture}),
      onPull: (e) => {
        const key = `${e.image}|${e.layer}`
        if (!pullStarted.has(key)) pullStarted.set(key, now())
        if (e.done === e.total) emit({type: 'image-pulled', time: now(), image: e.image, layer: e.layer, bytes: e.total, ms: now() - pullStarted.get(key)!})
      },
    })
    const answers = new ImageAnswers(images, desired)
    const layers = new LayerCache()
    const capacities = new Map<string, NodeCapacity>()
    const capacityKnown = (name: string) => {
      const n = nodes.find((x) => x.metadata.name === name) as (KubeObject & {spec?: {capacity?: Record<string, unknown>}}) | undefined
      const spec = n?.spec?.capacity ?? {}
      return (spec.cpu !== undefined && spec.memory !== undefined) || !!writer.state.nodes[name]?.capacity
    }
    emit({type: 'sync-started', time: now(), commit: desired.commit, nodes: hosts.names, dryRun})

    const summary: Record<string, NodeSummary> = {}
    for (const n of hosts.names) summary[n] = emptySummary()
    const touched = new Set<string>()
    const failedNodes = new Map<string, string>()
    let unreachable = new Map<string, string>()
    let passes = 0
    let pollMs = POLL_FIRST_MS
    let lastWritten = ''

    const finish = (exitCode: SyncResult['exitCode'], converged: boolean, message?: string): SyncResult => {
      const st = writer.state
      for (const n of Object.keys(summary)) summary[n].unchanged = 0
      for (const [key, o] of Object.entries(st.objects)) {
        if (o.kind !== 'Pod' || o.metadata.deletionTimestamp || touched.has(key)) continue
        // only pods a host was seen running (or finishing): not ones still waiting to be started
        const st = (o as {status?: {phase?: string; containerStatuses?: unknown[]}}).status
        if (!st?.containerStatuses && (st?.phase ?? 'Pending') === 'Pending') continue
        const node = (o.spec as {nodeName?: string} | undefined)?.nodeName
        if (node && summary[node]) summary[node].unchanged++
      }
      const failed = new Map([...unreachable, ...failedNodes])
      return {
        exitCode,
        converged,
        commit: desired.commit,
        summary,
        failedNodes: [...failed].sort(([a], [b]) => (a < b ? -1 : 1)).map(([node, error]) => ({node, error})),
        passes,
        state: st,
        ...(message ? {message} : {}),
        warnings: desired.warnings,
      }
    }
    // Writes only what changed since the last write: a poll round that saw nothing new costs no write.
    const writeIfChanged = async () => {
      const text = JSON.stringify({...writer.state, serial: 0})
      if (text === lastWritten) return
      await writer.write()
      lastWritten = text
    }

    for (;;) {
      passes++
      // A node found unreachable earlier in this run gets a short bound, so it does not hold up every polling round.
      const lost = new Set(unreachable.keys())
      const observed: Observed = await observe(nodes, {
        hosts,
        now,
        timeoutMs: opts.hostTimeoutMs,
        timeoutFor: (n) => (lost.has(n) ? Math.min(opts.hostTimeoutMs ?? 30_000, 3_000) : undefined),
        capacities,
        capacityKnown,
        install: !dryRun,
      })
      unreachable = new Map()
      for (const n of Object.values(observed.nodes)) {
        if (!n.reachable) {
          unreachable.set(n.name, n.error ?? 'unreachable')
          emit({type: 'node-unreachable', time: now(), pass: passes, node: n.name, error: n.error ?? 'unreachable'})
        }
      }
      emit({
        type: 'observed',
        time: now(),
        pass: passes,
        nodes: Object.values(observed.nodes).map((n) => ({name: n.name, reachable: n.reachable, pods: n.pods.length, ready: n.pods.filter((p) => p.ready).length, ...(n.error ? {error: n.error} : {})})),
      })
      for (const n of Object.values(observed.nodes)) if (n.arch) archOf.set(n.name, n.arch)
      const input = {desired, state: writer.state, observed, now: now(), options: {prune: opts.prune ?? true, ...(opts.nodeGraceMs !== undefined ? {nodeGraceMs: opts.nodeGraceMs} : {})}}
      let result = reconcile({...input, images: answers.current(writer.state)})
      if (result.imageNeeds.length) {
        // New revisions need digests: look up what the pull policy says to (exit 2/4 before anything is written), then plan again.
        await answers.answer(result.imageNeeds, writer.state)
        result = reconcile({...input, images: answers.current(writer.state)})
      }
      const plan: Plan = passes === 1 && opts.plan ? opts.plan : result.plan

      if (dryRun) {
        // the images a real run would need must resolve (exit 2), as they would before a real run sends anything
        await images.prepare(plan)
        writer.set(result.state)
        emit({type: 'dry-run-plan', time: now(), actions: plan.actions.map(actionRef)})
        const r = finish(unreachable.size ? ExitCode.hosts : ExitCode.ok, plan.actions.length === 0 && result.rollouts.every((x) => x.done))
        return {...r, plan}
      }

      const bad = new Set([...unreachable.keys(), ...failedNodes.keys()])
      const decide = () =>
        decideRound({
          actions: plan.actions,
          rollouts: result.rollouts,
          unreachable: new Set(unreachable.keys()),
          failedNodes: new Set(failedNodes.keys()),
          othersInProgress: bad.size > 0 && inProgress(result.state, bad),
          now: now(),
          deadline,
          stopRequested: opts.shouldStop?.() ?? false,
          pollMs,
        })
      const round = decide()
      const waitingFor = result.rollouts.filter((r) => !r.done).map(describeRollout)
      if (round.kind === 'converged') {
        writer.set({...result.state, appliedCommit: desired.commit})
        await writeIfChanged()
        if (touched.size > 0) await collectImages(hosts, Object.values(observed.nodes).filter((n) => n.reachable).map((n) => n.name), writer.state, images, emit, now)
        emit({type: 'converged', time: now(), passes})
        return finish(round.exitCode, true)
      }
      if (round.kind !== 'execute') {
        writer.set(result.state)
        await writeIfChanged()
        // Decided again with the clock and shouldStop read after the write, as they were before
        // round.ts existed: a slow write cannot stretch the wait past the deadline. The inputs
        // but those two are the same, so only timed-out / stopped / wait can differ.
        const late = decide()
        switch (late.kind) {
          case 'failed':
            emit({type: 'rollout-failed', time: now(), pass: passes, workload: late.workload, message: late.message})
            return finish(late.exitCode, false, late.message)
          case 'settled':
            emit({type: 'settled', time: now(), passes, failedNodes: late.failedNodes})
            return finish(late.exitCode, false, late.message)
          case 'timed-out':
            emit({type: 'timed-out', time: now(), passes, waitingFor: late.waitingFor})
            return finish(late.exitCode, false, late.message)
          case 'stopped':
            emit({type: 'stopped', time: now(), passes})
            return finish(late.exitCode, false, late.message)
          case 'wait':
            emit({type: 'waiting', time: now(), pass: passes, waitingFor: late.waitingFor})
            // Readiness is polled, not slept on: round.ts says how long.
            await sleep(late.sleepMs)
            pollMs = late.nextPollMs
            continue
          default:
            continue // converged / execute do not depend on the clock: not reached
        }
      }
      const actions = round.actions

      // Resolve every image first: a missing image is exit 2 before anything is written or sent.
      await images.prepare({actions})
      writer.set(result.state)
      await writeIfChanged()
      pollMs = POLL_FIRST_MS
      const perNode: Record<string, number> = {}
      for (const a of actions) perNode[a.node] = (perNode[a.node] ?? 0) + 1
      emit({type: 'pass-started', time: now(), pass: passes, actions: actions.length, perNode})
      const pass = passes
      const res = await executePlan({actions}, {
        hosts,
        state: () => writer.state,
        images,
        ...(desired.network ? {network: desired.network} : {}),
        layers,
        concurrency: opts.concurrency,
        skipNodes: failedNodes,
        shouldStop: opts.shouldStop,
        onEvent: (e) => {
          const action = actionRef(e.action)
          if (e.type === 'action-started') emit({type: 'action-started', time: now(), pass, action})
          else if (e.type === 'action-done') emit({type: 'action-done', time: now(), pass, action, result: e.outcome.result ?? 'done', ms: e.outcome.ms})
          else if (e.type === 'action-failed') emit({type: 'action-failed', time: now(), pass, action, error: e.outcome.error ?? 'failed', ms: e.outcome.ms})
          else if (e.type === 'layer-sent') {
            const s = (summary[e.action.node] ??= emptySummary())
            s.layersSent = (s.layersSent ?? 0) + 1
            s.layerBytes = (s.layerBytes ?? 0) + e.bytes
            emit({type: 'layer-sent', time: now(), pass, node: e.action.node, image: e.image, layer: e.diffId, bytes: e.bytes, ms: e.ms})
          }
          else emit({type: 'action-skipped', time: now(), pass, action, why: e.why})
        },
        afterAction: async (a, outcome) => {
          touched.add(a.target)
          const s = (summary[a.node] ??= emptySummary())
          if (!outcome.ok) s.failed++
          else if (a.type === 'create' && outcome.result === 'started') s.created++
          else if (a.type === 'replace') s.replaced++
          else if (a.type === 'delete') s.deleted++
          await writer.write(recordOutcome(writer.state, a, outcome, now()))
        },
      })
      lastWritten = ''
      // An image the sanitizer or the registry refused is the commit's fault, the same on every
      // host: exit 2 with its message (the state, written after each action, says what ran).
      const refused = res.outcomes.find((o) => o.outcome.userError)?.outcome.userError
      if (refused) throw refused
      for (const [n, err] of res.failedNodes) failedNodes.set(n, err)
      const next = afterExecute({stopped: res.stopped || (opts.shouldStop?.() ?? false), now: now(), deadline, waitingFor})
      if (next.kind === 'stopped') {
        emit({type: 'stopped', time: now(), passes})
        return finish(next.exitCode, false, next.message)
      }
      if (next.kind === 'timed-out') {
        emit({type: 'timed-out', time: now(), passes, waitingFor: next.waitingFor})
        return finish(next.exitCode, false, next.message)
      }
    }
  } finally {
    await ownHosts?.close()
    if (lock) await backend.unlock({id: lock.id}).catch(() => {})
  }
}
