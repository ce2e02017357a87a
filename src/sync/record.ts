import type {KubeObject} from '../manifests/object.js'
import type {ActionOutcome} from './executor/executor.js'
import type {Action} from '../reconcile/plan.js'
import type {State, StateEvent} from '../state/model.js'

/** The newest events kept in the state (as reconcile keeps them). */
const MAX_EVENTS = 1000

function event(state: State, e: StateEvent): void {
  state.events.push(e)
  if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS)
}

/**
 * Records what an action did in the live state, Kubernetes-style: events
 * (Pulled, Created, Killing, … and Failed* with the host's error) that
 * `tsctl describe` shows, and for a started pod the PodScheduled condition
 * and phase Pending until the next observation brings the host's status.
 * Observed status stays the truth: the next round's observation overwrites
 * what is recorded here.
 *
 * Returns the keys of the objects it may have changed, for StateWriter's
 * hint: only the action's target (events and nodes are not objects and are
 * written whole every time).
 */
export function recordOutcome(state: State, a: Action, outcome: ActionOutcome, now: number): readonly string[] {
  record(state, a, outcome, now)
  return [a.target]
}

function record(state: State, a: Action, outcome: ActionOutcome, now: number): void {
  const time = new Date(now).toISOString()
  const add = (type: StateEvent['type'], reason: string, message: string) => event(state, {time, type, reason, object: a.target, message})
  if (!outcome.ok) {
    const reason = {create: 'FailedCreate', replace: 'FailedCreate', delete: 'FailedKill', updateFiles: 'FailedUpdate', deleteClaim: 'FailedDelete', network: 'FailedConfigureNetwork'}[a.type]
    add('Warning', reason, `${a.node}: ${outcome.error ?? 'failed'}`)
    return
  }
  switch (a.type) {
    case 'create':
    case 'replace': {
      if (outcome.layersSent?.length) add('Normal', 'Pulled', `sent ${outcome.layersSent.length} image layer(s) to ${a.node}`)
      if (a.type === 'replace') add('Normal', 'Killing', `stopped the previous incarnation (${a.oldUid}) on ${a.node}`)
      if (outcome.result === 'unchanged') {
        add('Normal', 'Started', `already running on ${a.node} (spec ${a.specHash.slice(0, 8)})`)
        break
      }
      add('Normal', 'Started', `started on ${a.node} (spec ${a.specHash.slice(0, 8)})`)
      const pod = state.objects[a.target] as (KubeObject & {status?: {phase?: string; conditions?: {type: string; status: string; lastTransitionTime?: string}[]}}) | undefined
      if (pod && pod.metadata.uid === a.pod.metadata.uid) {
        const status = (pod.status ??= {})
        status.phase ??= 'Pending'
        const conds = (status.conditions ??= [])
        if (!conds.some((c) => c.type === 'PodScheduled')) conds.push({type: 'PodScheduled', status: 'True', lastTransitionTime: time})
      }
      break
    }
    case 'delete':
      add('Normal', 'Killing', `stopped and removed from ${a.node} (grace ${a.gracePeriodSeconds}s): ${a.reason}`)
      break
    case 'updateFiles':
      add('Normal', 'Updated', `${a.source.kind} ${a.source.name}: files of volume ${a.volume} swapped on ${a.node}`)
      break
    case 'deleteClaim':
      add('Normal', 'Deleted', `claim directory removed from ${a.node}`)
      break
    case 'network':
      add('Normal', 'NetworkConfigured', `pod network files ${a.hash.slice(0, 8)} applied on ${a.node}`)
      if (state.nodes[a.node]) state.nodes[a.node].netHash = a.hash
      break
  }
}
