// Rules from STYLE.md checked on the source itself, so they cannot rot:
// no import cycles anywhere under src/, and src/reconcile/ stays pure
// (no I/O modules, no clock, no randomness).
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', '..', '..')
const src = join(root, 'src')

function walk(dir: string): string[] {
  let out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out = out.concat(walk(p))
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p)
  }
  return out
}

const files = walk(src)
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(importRe)) out.push(m[1] ?? m[2])
  return out
}

function isTypeOnly(file: string, spec: string): boolean {
  const text = readFileSync(file, 'utf8')
  const re = new RegExp(`(?:import|export)\\s+type\\s[^;]*?from\\s+['"]${spec.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}['"]`)
  const any = new RegExp(`(?:import|export)\\s+(?!type\\s)[^;]*?from\\s+['"]${spec.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}['"]`)
  return re.test(text) && !any.test(text)
}

test('no import cycles under src/ (type-only imports excluded)', () => {
  const graph = new Map<string, string[]>()
  for (const f of files) {
    const deps = imports(f)
      .filter((s) => s.startsWith('.') && !isTypeOnly(f, s))
      .map((s) => resolve(dirname(f), s.replace(/\.js$/, '.ts')))
      .filter((p) => files.includes(p))
    graph.set(f, deps)
  }
  const state = new Map<string, number>()
  const cycles: string[] = []
  const stack: string[] = []
  const visit = (n: string) => {
    state.set(n, 1)
    stack.push(n)
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].map((p) => relative(src, p)).join(' → '))
      else if (!state.get(d)) visit(d)
    }
    stack.pop()
    state.set(n, 2)
  }
  for (const f of files) if (!state.get(f)) visit(f)
  assert.equal(cycles, [], `import cycles:\n${cycles.join('\n')}`)
})

test('src/reconcile is pure: no I/O modules, no clock, no randomness', () => {
  const offenders: string[] = []
  const io = /^(node:)?(fs|fs\/promises|child_process|net|http|https|dgram|os|process|worker_threads|readline)$|^simple-git$|^chokidar$/
  for (const f of files.filter((p) => p.startsWith(join(src, 'reconcile') + '/'))) {
    for (const s of imports(f)) if (io.test(s)) offenders.push(`${relative(root, f)} imports ${s}`)
    const text = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '')
    for (const pat of [/Date\.now\s*\(/, /new Date\(\s*\)/, /Math\.random\s*\(/, /process\.(env|hrtime|argv)/, /performance\.now/, /randomUUID|randomBytes/])
      if (pat.test(text)) offenders.push(`${relative(root, f)} uses ${pat.source}`)
  }
  assert.equal(offenders, [])
})

test.run()
