/**
 * "Did you mean" for unknown fields, kinds and enum values: the closest
 * candidate by edit distance, when it is close enough to be a typo.
 */

/** Levenshtein distance with transpositions counted as one edit (Damerau, optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const m = a.length
  const n = b.length
  const d: number[][] = Array.from({length: m + 1}, (_, i) => [i, ...Array(n).fill(0)])
  for (let j = 1; j <= n; j++) d[0][j] = j
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[m][n]
}

/**
 * The candidate closest to `word`, or undefined when none is within a third
 * of the word's length (at least 2 edits). A case-only difference always
 * matches. Ties go to the first candidate in sorted order, so the hint never
 * depends on the order candidates were listed in.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase()
  let best: string | undefined
  let bestD = Infinity
  for (const c of [...candidates].sort()) {
    if (c === word) continue
    const dist = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase())
    if (dist < bestD) {
      best = c
      bestD = dist
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}
