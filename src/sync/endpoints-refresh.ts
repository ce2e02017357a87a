/**
 * The endpoints-only refresh of `tsctl watch` (docs/networking.md,
 * "Readiness across hosts"): between commits, every `--endpoints-interval`,
 * the other hosts learn that a pod turned (un)ready. There is no control
 * plane to tell them, so the pass is made cheap instead:
 *
 *   observe every node (one `status` each) → read the state → reconcile (pure)
 *   → nothing but the plan's `network` actions → none: done (no lock, no write)
 *   → lock → read and reconcile again → net-apply → record (record.ts) → write → unlock
 *
 * Pod actions of the plan are never run: they belong to a sync pass of a
 * commit. What is written is the stored state with the reconciled Endpoints,
 * the observed status of the pods it already holds (the same incarnation)
 * and what the network actions recorded; every other decision of that
 * reconcile (new pods, evictions, rollouts, their events) is left to the
 * next sync, which makes it again from its own observation.
 */
import {LockedError} from '../errors.js'
import type {Desired} from '../manifests/desired.js'
import type {KubeObject} from '../manifests/object.js'
import {nodesToObserve} from '../reconcile/lifecycle.js'
import {reconcile, type ReconcileOptions} from '../reconcile/reconcile.js'
import type {Observed} from '../reconcile/observed.js'
import type {Action} from '../reconcile/plan.js'
import type {StateBackend} from '../state/backend.js'
import type {State} from '../state/model.js'
import {sshOptionsFromEnv} from '../transport/index.js'
import {executePlan} from './executor/executor.js'
import {Hosts, type HostsOptions} from './executor/hosts.js'
import {ImageResolver} from './executor/images.js'
import {ImageAnswers} from './image-answers.js'
import {observe, type NodeCapacity} from './observe.js'
import {recordOutcome} from './record.js'
import {StateWriter} from './state-writer.js'

export interface EndpointsRefreshOptions {
  /** the manifests repository (the commit's desired state is read from it, once per commit) */
  repo: string
  backend: StateBackend
  /** runtime root on every host (default /var/lib/tsctl) */
  root?: string
  /** hosts worked on at once (default 32) */
  concurrency?: number
  prune?: boolean
  nodeGraceMs?: number
  /** per host: observing past this counts the node unreachable for this refresh (default 5 000; 2 000 for one unreachable last time) */
  hostTimeoutMs?: number
  /** the lock's operation name (default `tsctl watch (endpoints refresh)`) */
  operation?: string
  transport?: Omit<HostsOptions, 'root' | 'concurrency'>
  now?: () => number
}

/** What one refresh did. */
export interface EndpointsRefreshResult {
  /** nodes whose network files were replaced, with the new hash */
  changed: {node: string; hash: string}[]
  /** nodes whose `net-apply` failed */
  failed: {node: string; error: string}[]
  /** from the first `status` call to the last rules applied (or to the decision that none were needed) */
  ms: number
  /** nothing was tried: `locked` (another operation holds the state: the next refresh tries again), `no-network` (no `network:`), `no-state` */
  skipped?: 'locked' | 'no-network' | 'no-state'
  /** the state was written (something changed) */
  wrote: boolean
}

/**
 * One reusable refresher per watch: it keeps its SSH connections (Hosts),
 * the commit's desired state and the detected capacities between runs.
 * `run` never throws for a host problem (unreachable nodes are skipped,
 * failed `net-apply`s are in the result); it throws for what the loop
 * reports as an error (the commit cannot be read, the state backend fails).
 * Not re-entrant: the watch loop calls it between passes, one at a time.
 */
export class EndpointsRefresh {
  readonly #o: EndpointsRefreshOptions
  #hosts?: Hosts
  #desired?: {ref: string; desired: Desired; answers: ImageAnswers}
  /** the Nodes the Hosts were made for */
  #nodesKey = ''
  readonly #capacities = new Map<string, NodeCapacity>()
  /** nodes not answering the last refresh: a short bound next time */
  #lost = new Set<string>()
  /** node → `hash error` of a failure already recorded: a host failing every refresh is recorded once */
  readonly #failedBefore = new Map<string, string>()

  constructor(opts: EndpointsRefreshOptions) {
    this.#o = opts
  }

  async run(opts: {ref: string; shouldStop?: () => boolean}): Promise<EndpointsRefreshResult> {
    const now = this.#o.now ?? Date.now
    const t0 = performance.now()
    const elapsed = () => Math.round(performance.now() - t0)
    const {desired, answers} = await this.#load(opts.ref)
    const plan = (state: State, observed: Observed) =>
      refreshPlan({desired, state, observed, now: now(), images: answers.current(state), options: {prune: this.#o.prune ?? true, ...(this.#o.nodeGraceMs !== undefined ? {nodeGraceMs: this.#o.nodeGraceMs} : {})}})
    const none = (skipped?: EndpointsRefreshResult['skipped']): EndpointsRefreshResult => ({changed: [], failed: [], ms: elapsed(), wrote: false, ...(skipped ? {skipped} : {})})
    if (!desired.network) return none('no-network')
    const stored = await this.#o.backend.read()
    if (!stored) return none('no-state')
    const nodes = nodesToObserve(desired.objects.map((d) => d.object), stored)
    const hosts = await this.#hostsFor(nodes)
    const observed = await this.#observe(nodes, hosts, stored, now)
    if (plan(stored, observed).actions.length === 0) return none()
    if (opts.shouldStop?.()) return none()

    let lock
    try {
      lock = await this.#o.backend.lock(this.#o.operation ?? 'tsctl watch (endpoints refresh)', {commit: opts.ref})
    } catch (e) {
      if (e instanceof LockedError) return none('locked')
      throw e
    }
    try {
      // the state may have moved between the first read and the lock (another tsctl's sync)
      const current = (await this.#o.backend.read()) ?? stored
      const {actions, state} = plan(current, observed)
      if (actions.length === 0) return none()
      const writer = new StateWriter(this.#o.backend, state, current)
      const changed: EndpointsRefreshResult['changed'] = []
      const failed: EndpointsRefreshResult['failed'] = []
      let wrote = false
      await executePlan({actions}, {
        hosts,
        state: () => writer.state,
        // a network action sends no image; the executor's contract asks for a resolver all the same
        images: new ImageResolver(this.#o.repo),
        network: desired.network,
        concurrency: this.#o.concurrency,
        shouldStop: opts.shouldStop,
        afterAction: async (a, outcome) => {
          if (a.type !== 'network') return
          if (outcome.ok) {
            changed.push({node: a.node, hash: a.hash})
            this.#failedBefore.delete(a.node)
          } else {
            failed.push({node: a.node, error: outcome.error ?? 'failed'})
            const key = `${a.hash} ${outcome.error ?? ''}`
            if (this.#failedBefore.get(a.node) === key) return
            this.#failedBefore.set(a.node, key)
          }
          await writer.write(recordOutcome(writer.state, a, outcome, now()))
          wrote = true
        },
      })
      return {changed: changed.sort(byNode), failed: failed.sort(byNode), ms: elapsed(), wrote}
    } finally {
      await this.#o.backend.unlock({id: lock.id}).catch(() => {})
    }
  }

  async close(): Promise<void> {
    await this.#hosts?.close()
    this.#hosts = undefined
  }

  async #load(ref: string): Promise<{desired: Desired; answers: ImageAnswers}> {
    if (this.#desired?.ref !== ref) {
      const {loadDesired} = await import('../manifests/load.js')
      const desired = await loadDesired({repo: this.#o.repo, ref, secrets: 'require'})
      this.#desired = {ref, desired, answers: new ImageAnswers(new ImageResolver(this.#o.repo), desired)}
    }
    return this.#desired
  }

  async #hostsFor(nodes: KubeObject[]): Promise<Hosts> {
    const key = JSON.stringify(nodes.map((n) => [n.metadata.name, n.spec]))
    if (!this.#hosts) this.#hosts = new Hosts(nodes, {...(this.#o.transport ?? {ssh: sshOptionsFromEnv()}), root: this.#o.root, concurrency: this.#o.concurrency})
    else if (this.#nodesKey !== key) await this.#hosts.setNodes(nodes)
    this.#nodesKey = key
    this.#hosts.check()
    return this.#hosts
  }

  async #observe(nodes: KubeObject[], hosts: Hosts, stored: State, now: () => number): Promise<Observed> {
    const bound = this.#o.hostTimeoutMs ?? 5_000
    const lost = this.#lost
    const observed = await observe(nodes, {
      hosts,
      now,
      timeoutMs: bound,
      timeoutFor: (n) => (lost.has(n) ? Math.min(bound, 2_000) : undefined),
      capacities: this.#capacities,
      capacityKnown: (name) => {
        const spec = (nodes.find((x) => x.metadata.name === name)?.spec as {capacity?: Record<string, unknown>} | undefined)?.capacity ?? {}
        return (spec.cpu !== undefined && spec.memory !== undefined) || !!stored.nodes[name]?.capacity
      },
    })
    this.#lost = new Set(Object.values(observed.nodes).filter((n) => !n.reachable).map((n) => n.name))
    return observed
  }
}

function byNode<T extends {node: string}>(a: T, b: T): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0
}

type NetworkAction = Extract<Action, {type: 'network'}>

/**
 * Reconcile (pure), keeping only what a refresh may act on: the plan's
 * network actions, and the state to record them in (refreshState). IMAGES
 * are the pins already in the state: no registry tag is looked up (a new
 * revision is a sync's business).
 */
export function refreshPlan(input: {desired: Desired; state: State; observed: Observed; now: number; images: Record<string, string>; options?: ReconcileOptions}): {actions: NetworkAction[]; state: State} {
  const result = reconcile(input)
  const actions = result.plan.actions.filter((a): a is NetworkAction => a.type === 'network')
  return {actions, state: refreshState(input.state, result.state)}
}

/**
 * STORED with what a refresh may change taken from RECONCILED: every
 * Endpoints object (added, replaced or gone) and the status of each Pod both
 * hold as the same incarnation (uid). Nothing else: pods reconcile would add
 * or evict, rollouts and their events wait for a sync.
 */
export function refreshState(stored: State, reconciled: State): State {
  const objects: State['objects'] = {}
  for (const [k, o] of Object.entries(stored.objects)) if (o.kind !== 'Endpoints') objects[k] = o
  for (const [k, o] of Object.entries(reconciled.objects)) {
    if (o.kind === 'Endpoints') objects[k] = o
    else if (o.kind === 'Pod') {
      const s = objects[k]
      const status = (o as {status?: unknown}).status
      if (s && s.metadata.uid === o.metadata.uid && status !== undefined) objects[k] = {...s, status} as KubeObject
    }
  }
  const sorted: State['objects'] = {}
  for (const k of Object.keys(objects).sort()) sorted[k] = objects[k]
  return {...stored, objects: sorted}
}
