import type {LockInfo} from '../state/backend.js'
import type {State} from '../state/model.js'
import {renderTable} from './table.js'
import {escapeControl as u} from './untrusted.js'

/** `tsctl state show` as text: where, which serial and lineage, what was applied, who holds the lock, what is inside. */
export function renderStateSummary(backend: string, state: State | null, lock: LockInfo | null): string {
  const lines: string[] = [`Backend:   ${u(backend)}`]
  lines.push(`Lock:      ${lock ? `held: "${u(lock.operation)}" by ${u(lock.holder)} (pid ${lock.pid} on ${u(lock.host)}) since ${u(lock.created)}, id ${u(lock.id)}${lock.commit ? `, applying ${u(lock.commit.slice(0, 12))}` : ''}${lock.expires ? `, expires ${u(lock.expires)}` : ''}` : 'none'}`)
  if (!state) {
    lines.push('State:     none yet (the first `tsctl sync` creates it)')
    return lines.join('\n') + '\n'
  }
  const c = state.appliedCommit
  lines.push(`Version:   ${state.version}`, `Serial:    ${state.serial}`, `Lineage:   ${u(state.lineage)}`)
  lines.push(`Applied:   ${c ? u(`${c.sha.slice(0, 7)} ${JSON.stringify(c.subject)} (${c.author}, ${c.date})`) : 'nothing yet'}`)
  const nodes = Object.values(state.nodes).sort((a, b) => (a.name < b.name ? -1 : 1))
  lines.push(`Nodes:     ${nodes.length ? nodes.map((n) => `${u(n.name)} (${n.ready ? 'ready' : 'not ready'})`).join(', ') : 'none observed'}`)
  const counts = new Map<string, number>()
  for (const o of Object.values(state.objects)) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1)
  lines.push(`Objects:   ${Object.keys(state.objects).length}${counts.size ? ` (${[...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${n} ${u(k)}`).join(', ')})` : ''}`)
  lines.push(`Events:    ${state.events.length}`)
  const keys = Object.keys(state.objects).sort()
  if (keys.length) {
    lines.push('')
    const rows = keys.map((k) => {
      const o = state.objects[k]!
      return [o.kind, o.metadata.namespace ?? '', o.metadata.name, (o.spec as {nodeName?: string} | undefined)?.nodeName ?? ''].map(u)
    })
    lines.push(renderTable(['KIND', 'NAMESPACE', 'NAME', 'NODE'], rows).trimEnd())
  }
  return lines.join('\n') + '\n'
}
