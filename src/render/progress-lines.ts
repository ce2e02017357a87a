import type {SyncEvent} from '../sync/events.js'
import type {Palette} from './color.js'
import {escapeControl as u} from './untrusted.js'

const short = (t: string) => u(t.replace(/^Pod\//, ''))

/** `12.0 MiB` for byte counts in progress lines. */
export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MiB`
  return `${(n / (1 << 30)).toFixed(2)} GiB`
}

/** `50.0 MiB in 1.2 s (41.7 MiB/s)` */
function transfer(bytes: number, ms: number): string {
  return `${bytesText(bytes)} in ${(ms / 1000).toFixed(1)} s (${bytesText(Math.round(bytes / Math.max(ms, 1) * 1000))}/s)`
}

/**
 * One plain line per sync event (CI, no TTY, logs): an ISO timestamp, then
 * what happened. Returns undefined for events not worth a line. Every
 * field from outside (commit subject, node and object names, reasons, host
 * errors, probe and exit messages in `waiting`) is escaped before it is
 * coloured: this line is what `sync`, `watch` and the hook's `remote:` lines show.
 */
export function progressLine(e: SyncEvent, p: Palette): string | undefined {
  const ts = p.dim(new Date(e.time).toISOString())
  const at = (s: string) => `${ts} ${s}`
  switch (e.type) {
    case 'sync-started':
      return at(`${e.dryRun ? 'dry run of' : 'sync'} ${u(e.commit.sha.slice(0, 7))} "${u(e.commit.subject)}" to ${e.nodes.length} node(s): ${e.nodes.map(u).join(', ') || '(none)'}`)
    case 'lock-waiting':
      return at(p.warn(`waiting for the state lock: ${u(e.holder)}`))
    case 'observed':
      return at(`pass ${e.pass}: observed ${e.nodes.map((n) => (n.reachable ? `${u(n.name)} ${n.ready}/${n.pods} ready` : `${u(n.name)} unreachable`)).join(', ') || 'no nodes'}`)
    case 'node-unreachable':
      return at(p.remove(`${u(e.node)}: unreachable: ${u(e.error)}`))
    case 'pass-started':
      return at(`pass ${e.pass}: ${e.actions} action(s) (${Object.entries(e.perNode).map(([n, c]) => `${u(n)} ${c}`).join(', ')})`)
    case 'action-started':
      return undefined
    case 'action-done':
      return at(`${u(e.action.node)} ${p.add(e.action.type)} ${short(e.action.target)}${e.result === 'unchanged' ? ' (already running)' : ''} ${p.dim(`${e.ms} ms`)} ${p.dim(`— ${u(e.action.reason)}`)}`)
    case 'action-failed':
      return at(p.remove(`${u(e.action.node)} ${e.action.type} ${short(e.action.target)} FAILED: ${u(e.error)}`))
    case 'action-skipped':
      return at(p.warn(`${u(e.action.node)} ${e.action.type} ${short(e.action.target)} skipped: ${u(e.why)}`))
    case 'image-pulled':
      return at(`pulled ${u(e.image)} layer ${e.layer.slice(7, 19)}: ${transfer(e.bytes, e.ms)}`)
    case 'layer-sent':
      return at(`${u(e.node)} layer ${e.layer.slice(7, 19)} of ${u(e.image)}: ${transfer(e.bytes, e.ms)}`)
    case 'images-collected':
      return at(e.error ? p.warn(`${u(e.node)}: image GC failed: ${u(e.error)}`) : `${u(e.node)}: removed ${e.layers} unused layer(s) (${bytesText(e.kb * 1024)}) and ${e.images} image record(s); store ${bytesText(e.storeKb * 1024)}`)
    case 'waiting':
      return at(`waiting: ${e.waitingFor.map(u).join('; ') || 'pods to become ready'}`)
    case 'converged':
      return at(p.add(`converged after ${e.passes} pass(es)`))
    case 'settled':
      return at(p.warn(`done with ${e.failedNodes.length} node(s) failed or unreachable: ${e.failedNodes.map(u).join(', ')}`))
    case 'rollout-failed':
      return at(p.remove(`${u(e.workload)}: ${u(e.message)}`))
    case 'timed-out':
      return at(p.remove(`timed out: ${e.waitingFor.map(u).join('; ') || 'not converged'}`))
    case 'stopped':
      return at(p.warn('stopped before converging'))
    case 'dry-run-plan':
      return undefined
  }
}
