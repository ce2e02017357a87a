import {stripAnsi} from './color.js'

/**
 * A kubectl-style table: upper-case headers, columns left-aligned and
 * separated by three spaces (kubectl's tabwriter padding), the last column
 * not padded, no borders. Cells may contain ANSI colour; widths ignore it.
 */
export function renderTable(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows]
  const widths = headers.map((_, i) => Math.max(...all.map((r) => stripAnsi(r[i] ?? '').length)))
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - stripAnsi(cell).length + 3)))
      .join('')
      .trimEnd()
  return all.map(line).join('\n') + '\n'
}
