import {formatDiagnostic} from '../errors.js'
import type {Palette} from './color.js'
import type {DiffResult} from './diff-model.js'
import {type PinnedImage, carriesDigest, shortDigest} from './images.js'
import type {FieldChange} from './object-diff.js'
import {escapeControl as u} from './untrusted.js'

/** `Plan: 7 to create, 2 to replace, 1 to delete, 3 unchanged.` */
export function summaryLine(d: DiffResult): string {
  const s = d.summary
  return `Plan: ${s.create} to create, ${s.replace} to replace, ${s.delete} to delete, ${s.unchanged} unchanged.`
}

export function objectsLine(d: DiffResult): string {
  const s = d.summary
  return `Objects: ${s.objectsAdded} to add, ${s.objectsChanged} to change, ${s.objectsRemoved} to remove.`
}

/** A value on one line: strings quoted, objects as compact JSON, long values shortened. */
export function inline(v: unknown): string {
  const s = typeof v === 'string' && v === '(sensitive)' ? v : JSON.stringify(v)
  return s.length > 120 ? s.slice(0, 117) + '...' : s
}

/** One changed field; the path holds keys from the manifests and JSON.stringify leaves DEL, C1 and bidi characters raw: escaped. */
export function fieldLine(c: FieldChange): string {
  if (c.op === 'add') return u(`+ ${c.path}: ${inline(c.after)}`)
  if (c.op === 'remove') return u(`- ${c.path}: ${inline(c.before)}`)
  return u(`~ ${c.path}: ${inline(c.before)} → ${inline(c.after)}`)
}

/**
 * `nginx:1.27 (sha256:0123456789ab…), busybox:1.36 (digest resolved at sync)`:
 * what new pods will run; an image not pinned yet (an offline diff asks no
 * registry) gets its digest when sync resolves the tag.
 */
export function imagesLine(images: PinnedImage[]): string {
  return images
    .map((i) => (!i.digest ? `${i.image} (digest resolved at sync)` : carriesDigest(i.image, i.digest) ? i.image : `${i.image} (${shortDigest(i.digest)}…)`))
    .join(', ')
}

const objSign = {add: '+', change: '~', remove: '-'} as const
const podSign = {new: '+', replaced: '~', unchanged: '=', deleted: '-'} as const
const actionSign: Record<string, string> = {create: '+', replace: '~', delete: '-', updateFiles: '~', deleteClaim: '-', network: '~'}

/**
 * The terminal rendering of `tsctl diff`: header, object diff with field
 * changes, per-node placements of the end state, pending pods, the first
 * step's actions with reasons, the end state, and the summary line last
 * (where CI logs and eyes look). `+` green, `-` red, `~` yellow on a TTY.
 */
export function renderDiffText(d: DiffResult, p: Palette): string {
  const colour = (sign: string, s: string) => (sign === '+' ? p.add(s) : sign === '-' ? p.remove(s) : sign === '~' ? p.change(s) : s)
  const out: string[] = []
  const short = u(d.commit.sha.slice(0, 7))
  out.push(p.bold(`Commit ${short} ${u(JSON.stringify(d.commit.subject))}`) + ` (${u(d.commit.author)}, ${u(d.commit.date)})`)
  out.push(d.offline ? 'Offline: planned from the state alone; no host was contacted.' : `Observed status from the ${d.observedFrom}.`)
  for (const w of d.warnings) out.push(p.warn(formatDiagnostic(w)))
  out.push('')

  out.push(p.bold('Objects:'))
  if (d.objects.length === 0) out.push('  (no changes)')
  for (const o of d.objects) {
    const sign = objSign[o.change]
    const where = o.source ? p.dim(`  ${u(o.source.file)}:${o.source.line}`) : ''
    out.push(colour(sign, `  ${sign} ${u(o.key)}`) + where)
    for (const f of o.fields) {
      const line = fieldLine(f)
      out.push(colour(line[0]!, `      ${line}`))
    }
  }
  out.push('')

  out.push(p.bold('Placements (end state):'))
  if (d.placements.length === 0 && d.pending.length === 0) out.push('  (no pods)')
  for (const n of d.placements) {
    out.push(`  ${u(n.node)}`)
    const width = Math.max(...n.pods.map((x) => u(`${x.namespace}/${x.name}`).length))
    const ownerWidth = Math.max(0, ...n.pods.map((x) => u(x.owner ?? '').length))
    for (const pod of n.pods) {
      const sign = podSign[pod.status]
      const name = u(`${pod.namespace}/${pod.name}`)
      const owner = u(pod.owner ?? '')
      const images = pod.images?.length ? u(imagesLine(pod.images)) : ''
      let line = colour(sign, `    ${sign} ${name}`)
      if (owner || images) line += ' '.repeat(width - name.length + 3) + (owner ? p.dim(owner) : '')
      if (images) line += (ownerWidth ? ' '.repeat(ownerWidth - owner.length + 3) : '') + images
      out.push(line)
    }
  }
  if (d.pending.length) {
    out.push(`  ${p.warn('Pending')}`)
    for (const x of d.pending) out.push(p.warn(`    ! ${u(`${x.namespace}/${x.name}`)}: ${u(x.reason)}`))
  }
  out.push('')

  out.push(p.bold('First step:'))
  if (d.actions.length === 0) out.push('  (nothing to do)')
  for (const a of d.actions) {
    const sign = actionSign[a.type] ?? '~'
    out.push(colour(sign, `  ${sign} ${a.type} ${u(a.target)} on ${u(a.node)}`) + p.dim(`: ${u(a.reason)}`))
  }
  out.push('')

  const e = d.endState
  out.push(p.bold(`End state: ${e.converged ? 'converges' : 'does not fully converge'}${e.steps !== null ? ` after ${e.steps} pass${e.steps === 1 ? '' : 'es'}` : ''}`))
  for (const s of e.stuck) out.push(p.warn(`  ! ${u(s)}`))
  for (const w of e.workloads) {
    const want = w.desired === null ? '' : `/${w.desired}`
    const pend = w.pending ? p.warn(`, ${w.pending} pending`) : ''
    out.push(`  ${u(w.key)}: ${w.scheduled}${want} scheduled${w.nodes.length ? ` on ${w.nodes.map(u).join(', ')}` : ''}${pend}`)
  }
  out.push('')
  out.push(objectsLine(d))
  out.push(p.bold(summaryLine(d)))
  return out.join('\n') + '\n'
}
