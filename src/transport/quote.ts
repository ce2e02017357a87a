/**
 * POSIX shell quoting for the one place a command line is unavoidable: the
 * string OpenSSH hands to the remote user's login shell. Every argv element
 * goes through `shQuote`, so the remote shell sees each one as a single
 * literal word: no expansion, globbing, word splitting or command
 * substitution, whatever bytes it holds.
 */

/** Characters that never mean anything to a POSIX shell in a word (not `=`: a first word `a=b` is an assignment). */
const SAFE = /^[A-Za-z0-9_@%+:,./-]+$/

/**
 * Quotes S as one literal word for sh, bash, dash, ksh or zsh. Words made
 * only of safe characters are returned as they are (readable `ps` and logs);
 * everything else is wrapped in single quotes, inside which only `'` itself
 * needs care: it becomes `'\''` (close, escaped quote, reopen).
 * Throws on NUL, which no argv element can carry.
 */
export function shQuote(s: string): string {
  if (s.includes('\0')) throw new TypeError('an argument cannot contain a NUL byte')
  if (SAFE.test(s)) return s
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/** Quotes each element and joins them with spaces: a command line that runs exactly ARGV. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ')
}
