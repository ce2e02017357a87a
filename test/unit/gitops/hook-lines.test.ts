// What `tsctl hook run` writes to the pusher (git relays it as `remote:`
// lines): a pushed subject, object names and hosts' errors escaped, no
// colour, one line per line.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {hookLine, hookOutcomeLine, hookProgressLine} from '../../../src/gitops/hook-lines.js'
import {formatDiagnostic} from '../../../src/errors.js'

// Everything but newline: C0 (ESC included, so colour would fail too), DEL, C1, the bidi overrides.
// eslint-disable-next-line no-control-regex
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/
const OSC = 'fix\x1b]0;pwned\x07\x1b[2J'
const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d'
const commit = {sha: SHA, subject: OSC, author: 'Mallory <m@example.com>', date: '2026-11-20T11:58:00Z'}
const t = Date.parse('2026-11-20T12:00:00Z')

test('the pushed subject in the rolled-out line is escaped', () => {
  const l = hookOutcomeLine(SHA, {converged: true, exitCode: 0, commit, failedNodes: []}, false)
  assert.is(l, 'tsctl: 1a2b3c4d "fix\\x1b]0;pwned\\x07\\x1b[2J" rolled out')
})

test('a failed rollout quotes hosts\' errors escaped, on one line', () => {
  const l = hookOutcomeLine(SHA, {converged: false, exitCode: 4, message: 'not every host \u202eapplied', commit, failedNodes: [{node: 'h1', error: 'tsctl-runtime: \x1b[2Jboom\nsecond'}]}, false)
  assert.not.match(l, RAW)
  assert.not.match(l, '\n')
  assert.is(l, 'tsctl: rollout of 1a2b3c4d did not converge: not every host \\u202eapplied (failed: h1: tsctl-runtime: \\x1b[2Jboom\\nsecond)')
  assert.is(hookOutcomeLine(SHA, {converged: false, exitCode: 5, commit, failedNodes: []}, true), 'tsctl: 1a2b3c4d superseded by a newer push after the current step')
})

test('progress lines are uncoloured and escaped: subject, node, pod, host error, probe message', () => {
  const lines = [
    hookProgressLine({type: 'sync-started', time: t, commit, nodes: ['h1'], dryRun: false}),
    hookProgressLine({type: 'action-failed', time: t, pass: 1, action: {type: 'create', node: 'h1', target: 'Pod/default/web\x1b[5m', reason: 'new pod'}, error: 'host: \x1b]0;pwned\x07', ms: 4}),
    hookProgressLine({type: 'waiting', time: t, pass: 1, waitingFor: ['web-1: container c: CreateContainerConfigError: \x9b2J']}),
    hookProgressLine({type: 'converged', time: t, passes: 1}),
  ]
  for (const l of lines) {
    assert.ok(l)
    assert.not.match(l, RAW, JSON.stringify(l))
  }
  assert.is(lines[0], '2026-11-20T12:00:00.000Z sync 1a2b3c4 "fix\\x1b]0;pwned\\x07\\x1b[2J" to 1 node(s): h1')
  assert.is(hookProgressLine({type: 'action-started', time: t, pass: 1, action: {type: 'create', node: 'h1', target: 'Pod/default/x', reason: ''}}), undefined)
})

test('the hook\'s own messages and the commit\'s warnings are escaped', () => {
  assert.is(hookLine('rolling out 1a2b3c4d of main'), 'tsctl: rolling out 1a2b3c4d of main')
  const w = hookLine(formatDiagnostic({severity: 'warning', file: 'manifests/\x1b[2J.yaml', line: 1, col: 1, message: `kind "${OSC}" is not run by tsctl; skipped`}))
  assert.not.match(w, RAW)
  assert.is(w, 'tsctl: warning: manifests/\\x1b[2J.yaml:1:1: kind "fix\\x1b]0;pwned\\x07\\x1b[2J" is not run by tsctl; skipped')
})

test.run()
