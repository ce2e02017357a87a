import {HostError, UserError} from '../../errors.js'
import type {KubeObject} from '../../manifests/object.js'
import type {Action, Plan} from '../../reconcile/plan.js'
import type {State} from '../../state/model.js'
import {bundleTar} from '../../host/bundle/bundle-tar.js'
import {claimDirName, volumeFiles} from '../../host/bundle/pod-bundle.js'
import type {Volume} from '../../host/bundle/pod-spec.js'
import {ensureLayers, LayerCache} from '../../images/ensure-layers.js'
import {compilePod, configSources} from './bundle.js'
import type {RuntimeClient} from '../../host/runtime-client.js'
import type {ImageResolver} from './images.js'
import type {NetworkConfig} from '../../net/config.js'

/** What became of one action. */
export interface ActionOutcome {
  ok: boolean
  /** apply's answer for create/replace (`unchanged`: that spec hash already ran there) */
  result?: 'started' | 'unchanged' | 'done'
  /** layers sent to the host for this action (diff_ids) */
  layersSent?: string[]
  error?: string
  /**
   * The failure was the input's, not the host's (a layer the sanitizer
   * refuses, an image that cannot be had): every host would refuse it, so
   * the sync ends with this error (exit 2) instead of counting a host failure.
   */
  userError?: UserError
  ms: number
}

/** Progress of the executor, for the caller's events. */
export type ExecutorEvent =
  | {type: 'action-started'; action: Action}
  | {type: 'action-done'; action: Action; outcome: ActionOutcome}
  | {type: 'action-failed'; action: Action; outcome: ActionOutcome}
  | {type: 'action-skipped'; action: Action; why: string}
  /** a layer streamed to the action's node (bytes of the sanitized tar) */
  | {type: 'layer-sent'; action: Action; image: string; diffId: string; bytes: number; ms: number}

export interface ExecuteOptions {
  /** a RuntimeClient per node (Hosts; tests pass clients over a recording transport) */
  hosts: {client(node: string): RuntimeClient}
  /** the state the plan was made with (read at each action: ConfigMaps, Secrets, pods) */
  state: () => State
  images: ImageResolver
  /** `network:` of the commit: pods get their IP, resolver and Service variables (docs/networking.md) */
  network?: NetworkConfig
  /** opened layer streams shared by all hosts (and rounds) of the run */
  layers?: LayerCache
  /** nodes worked on at once (default 32) */
  concurrency?: number
  /** per action; default 120 s plus the pod's grace period */
  actionTimeoutMs?: number
  /** nodes not to touch (they failed earlier in the run) */
  skipNodes?: {has(node: string): boolean}
  onEvent?: (e: ExecutorEvent) => void
  /**
   * Called after each action, before the node's next one; the caller records
   * it in the state and writes the state. Awaited, so a kill -9 leaves a
   * state that says at most one action less than the hosts did.
   */
  afterAction?: (action: Action, outcome: ActionOutcome) => Promise<void>
  /** checked before each action: true stops starting new ones */
  shouldStop?: () => boolean
}

export interface ExecuteResult {
  outcomes: {action: Action; outcome: ActionOutcome}[]
  /** node → the error that stopped its remaining actions */
  failedNodes: Map<string, string>
  /** shouldStop said so before every action ran */
  stopped: boolean
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${Math.round(ms / 1000)} s`)), ms)
  })
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

/** Runs FN over ITEMS with at most N at once. */
async function bounded<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await fn(items[next++])
  }
  await Promise.all(Array.from({length: Math.min(Math.max(1, n), items.length)}, worker))
}

function errorText(e: unknown, node: string): string {
  const m = e instanceof Error ? e.message : String(e)
  return e instanceof HostError ? m.replace(`${node}: `, '') : m
}

/**
 * Runs exactly PLAN (Terraform's rule: nothing is re-decided here). Actions
 * of one node run in the plan's order; nodes run in parallel, at most
 * `concurrency` at once. Every delete of the plan runs before any other
 * action (on any node), so a pod moving between hosts never has both copies
 * running beyond what maxSurge allowed. A failing action stops that node's
 * remaining actions, not the other nodes'. Never throws for a host problem:
 * failures are in the result.
 *
 * - create/replace: resolve the images (ImageResolver), send the layers the
 *   host lacks (one `layer-has`, then `layer-add` each; a LayerCache shared
 *   by all hosts opens each layer once), compile the bundle with the
 *   ConfigMaps/Secrets of the state, `apply`. A replace removes the old
 *   incarnation (grace period) only once the new one's layers are there.
 * - delete: `remove` (preStop, SIGTERM, grace, SIGKILL, then files).
 * - updateFiles: the volume's files from the state, atomic swap on the host.
 * - deleteClaim: `remove-claim`.
 * - network: `net-apply` with the node's network files (docs/networking.md).
 */
export async function executePlan(plan: Plan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const layers = opts.layers ?? new LayerCache()
  const outcomes: ExecuteResult['outcomes'] = []
  const failedNodes = new Map<string, string>()
  let stopped = false
  const byNode = new Map<string, Action[]>()
  for (const a of plan.actions) {
    const list = byNode.get(a.node) ?? []
    list.push(a)
    byNode.set(a.node, list)
  }
  const nodes = [...byNode.keys()].sort()

  const runOne = async (a: Action): Promise<void> => {
    if (failedNodes.has(a.node) || opts.skipNodes?.has(a.node)) {
      opts.onEvent?.({type: 'action-skipped', action: a, why: `node ${a.node} failed: ${failedNodes.get(a.node) ?? 'earlier in this sync'}`})
      return
    }
    if (opts.shouldStop?.()) {
      stopped = true
      opts.onEvent?.({type: 'action-skipped', action: a, why: 'sync stopped'})
      return
    }
    opts.onEvent?.({type: 'action-started', action: a})
    const t0 = Date.now()
    let outcome: ActionOutcome
    try {
      const grace = a.type === 'delete' || a.type === 'replace' ? a.gracePeriodSeconds : 0
      const r = await timeout(runAction(a, opts, layers), opts.actionTimeoutMs ?? 120_000 + grace * 1000, `${a.type} ${a.target} on ${a.node}`)
      outcome = {ok: true, ...r, ms: Date.now() - t0}
    } catch (e) {
      outcome = {ok: false, error: errorText(e, a.node), ...(e instanceof UserError ? {userError: e} : {}), ms: Date.now() - t0}
      failedNodes.set(a.node, outcome.error!)
    }
    outcomes.push({action: a, outcome})
    opts.onEvent?.(outcome.ok ? {type: 'action-done', action: a, outcome} : {type: 'action-failed', action: a, outcome})
    await opts.afterAction?.(a, outcome)
  }

  const concurrency = opts.concurrency ?? 32
  // Phase 1: network files (a stopping pod leaves the Service rules before it stops) and
  // every delete; phase 2: the rest, each node in plan order.
  const first = (a: Action) => a.type === 'network' || a.type === 'delete'
  await bounded(nodes, concurrency, async (n) => {
    for (const a of byNode.get(n)!) if (first(a)) await runOne(a)
  })
  await bounded(nodes, concurrency, async (n) => {
    for (const a of byNode.get(n)!) if (!first(a)) await runOne(a)
  })
  return {outcomes, failedNodes, stopped}
}

async function runAction(a: Action, opts: ExecuteOptions, layers: LayerCache): Promise<Omit<ActionOutcome, 'ok' | 'ms'>> {
  const client = opts.hosts.client(a.node)
  switch (a.type) {
    case 'create':
    case 'replace': {
      const sent: string[] = []
      for (const img of await opts.images.forPod(a.pod, a.node)) {
        sent.push(...(await ensureLayers(client, img, layers, (s) => opts.onEvent?.({type: 'layer-sent', action: a, image: img.ref, ...s}))))
      }
      const state = opts.state()
      const tar = await bundleTar(compilePod(a.pod, a.node, a.specHash, state, opts.images, opts.network))
      if (a.type === 'replace' && a.oldUid !== a.pod.metadata.uid) await client.remove(a.oldUid, a.gracePeriodSeconds)
      const result = await client.apply(a.pod.metadata.uid!, tar)
      return {result, layersSent: sent}
    }
    case 'delete':
      await client.remove(a.uid, a.gracePeriodSeconds)
      return {result: 'done'}
    case 'updateFiles': {
      const state = opts.state()
      const pod = state.objects[a.target] as KubeObject | undefined
      if (!pod) throw new Error(`${a.target} is not in the state`)
      const vol = ((pod.spec as {volumes?: Volume[]}).volumes ?? []).find((v) => v.name === a.volume)
      if (!vol) throw new Error(`${a.target} has no volume ${a.volume}`)
      const ns = pod.metadata.namespace ?? 'default'
      const fv = volumeFiles(vol, {pod, ...configSources(state.objects, ns)})
      if (!fv) throw new Error(`volume ${a.volume} of ${a.target} is not a ConfigMap/Secret volume`)
      await client.updateFiles(a.uid, a.volume, a.contentHash, fv.files)
      return {result: 'done'}
    }
    case 'deleteClaim': {
      const ns = a.target.split('/')[1] ?? 'default'
      await client.removeClaim(claimDirName(ns, a.claim))
      return {result: 'done'}
    }
    case 'network':
      await client.netApply(a.hash, new Map(Object.entries(a.files)))
      return {result: 'done'}
  }
}
