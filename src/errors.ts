/**
 * The one exit-code contract (DESIGN.md) and the two kinds of error.
 *
 * User errors are final: they carry every diagnostic found (file:line:col,
 * field path, hint) and an exit code; commands render them without a stack
 * trace. Transient errors (a host timing out) are retried by the transport
 * and become a HostError only when retries are exhausted.
 */
import {escapeControl} from './render/untrusted.js'

export const ExitCode = {
  ok: 0,
  /** `diff` only: there are changes (kubectl's convention). */
  changes: 1,
  /** invalid input (manifests, flags, config): nothing was applied. */
  invalid: 2,
  /** the state is locked by someone else. */
  locked: 3,
  /** one or more hosts failed or could not be reached (the others were applied). */
  hosts: 4,
  /** a rollout did not converge in time. */
  timeout: 5,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** Where in the manifests repo a problem is. Lines and columns are 1-based. */
export interface SourcePos {
  file: string
  line: number
  col: number
}

export interface Diagnostic {
  severity: 'error' | 'warning'
  /** e.g. `manifests/web.yaml` */
  file?: string
  line?: number
  col?: number
  /** JSON-path-like field path, e.g. `spec.template.spec.containers[0].image` */
  field?: string
  /** e.g. `Deployment/default/web` */
  object?: string
  message: string
  /** what to do about it, e.g. `did you mean "containers"?` */
  hint?: string
}

/**
 * Renders `file:line:col: field: message (hint)` — the one format for every
 * diagnostic, always one line. File names come from the repo's tree and
 * messages quote the manifests, so each part is escaped (render/untrusted.ts):
 * a diagnostic is printed by validate, diff, sync, the hook and every error.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const u = escapeControl
  const where = d.file ? `${u(d.file)}${d.line ? `:${d.line}${d.col ? `:${d.col}` : ''}` : ''}: ` : ''
  const obj = d.object ? `${u(d.object)}: ` : ''
  const field = d.field ? `${u(d.field)}: ` : ''
  const hint = d.hint ? ` (${u(d.hint)})` : ''
  return `${d.severity}: ${where}${obj}${field}${u(d.message)}${hint}`
}

/** A mistake the user can fix. Final: never retried. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.invalid,
    readonly diagnostics: Diagnostic[] = [],
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'UserError'
  }
}

/** The state is held by another process; the message names the holder. */
export class LockedError extends UserError {
  constructor(message: string, readonly holder?: unknown) {
    super(message, ExitCode.locked)
    this.name = 'LockedError'
  }
}

/** A host failed or could not be reached after retries. */
export class HostError extends Error {
  readonly exitCode = ExitCode.hosts
  constructor(readonly node: string, message: string, readonly transient = false) {
    super(`${node}: ${message}`)
    this.name = 'HostError'
  }
}
