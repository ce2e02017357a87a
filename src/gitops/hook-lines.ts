import {palette} from '../render/color.js'
import {progressLine} from '../render/progress-lines.js'
import {escapeControl} from '../render/untrusted.js'
import type {SyncEvent} from '../sync/events.js'

/**
 * Everything `tsctl hook run` writes: git relays it to the pusher, whose
 * terminal renders it after `remote:`. The pusher did not write the other
 * commits, the object names or the hosts' errors in it, and the operator
 * did not write the pushed subject, so each line leaves here escaped
 * (render/untrusted.ts), whatever the renderer behind it already did
 * (escaping is idempotent). Recent git clients mask control characters in
 * sideband lines themselves but let colour sequences through by default,
 * and older ones pass everything: this is the filter that always runs.
 */

/** A message of the hook's own, `tsctl: …`. */
export function hookLine(message: string): string {
  return `tsctl: ${escapeControl(message)}`
}

/** A sync event as the same line `tsctl sync` prints without a TTY, uncoloured (git would relay colour codes as garbage). */
export function hookProgressLine(e: SyncEvent): string | undefined {
  const l = progressLine(e, palette(false))
  return l === undefined ? undefined : escapeControl(l)
}

/** What a rollout came to, as `hook run` reports it last. */
export interface HookOutcome {
  converged: boolean
  exitCode: number
  message?: string
  commit: {subject: string}
  failedNodes: {node: string; error: string}[]
}

/** The last line: rolled out, superseded by a newer push, or why not. */
export function hookOutcomeLine(sha: string, r: HookOutcome, superseded: boolean): string {
  const short = sha.slice(0, 8)
  if (r.converged) return hookLine(`${short} "${r.commit.subject}" rolled out`)
  if (superseded) return hookLine(`${short} superseded by a newer push after the current step`)
  const failed = r.failedNodes.length ? ` (failed: ${r.failedNodes.map((f) => `${f.node}: ${f.error}`).join('; ')})` : ''
  return hookLine(`rollout of ${short} did not converge: ${r.message ?? `exit ${r.exitCode}`}${failed}`)
}
