import {formatDiagnostic} from '../errors.js'
import type {DiffResult} from './diff-model.js'
import {fieldLine, objectsLine, summaryLine} from './diff-text.js'

/** Escapes a table cell: pipes and newlines would break the row. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

/**
 * `tsctl diff -o markdown`: a PR comment. The summary first (what a reviewer
 * reads), object changes in a ```diff block (GitHub colours + and -),
 * placements and the first step in tables, long parts folded in <details>.
 */
export function renderDiffMarkdown(d: DiffResult): string {
  const out: string[] = []
  out.push(`### tsctl diff: \`${d.commit.sha.slice(0, 7)}\` ${cell(d.commit.subject)}`)
  out.push('')
  out.push(`**${summaryLine(d)}** ${objectsLine(d)}`)
  if (d.offline) out.push('', '_Offline: planned from the state alone; no host was contacted._')
  if (d.warnings.length) {
    out.push('')
    for (const w of d.warnings) out.push(`> ${formatDiagnostic(w)}`)
  }
  if (d.objects.length) {
    out.push('', '<details open><summary>Objects</summary>', '', '```diff')
    for (const o of d.objects) {
      const sign = o.change === 'add' ? '+' : o.change === 'remove' ? '-' : '!'
      out.push(`${sign} ${o.key}${o.source ? `  (${o.source.file}:${o.source.line})` : ''}`)
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
