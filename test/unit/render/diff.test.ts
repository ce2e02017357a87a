import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {palette, stripAnsi} from '../../../src/render/color.js'
import {buildDiff, diffObjects} from '../../../src/render/diff-model.js'
import {renderDiffMarkdown} from '../../../src/render/diff-markdown.js'
import {renderDiffText, summaryLine} from '../../../src/render/diff-text.js'
import {assertOutput} from '../../cli/helpers/output-schema.js'
import {after, before, desired, plan} from './fixtures.js'
import {golden} from './golden.js'

const result = () => buildDiff({desired: desired(), before: before(), plan: plan(), after: after(), stuck: ['Pod/default/web-5f4e3d2c-uvwxy: 0/2 nodes are available: 2 Insufficient cpu.'], steps: 4, offline: true, observedFrom: 'state'})

test('summary counts the whole rollout: 2 created, 1 replaced, 2 deleted, 0 unchanged', () => {
  const d = result()
  assert.is(summaryLine(d), 'Plan: 2 to create, 1 to replace, 2 to delete, 0 unchanged.')
  assert.is(d.changes, true)
  assert.equal(d.pending.map((p) => [p.name, p.owner, p.reason]), [['web-5f4e3d2c-uvwxy', 'Deployment/default/web', '0/2 nodes are available: 2 Insufficient cpu.']])
})

test('object diff: field-level changes, removed objects, Secret values masked', () => {
  const objs = diffObjects(desired(), before())
  assert.equal(objs.map((o) => `${o.change} ${o.key}`), [
    'remove ConfigMap/default/legacy',
    'change ConfigMap/default/web-config',
    'change Deployment/default/web',
    'change Secret/default/db',
    'change StatefulSet/default/db',
  ])
  const web = objs.find((o) => o.key === 'Deployment/default/web')!
  assert.equal(web.fields, [
    {path: 'spec.replicas', op: 'change', before: 2, after: 3},
    {path: 'spec.template.spec.containers[0].image', op: 'change', before: 'busybox:1.36', after: 'busybox:1.37'},
  ])
  const sec = objs.find((o) => o.key === 'Secret/default/db')!
  assert.equal(sec.fields, [{path: 'data.password', op: 'change', before: '(sensitive)', after: '(sensitive)'}])
  const all = JSON.stringify(result())
  assert.not.match(all, 'bmV3LXNlY3JldA')
  assert.not.match(all, 'b2xkLXNlY3JldA')
})

test('annotations written by controllers are not changes; user annotations are', () => {
  const st = before()
  const d = st.objects['Deployment/default/web']!
  d.metadata.annotations = {...d.metadata.annotations, 'deployment.kubernetes.io/revision': '1', 'tsctl.io/applied-hash': 'x', team: 'a'}
  const objs = diffObjects(desired(), st).find((o) => o.key === 'Deployment/default/web')!
  assert.equal(objs.fields.filter((f) => f.path.startsWith('metadata')), [{path: 'metadata.annotations', op: 'remove', before: {team: 'a'}}])
})

test('nothing to do: no changes, exit-worthy flag false', () => {
  const s = after()
  const d = buildDiff({desired: desired(), before: s, plan: {actions: []}, after: s, stuck: [], steps: 1, offline: false, observedFrom: 'state'})
  assert.is(d.objects.length, 0)
  assert.is(d.changes, false)
  assert.is(summaryLine(d), 'Plan: 0 to create, 0 to replace, 0 to delete, 3 unchanged.')
})

test('golden: text', () => golden('diff.txt', renderDiffText(result(), palette(false))))
test('golden: markdown', () => golden('diff.md', renderDiffMarkdown(result())))
test('golden: json, valid against schemas/output/diff.json', () => {
  const doc = JSON.parse(JSON.stringify(result()))
  assertOutput('diff', doc)
  golden('diff.json', JSON.stringify(doc, null, 2) + '\n')
})

test('colour: + green, - red, ~ yellow; stripping it gives the plain text', () => {
  const coloured = renderDiffText(result(), palette(true))
  assert.match(coloured, '\x1b[32m  + create Pod/default/web-5f4e3d2c-klmno')
  assert.match(coloured, '\x1b[31m  - ConfigMap/default/legacy')
  assert.match(coloured, '\x1b[33m  ~ ConfigMap/default/web-config')
  assert.is(stripAnsi(coloured), renderDiffText(result(), palette(false)))
})

test('a schema violation is caught (the schema test can fail)', () => {
  const doc = JSON.parse(JSON.stringify(result()))
  doc.summary.create = -1
  assert.throws(() => assertOutput('diff', doc), /minimum|>= 0/)
})

test.run()
