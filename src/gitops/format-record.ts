import {progressLine} from '../render/progress-lines.js'
import type {Palette} from '../render/color.js'
import {escapeControl, terminalJson} from '../render/untrusted.js'
import type {SyncEvent} from '../sync/events.js'
import type {WatchRecord} from './watch-loop.js'

/**
 * A watch record as one line: sync's own progress line for a sync event
 * (the same lines `tsctl sync` prints without a TTY), else an ISO time and
 * the message. Undefined for events not worth a line. Messages quote
 * commit subjects and git's errors: escaped before they are coloured.
 */
export function formatRecord(r: WatchRecord, p: Palette): string | undefined {
  if (r.event === 'sync' && r.detail && typeof r.detail === 'object' && 'type' in r.detail) return progressLine(r.detail as SyncEvent, p)
  const paint = r.level === 'error' ? p.remove : r.level === 'warn' ? p.warn : (s: string) => s
  return `${p.dim(escapeControl(r.time))} ${paint(escapeControl(r.message))}`
}

/** `-o json`: one JSON object per line, never a multi-line document. */
export function jsonLine(r: WatchRecord): string {
  return terminalJson(r)
}
