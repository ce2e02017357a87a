import {formatDiagnostic} from '../errors.js'
import type {DiffResult} from './diff-model.js'
import type {RolloutChange} from './diff-rollouts.js'
import {fieldLine, imagesLine, objectsLine, summaryLine} from './diff-text.js'
import {escapeControl} from './untrusted.js'

/** Escapes a table cell: pipes and newlines would break the row; control characters are shown, not sent (the comment is also printed on a terminal). */
function cell(s: string): string {
  return escapeControl(s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' '))
}

/** Backticks inside inline code would end it. */
function code(s: string): string {
  return cell(s).replace(/`/g, "'")
}

function podCounts(p: RolloutChange['pods']): string {
  const parts = [p.create ? `+${p.create}` : '', p.replace ? `~${p.replace}` : '', p.delete ? `-${p.delete}` : ''].filter(Boolean)
  return parts.length ? parts.join(' ') : '–'
}

function rolloutWords(r: RolloutChange): string {
  return changeWords(r) + (r.images?.length ? `; ${cell(imagesLine(r.images))}` : '')
}

function changeWords(r: RolloutChange): string {
  const reps = r.replicas && r.replicas.from !== r.replicas.to ? ` ${r.replicas.from ?? 0}→${r.replicas.to ?? 0} replicas` : ''
  switch (r.change) {
    case 'create':
      return `new${r.replicas?.to != null ? `, ${r.replicas.to} replicas` : ''}`
    case 'delete':
      return 'removed'
    case 'update':
      return `rollout (${cell(r.templateFields.slice(0, 3).join(', '))}${r.templateFields.length > 3 ? ', …' : ''})${reps ? `,${reps}` : ''}`
    case 'scale':
      return `scale${reps}`
    default:
      return 'pods move'
  }
}

/**
 * `tsctl diff -o markdown`: a PR comment. The summary first (what a reviewer
 * reads), then the workloads that would roll, scale, start or stop and the
 * pods moving per node, object changes in a ```diff block (GitHub colours + and -),
 * placements and the first step in tables, long parts folded in <details>.
 */
export function renderDiffMarkdown(d: DiffResult): string {
  const out: string[] = []
  const m = d.merge
  if (m) {
    out.push(`### tsctl diff: merging \`${code(m.head.ref)}\` (\`${m.head.sha.slice(0, 7)}\` ${cell(m.head.subject)}) into \`${code(m.base.ref)}\` (\`${m.base.sha.slice(0, 7)}\`)`)
  } else out.push(`### tsctl diff: \`${d.commit.sha.slice(0, 7)}\` ${cell(d.commit.subject)}`)
  out.push('')
  out.push(`**${summaryLine(d)}** ${objectsLine(d)}`)
  const from = d.state === undefined ? '' : d.state === null ? ' (no state yet: everything is new)' : ` (serial ${d.state.serial}${d.backend ? `, ${cell(d.backend)}` : ''})`
  if (d.offline) out.push('', `_Offline: planned from the state alone${from}; no host was contacted._`)
  else if (from) out.push('', `_Planned from the state${from}._`)
  if (d.rollouts.length) {
    out.push('', '#### Workloads that would change', '', '| workload | change | strategy | pods |', '|---|---|---|---|')
    for (const r of d.rollouts) out.push(`| ${cell(r.workload)} | ${rolloutWords(r)} | ${cell(r.strategy ?? '')} | ${podCounts(r.pods)} |`)
  }
  if (d.nodes.some((n) => n.create + n.replace + n.delete > 0)) {
    out.push('', '#### Pods per node', '', '| node | new | replaced | stopped | unchanged |', '|---|---:|---:|---:|---:|')
    for (const n of d.nodes) out.push(`| ${cell(n.node)} | ${n.create} | ${n.replace} | ${n.delete} | ${n.unchanged} |`)
  }
  if (d.warnings.length) {
    out.push('')
    for (const w of d.warnings) out.push(`> ${formatDiagnostic(w)}`)
  }
  if (d.objects.length) {
    out.push('', '<details open><summary>Objects</summary>', '', '```diff')
    for (const o of d.objects) {
      const sign = o.change === 'add' ? '+' : o.change === 'remove' ? '-' : '!'
      out.push(escapeControl(`${sign} ${o.key}${o.source ? `  (${o.source.file}:${o.source.line})` : ''}`))
      for (const f of o.fields) {
        const line = fieldLine(f)
        out.push(`${line[0] === '~' ? '!' : line[0]}     ${line.slice(2)}`)
      }
    }
    out.push('```', '', '</details>')
  }
  if (d.placements.length || d.pending.length) {
    out.push('', '<details><summary>Placements (end state)</summary>', '', '| node | pod | owner | change |', '|---|---|---|---|')
    for (const n of d.placements) for (const p of n.pods) out.push(`| ${cell(n.node)} | ${cell(`${p.namespace}/${p.name}`)} | ${cell(p.owner ?? '')} | ${p.status} |`)
    for (const p of d.pending) out.push(`| _pending_ | ${cell(`${p.namespace}/${p.name}`)} | ${cell(p.owner ?? '')} | ${cell(p.reason)} |`)
    out.push('', '</details>')
  }
  if (d.actions.length) {
    out.push('', '<details><summary>First step</summary>', '', '| action | pod | node | reason |', '|---|---|---|---|')
    for (const a of d.actions) out.push(`| ${a.type} | ${cell(a.target)} | ${cell(a.node)} | ${cell(a.reason)} |`)
    out.push('', '</details>')
  }
  const e = d.endState
  out.push('', `End state: ${e.converged ? 'converges' : '**does not fully converge**'}${e.steps !== null ? ` after ${e.steps} pass${e.steps === 1 ? '' : 'es'}` : ''}.`)
  for (const s of e.stuck) out.push(`- ${cell(s)}`)
  return out.join('\n') + '\n'
}
