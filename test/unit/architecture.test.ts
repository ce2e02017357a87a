// Rules from STYLE.md checked on the source itself, so they cannot rot:
// no import cycles anywhere under src/ (type-only imports too), host/ and
// transport/ meet reconcile/ only at its index, and src/reconcile/ stays pure
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

// Every relative import counts, `import type` included: a type-only cycle
// still means two files cannot be read (or moved) apart.
function graphOf(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const f of files) {
    const deps = imports(f)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(dirname(f), s.replace(/\.js$/, '.ts')))
      .filter((p) => files.includes(p))
    graph.set(f, deps)
  }
  return graph
}

function cyclesOf(graph: Map<string, string[]>): string[] {
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
  for (const f of graph.keys()) if (!state.get(f)) visit(f)
  return cycles
}

test('the cycle finder sees a type-only cycle', () => {
  const a = join(src, 'a.ts'), b = join(src, 'b.ts')
  assert.equal(cyclesOf(new Map([[a, [b]], [b, [a]]])), ['a.ts → b.ts → a.ts'])
  const re = new RegExp(importRe.source, 'g')
  assert.equal([...`import type {X} from './b.js'`.matchAll(re)].map((m) => m[1]), ['./b.js'])
})

test('no import cycles under src/, type-only imports included', () => {
  const cycles = cyclesOf(graphOf())
  assert.equal(cycles, [], `import cycles:\n${cycles.join('\n')}`)
})

// What runs on or talks to hosts (host/, transport/) and the pure pass
// (reconcile/) meet only at reconcile's public face, index.ts.
test('host/ and transport/ use only reconcile/index.ts; reconcile/ imports neither', () => {
  const graph = graphOf()
  const under = (p: string, dir: string) => p.startsWith(join(src, dir) + '/')
  const offenders: string[] = []
  for (const [f, deps] of graph) {
    for (const d of deps) {
      if ((under(f, 'host') || under(f, 'transport')) && under(d, 'reconcile') && d !== join(src, 'reconcile', 'index.ts'))
        offenders.push(`${relative(src, f)} imports ${relative(src, d)}`)
      if (under(f, 'reconcile') && (under(d, 'host') || under(d, 'transport')))
        offenders.push(`${relative(src, f)} imports ${relative(src, d)}`)
    }
  }
  assert.equal(offenders, [])
})

test('src/reconcile and the rollout verbs are pure: no I/O modules, no clock, no randomness', () => {
  const offenders: string[] = []
  const io = /^(node:)?(fs|fs\/promises|child_process|net|http|https|dgram|os|process|worker_threads|readline)$|^simple-git$|^chokidar$/
  // The rollout verbs are pure edits of a state too.
  const pure = files.filter((p) => p.startsWith(join(src, 'reconcile') + '/') || p === join(src, 'rollout', 'verbs.ts'))
  for (const f of pure) {
    for (const s of imports(f)) if (io.test(s)) offenders.push(`${relative(root, f)} imports ${s}`)
    const text = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '')
    for (const pat of [/Date\.now\s*\(/, /new Date\(\s*\)/, /Math\.random\s*\(/, /process\.(env|hrtime|argv)/, /performance\.now/, /randomUUID|randomBytes/])
      if (pat.test(text)) offenders.push(`${relative(root, f)} uses ${pat.source}`)
  }
  assert.equal(offenders, [])
})


// test/fixtures/skip.ts is the one way to skip; a body that returns early
// on a skip condition is counted by uvu as passed.
const bodySkip = /\n\s*(?:test|maybe)(?:\.only)?\((?:'(?:[^'\\\n]|\\.)*'|`[^`\n]*`|"[^"\n]*"),\s*(?:async\s*)?\([^)]*\)\s*=>\s*\{\s*\n\s*if\s*\(\s*skip\b[^)]*\)\s*return\b/

test('the skip finder sees a test that returns early on a skip', () => {
  assert.ok(bodySkip.test("\ntest('x', async () => {\n  if (skip) return\n  work()\n})"))
  assert.not.ok(bodySkip.test("\ntest.before(async () => {\n  if (skip) return\n})"))
})

test('no test skips from inside its body: skips go through test/fixtures/skip.ts', () => {
  const tests = walk(join(root, 'test')).filter((f) => f.endsWith('.test.ts'))
  assert.ok(tests.length > 50, `found ${tests.length} test files`)
  const bad = tests.filter((f) => bodySkip.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f))
  assert.equal(bad, [])
})

test('no test is registered after test.run(): uvu would never run it', () => {
  const tests = walk(join(root, 'test')).filter((f) => f.endsWith('.test.ts'))
  const bad = tests.filter((f) => {
    const text = readFileSync(f, 'utf8')
    const at = text.lastIndexOf('\ntest.run()')
    return at >= 0 && /\n\s*(?:test|maybe)(?:\.skip|\.only)?\(/.test(text.slice(at + 11))
  })
  assert.equal(bad.map((f) => relative(root, f)), [])
})

test('src/reconcile and src/rollout use the generated and status types, never any', () => {
  const anyRe = /(:\s*any\b|\bas any\b|<any>|\bany\[\]|=\s*any\b)/
  const bad: string[] = []
  for (const f of files.filter((f) => /\/src\/(reconcile|rollout)\//.test(f))) {
    readFileSync(f, 'utf8').split('\n').forEach((l, i) => {
      if (anyRe.test(l.replace(/\/\/.*$/, ''))) bad.push(`${relative(root, f)}:${i + 1}: ${l.trim()}`)
    })
  }
  assert.equal(bad, [])
})

test.run()
