/**
 * Colour is decided once per output stream: only on a TTY, never when
 * NO_COLOR is set to anything non-empty (no-color.org), and forced on with
 * FORCE_COLOR=1..3 (for tests and pagers that understand ANSI). Renderers
 * take a Palette so they stay pure and testable with and without colour.
 */
export function shouldColor(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return stream.isTTY === true
}

export interface Palette {
  add(s: string): string
  remove(s: string): string
  change(s: string): string
  dim(s: string): string
  bold(s: string): string
  warn(s: string): string
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`
const plainFn = (s: string) => s

/** ANSI colours when `enabled`, identity functions otherwise. */
export function palette(enabled: boolean): Palette {
  if (!enabled) return {add: plainFn, remove: plainFn, change: plainFn, dim: plainFn, bold: plainFn, warn: plainFn}
  return {add: sgr(32, 39), remove: sgr(31, 39), change: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22), warn: sgr(33, 39)}
}

/** Strips ANSI SGR sequences (width computations, tests). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '')
}
