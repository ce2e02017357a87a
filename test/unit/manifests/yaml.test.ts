import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {maxExpandedNodes, parseYamlFile, pointerToField} from '../../../src/manifests/yaml.js'

test('positions of every key and item, per document', () => {
  const text = 'a: 1\nb:\n  c: [x, {d: 2}]\n  "e/f": |\n    text\n---\n# comment\nlist:\n  - one\n  - k: v\n'
  const {docs, diagnostics} = parseYamlFile('f.yaml', text)
  assert.equal(diagnostics, [])
  assert.is(docs.length, 2)
  const p = (i: number, ptr: string) => {
    const pos = docs[i].positions.get(ptr)
    return pos && [pos.line, pos.col]
  }
  assert.equal(p(0, '/a'), [1, 1])
  assert.equal(p(0, '/b/c'), [3, 3])
  assert.equal(p(0, '/b/c/0'), [3, 7])
  assert.equal(p(0, '/b/c/1/d'), [3, 11])
  assert.equal(p(0, '/b/e~1f'), [4, 3])
  assert.equal(p(1, '/list/1/k'), [10, 5])
  assert.equal(docs[1].doc, 1)
  assert.equal(docs[1].pos, {file: 'f.yaml', line: 8, col: 1})
})

test('empty documents are skipped but keep the numbering', () => {
  const {docs} = parseYamlFile('f.yaml', 'a: 1\n---\n---\nb: 2\n')
  assert.equal(docs.map((d) => [d.doc, d.value]), [[0, {a: 1}], [2, {b: 2}]])
})

test('every duplicate key is reported at the second occurrence, and parsing goes on', () => {
  const text = 'a: 1\nm:\n  x: 1\n  x: 2\na: 3\n---\nok: 1\n'
  const {docs, diagnostics} = parseYamlFile('f.yaml', text)
  assert.equal(diagnostics.map((d) => [d.line, d.col, d.field, d.message]), [
    [4, 3, 'm.x', 'duplicate key "x"'],
    [5, 1, 'a', 'duplicate key "a"'],
  ])
  assert.match(diagnostics[0].hint!, /line 3, column 3/)
  assert.is(docs.length, 2)
})

test('syntax errors carry their position', () => {
  const {docs, diagnostics} = parseYamlFile('f.yaml', 'a: b\n  c: d\n')
  assert.is(docs.length, 0)
  assert.is(diagnostics.length, 1)
  assert.match(diagnostics[0].message, /^YAML syntax error: /)
  assert.equal([diagnostics[0].file, diagnostics[0].line], ['f.yaml', 2])
})

test('alias bombs are rejected before anything walks them', () => {
  let text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
  let prev = 'a'
  for (const n of 'bcdefghi') {
    text += `${n}: &${n} [${Array(9).fill(`*${prev}`).join(',')}]\n`
    prev = n
  }
  const {docs, diagnostics} = parseYamlFile('bomb.yaml', text)
  assert.is(docs.length, 0)
  assert.is(diagnostics.length, 1)
  assert.match(diagnostics[0].message, new RegExp(`beyond ${maxExpandedNodes} nodes`))
  assert.ok(diagnostics[0].line! <= 9)
})

test('ordinary aliases and merge keys work, and give independent copies', () => {
  const {docs, diagnostics} = parseYamlFile('f.yaml', 'base: &b {x: 1, l: [1]}\none: *b\ntwo:\n  <<: *b\n  y: 2\n')
  assert.equal(diagnostics, [])
  const v = docs[0].value as Record<string, {x: number; l: number[]; y?: number}>
  assert.equal(v.two, {x: 1, l: [1], y: 2})
  v.one.l.push(2)
  assert.equal(v.base.l, [1])
})

test('values keep YAML 1.2 core types (no timestamps, no octal surprises)', () => {
  const {docs} = parseYamlFile('f.yaml', 'd: 2026-01-01\nn: 010\nb: yes\nq: "1"\n')
  assert.equal(docs[0].value, {d: '2026-01-01', n: 10, b: 'yes', q: '1'})
})

test('pointerToField', () => {
  assert.is(pointerToField('/spec/containers/0/image'), 'spec.containers[0].image')
  assert.is(pointerToField('/metadata/labels/app.kubernetes.io~1name'), 'metadata.labels["app.kubernetes.io/name"]')
  assert.is(pointerToField(''), '')
})

test.run()
