/**
 * POSIX sh single-quoting: the value is one word and nothing in it is
 * special (a `'` becomes `'\''`). Used only to write constants into the
 * generated hook; pushed data never goes through it (the hook reads that
 * from stdin and compares, never evaluates).
 */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell')
  return `'${s.replace(/'/g, `'\\''`)}'`
}
