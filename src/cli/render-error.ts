import {type Diagnostic, ExitCode, HostError, UserError, formatDiagnostic} from '../errors.js'
import {escapeControl, escapeControlMultiline as block} from '../render/untrusted.js'

/** What a failed command prints and exits with. */
export interface RenderedError {
  exitCode: number
  /** lines for stderr, no trailing newline */
  text: string
  /** for `-o json`: the document of schemas/output/error.json */
  json: {apiVersion: 'tsctl.io/v1'; kind: 'Error'; exitCode: number; message: string; diagnostics: Diagnostic[]; hint?: string}
}

/**
 * The one place an error becomes a message and an exit code (DESIGN.md):
 * - UserError (and LockedError): its message, every diagnostic on its own
 *   line (formatDiagnostic), its hint; its exit code (2 invalid, 3 locked).
 * - HostError: exit 4.
 * - oclif's own errors (unknown flag, missing argument): exit 2, its message.
 * - anything else is a bug: `internal error: …`, exit 2 (DESIGN has no code
 *   for it, and 2 is "nothing was applied / error" for every command,
 *   including `diff`, whose 1 must keep meaning "changes"). The stack trace
 *   is printed only with TSCTL_DEBUG=1.
 * Never a stack trace for a user mistake.
 *
 * Messages quote what others wrote (a host's stderr, git's, an object's
 * name), so the text is escaped (render/untrusted.ts): newlines stay, a
 * host's stderr may have several lines, but no control sequence reaches the
 * terminal. The JSON document keeps the message as it is.
 */
export function renderError(err: unknown, debug = process.env.TSCTL_DEBUG === '1'): RenderedError {
  if (err instanceof UserError) {
    const lines = [`error: ${block(err.message)}`]
    for (const d of err.diagnostics) lines.push(formatDiagnostic(d))
    if (err.hint) lines.push(`hint: ${escapeControl(err.hint)}`)
    if (debug && err.stack) lines.push(block(err.stack))
    return done(err.exitCode, lines, err.message, err.diagnostics, err.hint)
  }
  if (err instanceof HostError) {
    const lines = [`error: ${block(err.message)}`]
    if (debug && err.stack) lines.push(block(err.stack))
    return done(err.exitCode, lines, err.message, [])
  }
  const e = err as {message?: string; stack?: string; oclif?: {exit?: number}; name?: string}
  if (e && typeof e === 'object' && e.oclif && typeof e.oclif.exit === 'number') {
    const msg = (e.message ?? String(err)).replace(/^Error: /, '')
    const lines = [`error: ${block(msg)}`]
    if (debug && e.stack) lines.push(block(e.stack))
    return done(e.oclif.exit === 0 ? 0 : ExitCode.invalid, lines, msg, [])
  }
  const msg = e?.message ?? String(err)
  const lines = [`internal error: ${block(msg)}`]
  lines.push(debug && e?.stack ? block(e.stack) : 'This is a bug in tsctl. Run again with TSCTL_DEBUG=1 for the stack trace and report it.')
  return done(ExitCode.invalid, lines, `internal error: ${msg}`, [])
}

function done(exitCode: number, lines: string[], message: string, diagnostics: Diagnostic[], hint?: string): RenderedError {
  return {
    exitCode,
    text: lines.join('\n'),
    json: {apiVersion: 'tsctl.io/v1', kind: 'Error', exitCode, message, diagnostics, ...(hint ? {hint} : {})},
  }
}
