import type {SyncResult} from '../sync/sync.js'
import type {Palette} from './color.js'
import {renderTable} from './table.js'
import {escapeControl as u} from './untrusted.js'

const outcome: Record<number, string> = {
  0: 'converged',
  4: 'not every host was applied',
  5: 'did not converge',
}

/**
 * The final summary of a sync: one row per host (created, replaced,
 * deleted, unchanged, failed), the hosts that failed with their error, and
 * one result line naming the commit and the exit code.
 */
export function renderSyncSummary(r: SyncResult, p: Palette): string {
  const rows = Object.keys(r.summary)
    .sort()
    .map((n) => {
      const s = r.summary[n]
      return [u(n), String(s.created), String(s.replaced), String(s.deleted), String(s.unchanged), s.failed ? p.remove(String(s.failed)) : '0']
    })
  let out = rows.length ? renderTable(['NODE', 'CREATED', 'REPLACED', 'DELETED', 'UNCHANGED', 'FAILED'], rows) : 'No nodes in this commit.\n'
  for (const f of r.failedNodes) out += p.remove(`${u(f.node)}: ${u(f.error)}`) + '\n'
  const what = `${u(r.commit.sha.slice(0, 7))} "${u(r.commit.subject)}"`
  const line = r.converged
    ? p.add(`${what}: converged after ${r.passes} pass(es).`)
    : `${what}: ${outcome[r.exitCode] ?? 'failed'}${r.message ? ` (${u(r.message)})` : ''} — exit ${r.exitCode}.`
  return out + (r.converged ? line : r.exitCode === 4 ? p.warn(line) : p.remove(line)) + '\n'
}

/** The plan a dry run would execute first, one action per line, grouped by node. */
export function renderDryRunPlan(r: SyncResult, p: Palette): string {
  const actions = r.plan?.actions ?? []
  if (!actions.length) return `No changes: ${u(r.commit.sha.slice(0, 7))} "${u(r.commit.subject)}" is what the hosts run.\n`
  const sign = {create: p.add('+'), delete: p.remove('-'), replace: p.change('~'), updateFiles: p.change('~'), deleteClaim: p.remove('-'), network: p.change('~')}
  let out = `Plan (first step) for ${u(r.commit.sha.slice(0, 7))} "${u(r.commit.subject)}":\n`
  let node = ''
  for (const a of actions) {
    if (a.node !== node) out += `${p.bold(u(a.node))}:\n`
    node = a.node
    out += `  ${sign[a.type]} ${a.type} ${u(a.target)}  ${p.dim(`(${u(a.reason)})`)}\n`
  }
  const count = (t: string) => actions.filter((a) => a.type === t).length
  out += `Dry run: ${count('create')} to create, ${count('replace')} to replace, ${count('delete')} to delete, ${count('updateFiles')} to update in place${count('network') ? `, ${count('network')} node network(s) to configure` : ''}; nothing was changed.\n`
  return out
}
