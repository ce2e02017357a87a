// Untrusted text on a terminal: escapeControl itself, then the renderers
// that place someone else's text into a line (tables, describe, rollout
// history, progress lines, diff, errors, diagnostics, watch records), each
// fed a hostile field through the shared fixtures. Every one of these fails
// when its renderer passes the field through raw.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import * as yaml from 'js-yaml'
import {renderError} from '../../../src/cli/render-error.js'
import {HostError, UserError, formatDiagnostic} from '../../../src/errors.js'
import {formatRecord} from '../../../src/gitops/format-record.js'
import type {KubeObject} from '../../../src/manifests/object.js'
import {palette, stripAnsi} from '../../../src/render/color.js'
import {renderDescribe} from '../../../src/render/describe.js'
import {buildDiff} from '../../../src/render/diff-model.js'
import {renderDiffMarkdown} from '../../../src/render/diff-markdown.js'
import {renderDiffText} from '../../../src/render/diff-text.js'
import {renderHistory, revisionsOf} from '../../../src/render/history.js'
import {progressLine} from '../../../src/render/progress-lines.js'
import {LiveProgress} from '../../../src/render/progress-live.js'
import {renderSyncSummary} from '../../../src/render/progress-summary.js'
import {renderResourceTable} from '../../../src/render/resource-table.js'
import {renderStateSummary} from '../../../src/render/state-summary.js'
import {escapeControl, escapeControlMultiline, terminalJson} from '../../../src/render/untrusted.js'
import {emptyState} from '../../../src/state/model.js'
import type {SyncResult} from '../../../src/sync/sync.js'
import {NOW, after, before, commit, desired, plan, pod} from './fixtures.js'

/** What must never reach a terminal from a renderer: C0 but newline, DEL, C1, the bidi overrides. */
// eslint-disable-next-line no-control-regex
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/
/** The same without tab, for multi-line text that keeps its tabs. */
// eslint-disable-next-line no-control-regex
const RAW_BLOCK = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/
/** The commit subject of the brief: retitles the terminal (OSC 0) and clears it (CSI 2J). */
const OSC = 'fix\x1b]0;pwned\x07\x1b[2J'
const OSC_SHOWN = 'fix\\x1b]0;pwned\\x07\\x1b[2J'
const plain = palette(false)
const colour = palette(true)

test('escapeControl: C0, DEL, C1 and bidi overrides become visible escapes', () => {
  assert.is(escapeControl(OSC), OSC_SHOWN)
  assert.is(escapeControl('a\nb\rc\td'), 'a\\nb\\rc\\td')
  assert.is(escapeControl('\x00\x08\x0b\x0c\x1f'), '\\x00\\x08\\x0b\\x0c\\x1f')
  assert.is(escapeControl('del\x7f'), 'del\\x7f')
  assert.is(escapeControl('csi\u009b31m'), 'csi\\x9b31m')
  assert.is(escapeControl('\u0080\u009f'), '\\x80\\x9f')
  assert.is(escapeControl('abc\u202edcba'), 'abc\\u202edcba')
  assert.is(escapeControl('\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069'), '\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069')
})

test('escapeControl: printable text, any script, is returned as it is', () => {
  for (const s of ['', 'web-6b7c8d9f-abcde', 'Alice <alice@example.com>', 'café', 'עברית', 'العربية', '日本語', '🚀 deploy', 'a\\x1b literal', '\u00a0nbsp', '\u200d zwj', '\ud800 lone surrogate']) {
    assert.is(escapeControl(s), s, JSON.stringify(s))
    assert.is(escapeControlMultiline(s), s, JSON.stringify(s))
  }
})

test('escaping is idempotent, so a sink may escape what a renderer escaped', () => {
  for (const s of [OSC, 'a\nb\tc\u202e\u009b\x7f', '\\x1b']) {
    assert.is(escapeControl(escapeControl(s)), escapeControl(s))
    assert.is(escapeControlMultiline(escapeControlMultiline(s)), escapeControlMultiline(s))
    assert.is(escapeControlMultiline(escapeControl(s)), escapeControl(s))
  }
})

test('escapeControlMultiline keeps newlines and tabs, escapes the rest', () => {
  assert.is(escapeControlMultiline('line 1\n\tline 2\x1b[2J\r\n'), 'line 1\n\tline 2\\x1b[2J\\r\n')
  assert.is(escapeControlMultiline('\u202e\u009b'), '\\u202e\\x9b')
})

test('a value read from the state that is not a string does not crash a renderer', () => {
  assert.is(escapeControl(3 as unknown as string), '3')
  assert.is(escapeControlMultiline(undefined as unknown as string), 'undefined')
})

/** A pod whose name, label and image carry escape sequences, bound to a node whose label does too. */
function hostilePod(): KubeObject {
  const p = pod('web\x1b[2J-1', {node: 'node-a'})
  p.metadata.labels = {app: 'web\x1b]0;pwned\x07'}
  ;(p.spec as {containers: {name: string; image: string}[]}).containers[0]!.image = 'busybox\u202e:1.36'
  return p
}

test('get: an object name, a label and an image with escape sequences are shown escaped, columns intact', () => {
  const out = renderResourceTable('Pod', [hostilePod()], {wide: true, withNamespace: true, now: NOW})
  assert.not.match(out, RAW)
  assert.match(out, 'web\\x1b[2J-1')
  const [head, row] = out.split('\n')
  // the NODE column starts where its header does: nothing was swallowed by the terminal
  assert.is(row!.indexOf('node-a'), head!.indexOf('NODE'))
  const n = structuredClone(before().objects['Node/node-a']!)
  n.metadata.labels = {zone: 'a\x1b]0;pwned\x07', 'tab\tkey': 'v'}
  const nodes = renderResourceTable('Node', [n], {wide: true, withNamespace: false, now: NOW})
  assert.not.match(nodes, RAW)
  assert.match(nodes, 'tab\\tkey=v,zone=a\\x1b]0;pwned\\x07')
})

test('describe: name, labels, annotations, image, events and ConfigMap data are escaped; data keeps its lines', () => {
  const st = before()
  const p = hostilePod()
  p.metadata.annotations = {note: 'first\nError: fake second line', 'x\u202e': 'y'}
  st.objects['Pod/default/web\x1b[2J-1'] = p
  st.events.push({time: '2026-11-20T11:01:00Z', type: 'Warning', reason: 'BackOff\x1b[5m', object: 'Pod/default/web\x1b[2J-1', message: 'probe said \x1b]8;;http://evil\x07click\x1b]8;;\x07'})
  const out = renderDescribe(p, st, NOW)
  assert.not.match(out, RAW)
  assert.match(out, /^Name: +web\\x1b\[2J-1$/m)
  assert.match(out, 'app=web\\x1b]0;pwned\\x07')
  assert.match(out, 'note: first\\nError: fake second line', 'a newline in an annotation does not start a line of its own')
  assert.match(out, 'x\\u202e: y')
  assert.match(out, 'busybox\\u202e:1.36')
  assert.match(out, 'probe said \\x1b]8;;http://evil\\x07click')
  const cm = structuredClone(st.objects['ConfigMap/default/web-config']!)
  cm.data = {'app.conf': 'listen 8080\n\tkeepalive on\x1b[2J\n'}
  const data = renderDescribe(cm, st, NOW)
  assert.not.match(data, RAW_BLOCK)
  assert.match(data, 'app.conf:\n----\nlisten 8080\n\tkeepalive on\\x1b[2J\n', 'newlines and tabs of the data stay')
})

test('rollout history: a commit subject and author carrying OSC sequences are escaped', () => {
  const st = after()
  const rs = st.objects['ReplicaSet/default/web-5f4e3d2c']!
  rs.metadata.annotations = {...rs.metadata.annotations, 'tsctl.io/commit-subject': OSC, 'tsctl.io/commit-author': 'Mallory\u202e <m@example.com>'}
  const out = renderHistory('deployment.apps/web', revisionsOf(st.objects['Deployment/default/web']!, st))
  assert.not.match(out, RAW)
  assert.match(out, OSC_SHOWN)
  assert.match(out, 'Mallory\\u202e <m@example.com>')
  assert.match(out, 'first deploy of web', 'the harmless revision is unchanged')
})

test('errors: a host error quoting stderr with ESC is escaped, its lines kept, its JSON untouched', () => {
  const stderr = 'tsctl-runtime: mount failed\x1b[2J\x1b]0;pwned\x07\nsecond line\u009b'
  const r = renderError(new HostError('node-a', `tsctl-runtime status failed (exit 1): ${stderr}`), false)
  assert.not.match(r.text, RAW)
  assert.is(r.text, 'error: node-a: tsctl-runtime status failed (exit 1): tsctl-runtime: mount failed\\x1b[2J\\x1b]0;pwned\\x07\nsecond line\\x9b')
  assert.is(r.json.message, `node-a: tsctl-runtime status failed (exit 1): ${stderr}`, '-o json keeps the message: the serialiser escapes it')
  const u = renderError(new UserError(`git commit failed: ${stderr}`, 2, [{severity: 'error', file: 'manifests/\x1b[2Jweb.yaml', line: 3, col: 1, message: 'bad'}], 'hint\x1b[1m'), false)
  assert.not.match(u.text, RAW)
  assert.match(u.text, 'error: manifests/\\x1b[2Jweb.yaml:3:1: bad')
  assert.match(u.text, 'hint: hint\\x1b[1m')
  const internal = renderError(new Error('boom\x1b[2J'), true)
  assert.not.match(internal.text, RAW)
})

test('diagnostics: file, object, field, message and hint are escaped, one line each', () => {
  const s = formatDiagnostic({severity: 'warning', file: 'manifests/a\x1b[2J.yaml', line: 1, col: 2, object: 'Deployment/default/w\u202e', field: 'spec.x\ny', message: `unknown field "${OSC}"`, hint: 'did you mean \x9b?'})
  assert.not.match(s, RAW)
  assert.not.match(s, '\n')
  assert.is(s, `warning: manifests/a\\x1b[2J.yaml:1:2: Deployment/default/w\\u202e: spec.x\\ny: unknown field "${OSC_SHOWN}" (did you mean \\x9b?)`)
})

test('progress lines: subjects, host errors and probe messages are escaped before colour', () => {
  const t = Date.parse('2026-01-01T00:00:00Z')
  const c = {...commit, subject: OSC}
  const action = {type: 'create' as const, node: 'h1\x1b[2J', target: 'Pod/default/web\x1b[5m', reason: 'new pod \u202e'}
  const lines = [
    progressLine({type: 'sync-started', time: t, commit: c, nodes: ['h1\x1b[2J'], dryRun: false}, colour),
    progressLine({type: 'action-failed', time: t, pass: 1, action, error: 'host said \x1b]0;pwned\x07', ms: 3}, colour),
    progressLine({type: 'node-unreachable', time: t, pass: 1, node: 'h2', error: 'ssh: \x1b[2Jbanner'}, colour),
    progressLine({type: 'waiting', time: t, pass: 1, waitingFor: ['web-1: container c: CreateContainerConfigError: \x1b]0;pwned\x07']}, colour),
    progressLine({type: 'rollout-failed', time: t, pass: 1, workload: 'Deployment/default/web', message: 'exit message \x9b2J'}, colour),
    progressLine({type: 'lock-waiting', time: t, holder: 'mallory\x1b[2J@ci'}, colour),
  ]
  for (const l of lines) {
    assert.ok(l)
    // the palette's own SGR codes are the only escapes left
    assert.not.match(stripAnsi(l), RAW, JSON.stringify(l))
  }
  assert.match(stripAnsi(lines[0]!), `sync 1a2b3c4 "${OSC_SHOWN}" to 1 node(s): h1\\x1b[2J`)
  assert.match(stripAnsi(lines[1]!), 'h1\\x1b[2J create default/web\\x1b[5m FAILED: host said \\x1b]0;pwned\\x07')
})

test('sync summary: a failed host\'s error and the commit subject are escaped', () => {
  const r = {exitCode: 4, converged: false, commit: {...commit, subject: OSC}, passes: 1, message: 'stopped \x1b[2J',
    summary: {'h\x1b[2J': {created: 0, replaced: 0, deleted: 0, unchanged: 0, failed: 1}},
    failedNodes: [{node: 'h\x1b[2J', error: 'stderr: \x1b]0;pwned\x07'}], state: emptyState('l'), warnings: []} as SyncResult
  const out = stripAnsi(renderSyncSummary(r, colour))
  assert.not.match(out, RAW)
  assert.match(out, 'h\\x1b[2J: stderr: \\x1b]0;pwned\\x07')
  assert.match(out, OSC_SHOWN)
})

test('diff: a subject with C1 and bidi characters, which JSON.stringify leaves raw, is escaped', () => {
  const d = desired()
  d.commit = {...d.commit, subject: 'web\u009b2J \u202eevil'}
  const out = stripAnsi(renderDiffText(buildDiff({desired: d, before: before(), plan: plan(), after: after(), stuck: ['db-0: \x1b[2J'], steps: 1, offline: true, observedFrom: 'state'}), colour))
  assert.not.match(out, RAW)
  assert.match(out, 'Commit 1a2b3c4 "web\\x9b2J \\u202eevil"')
  assert.match(out, '! db-0: \\x1b[2J')
})

test('the live view: a node name and the subject are escaped, its own cursor codes are the only escapes', async () => {
  let out = ''
  const stream = {write: (x: string) => ((out += x), true), columns: 200} as unknown as NodeJS.WritableStream
  const live = new LiveProgress(stream, plain)
  live.onEvent({type: 'sync-started', time: 0, commit: {...commit, subject: OSC}, nodes: ['h1\x1b[2J'], dryRun: false})
  live.onEvent({type: 'action-failed', time: 0, pass: 1, action: {type: 'create', node: 'h1\x1b[2J', target: 'Pod/default/web', reason: ''}, error: 'boom \x1b]0;pwned\x07', ms: 1})
  live.finish()
  // the view moves its cursor with CSI A / CSI J; nothing else may be an escape
  const rest = out.replace(/\x1b\[\d+A\x1b\[0J/g, '')
  assert.not.match(rest, RAW_BLOCK)
  assert.match(rest, /h1\\x1b\[2J +FAILED create default\/web: boom \\x1b\]0;pwned\\x07/)
  assert.match(rest, OSC_SHOWN)
})

test('diff -o markdown: the subject and a pending pod\'s reason are escaped', () => {
  const d = desired()
  d.commit = {...d.commit, subject: OSC}
  const out = renderDiffMarkdown(buildDiff({desired: d, before: before(), plan: plan(), after: after(), stuck: [], steps: 1, offline: true, observedFrom: 'state'}))
  assert.not.match(out, RAW)
  assert.match(out, OSC_SHOWN)
})

test('state show: a lock holder written by another machine and the applied subject are escaped', () => {
  const st = before()
  st.appliedCommit = {...commit, subject: 'web\u009b2J', author: 'Mallory\x1b[2J'}
  const out = renderStateSummary('git (origin refs/tsctl/state)', st, {operation: 'tsctl sync\x1b[2J', holder: 'ci\x1b]0;pwned\x07@runner', pid: 1, host: 'runner', created: '2026-11-20T11:00:00Z', id: 'x'})
  assert.not.match(out, RAW)
  assert.match(out, 'held: "tsctl sync\\x1b[2J" by ci\\x1b]0;pwned\\x07@runner')
  assert.match(out, 'Applied:   1a2b3c4 "web\\x9b2J" (Mallory\\x1b[2J,')
})

test('watch records: a message quoting a subject is escaped', () => {
  const line = formatRecord({time: '2026-01-01T00:00:00.000Z', level: 'info', event: 'commit', message: `new commit abcdef12 "${OSC}"`}, colour)!
  assert.not.match(stripAnsi(line), RAW)
  assert.match(line, OSC_SHOWN)
})

test('-o yaml: js-yaml escapes C0, DEL and C1 itself (keys too), as the YAML output relies on', () => {
  const out = yaml.dump({subject: OSC, c1: 'a\u009b', del: 'b\x7f', ['k\x1b']: 'v', multi: 'a\nb\x1b'}, {noRefs: true})
  // eslint-disable-next-line no-control-regex
  assert.not.match(out, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/)
  assert.equal(yaml.load(out), {subject: OSC, c1: 'a\u009b', del: 'b\x7f', ['k\x1b']: 'v', multi: 'a\nb\x1b'}, 'and it round-trips')
})

test('terminalJson writes DEL, C1 and bidi controls as \\u escapes and parses back to the same value', () => {
  const v = {name: 'a\x7fb\x9bc\u202ed', n: 1}
  const out = terminalJson(v, 2)
  assert.not.match(out, /[\x7f-\x9f\u202e]/)
  assert.match(out, '\\u009b')
  assert.equal(JSON.parse(out), v)
})

test.run()
