/**
 * The one definition of how text tsctl did not write is shown on a
 * terminal. Commit subjects and authors, object names, label and annotation
 * values, probe and exit messages, host stderr and event messages all come
 * from someone else (a committer, a container, a host), and a terminal
 * obeys control sequences wherever they appear: `fix\x1b]0;pwned\x07\x1b[2J`
 * as a commit subject would retitle and clear the operator's terminal, or,
 * through the post-receive hook, the pusher's. Renderers pass every such
 * field through these functions where the field is placed into a line; the
 * data itself (state, plans, JSON output) is never changed.
 *
 * What becomes a visible escape:
 * - C0 controls (U+0000–U+001F): `\n`, `\r`, `\t` by name, the others as
 *   `\x1b`; DEL as `\x7f`;
 * - C1 controls (U+0080–U+009F), e.g. `\x9b`, an 8-bit CSI some terminals
 *   still obey;
 * - the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
 *   U+2066–U+2069), which reorder what is displayed ("Trojan Source"), as
 *   `\u202e`.
 *
 * Tab is escaped in a one-line field: a table measures cells by length, a
 * tab renders as up to eight columns, so a tab in a name shifts the columns
 * after it and can make one cell read as two. kubectl's own escaping
 * (ESC and CR only) is narrower; we take the whole class. Multi-line text
 * (a ConfigMap's data, a host's stderr in an error) keeps its newlines and
 * tabs through `escapeControlMultiline`.
 *
 * A backslash is left alone, so escaping is idempotent: text escaped once
 * comes back unchanged from a second pass, and a sink (an error printer, a
 * warning line) may escape again what a renderer already escaped. The cost
 * is that a literal `\x1b` typed into a commit subject reads the same as an
 * escaped ESC — harmless, since nothing reads it back.
 *
 * Pure. The common case (nothing to escape) is one regex test and returns
 * the same string.
 */

// eslint-disable-next-line no-control-regex
const ANY = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/
// eslint-disable-next-line no-control-regex
const ANY_G = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g
/** The same class without `\n` and `\t`, which multi-line text keeps. */
// eslint-disable-next-line no-control-regex
const BLOCK = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/
// eslint-disable-next-line no-control-regex
const BLOCK_G = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g

const NAMED: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}

function visible(c: string): string {
  const named = NAMED[c]
  if (named) return named
  const n = c.charCodeAt(0)
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`
}

/**
 * A one-line field (a name, a subject, a message in a progress line) with
 * every control character, newline and tab included, and every bidi
 * override shown as an escape. Idempotent.
 */
export function escapeControl(s: string): string {
  // tolerant renderers may hand over a number or undefined read from the state
  const t = typeof s === 'string' ? s : String(s)
  return ANY.test(t) ? t.replace(ANY_G, visible) : t
}

/**
 * Multi-line text (ConfigMap data, a host's stderr in an error): as
 * escapeControl, but `\n` and `\t` stay what they are. Idempotent.
 */
export function escapeControlMultiline(s: string): string {
  const t = typeof s === 'string' ? s : String(s)
  return BLOCK.test(t) ? t.replace(BLOCK_G, visible) : t
}

// eslint-disable-next-line no-control-regex
const JSON_UNSAFE = /[\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g

/**
 * JSON for a terminal: JSON.stringify escapes C0 but not DEL, C1 or the bidi
 * controls; written as `\uXXXX` they parse back to the very same value.
 */
export function terminalJson(value: unknown, indent?: number): string {
  const s = JSON.stringify(value, null, indent)
  return s === undefined ? s : s.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
