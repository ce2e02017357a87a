import type {SyncEvent} from '../sync/events.js'
import type {Palette} from './color.js'

const short = (t: string) => t.replace(/^Pod\//, '')

/**
 * One plain line per sync event (CI, no TTY, logs): an ISO timestamp, then
 * what happened. Returns undefined for events not worth a line.
 */
export function progressLine(e: SyncEvent, p: Palette): string | undefined {
  const ts = p.dim(new Date(e.time).toISOString())
  const at = (s: string) => `${ts} ${s}`
  switch (e.type) {
    case 'sync-started':
      return at(`${e.dryRun ? 'dry run of' : 'sync'} ${e.commit.sha.slice(0, 7)} "${e.commit.subject}" to ${e.nodes.length} node(s): ${e.nodes.join(', ') || '(none)'}`)
    case 'lock-waiting':
      return at(p.warn(`waiting for the state lock: ${e.holder}`))
    case 'observed':
      return at(`pass ${e.pass}: observed ${e.nodes.map((n) => (n.reachable ? `${n.name} ${n.ready}/${n.pods} ready` : `${n.name} unreachable`)).join(', ') || 'no nodes'}`)
    case 'node-unreachable':
      return at(p.remove(`${e.node}: unreachable: ${e.error}`))
    case 'pass-started':
      return at(`pass ${e.pass}: ${e.actions} action(s) (${Object.entries(e.perNode).map(([n, c]) => `${n} ${c}`).join(', ')})`)
    case 'action-started':
      return undefined
    case 'action-done':
      return at(`${e.action.node} ${p.add(e.action.type)} ${short(e.action.target)}${e.result === 'unchanged' ? ' (already running)' : ''} ${p.dim(`${e.ms} ms`)} ${p.dim(`— ${e.action.reason}`)}`)
    case 'action-failed':
      return at(p.remove(`${e.action.node} ${e.action.type} ${short(e.action.target)} FAILED: ${e.error}`))
    case 'action-skipped':
      return at(p.warn(`${e.action.node} ${e.action.type} ${short(e.action.target)} skipped: ${e.why}`))
    case 'waiting':
      return at(`waiting: ${e.waitingFor.join('; ') || 'pods to become ready'}`)
    case 'converged':
      return at(p.add(`converged after ${e.passes} pass(es)`))
    case 'settled':
      return at(p.warn(`done with ${e.failedNodes.length} node(s) failed or unreachable: ${e.failedNodes.join(', ')}`))
    case 'rollout-failed':
      return at(p.remove(`${e.workload}: ${e.message}`))
    case 'timed-out':
      return at(p.remove(`timed out: ${e.waitingFor.join('; ') || 'not converged'}`))
    case 'stopped':
      return at(p.warn('stopped before converging'))
    case 'dry-run-plan':
      return undefined
  }
}
