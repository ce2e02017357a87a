// The small parts of the sync loop: coalesced state writes with rising
// serials, duration flags, the "nothing can move" check, what an action
// leaves in the state, and the progress renderers.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {KubeObject} from '../../../src/manifests/object.js'
import type {LockInfo, StateBackend} from '../../../src/state/backend.js'
import {emptyState, type State} from '../../../src/state/model.js'
import {StateWriter} from '../../../src/sync/state-writer.js'
import {parseDuration} from '../../../src/sync/duration.js'
import {inProgress} from '../../../src/sync/settle.js'
import {recordOutcome} from '../../../src/sync/record.js'
import {progressLine} from '../../../src/render/progress-lines.js'
import {LiveProgress} from '../../../src/render/progress-live.js'
import {renderSyncSummary} from '../../../src/render/progress-summary.js'
import {palette} from '../../../src/render/color.js'
import {UserError} from '../../../src/errors.js'
import type {SyncResult} from '../../../src/sync/sync.js'

class MemoryBackend implements StateBackend {
  writes: number[] = []
  stored: State | null = null
  describe() { return 'memory' }
  async read() { return this.stored }
  async write(s: State) {
    if (this.stored && s.serial <= this.stored.serial) throw new Error('serial not newer')
    await new Promise((r) => setTimeout(r, 5))
    this.writes.push(s.serial)
    this.stored = JSON.parse(JSON.stringify(s))
  }
  async lock(): Promise<LockInfo> { throw new Error('unused') }
  async unlock() { return null }
  async lockInfo() { return null }
}

test('StateWriter: serials rise by one per write; requests made while one waits share it', async () => {
  const b = new MemoryBackend()
  const w = new StateWriter(b, emptyState('l'), null)
  // requests made before a write starts share it
  await Promise.all([w.write(), w.write()])
  assert.equal(b.writes, [1])
  const second = w.write()
  await new Promise((r) => setTimeout(r, 1))
  // these three arrive while the second is in flight: one more write serves them all
  await Promise.all([w.write(), w.write(), w.write(), second])
  assert.equal(b.writes, [1, 2, 3])
  w.state.events.push({time: 'now', type: 'Normal', reason: 'X', object: 'Pod/default/a', message: 'm'})
  await w.write()
  assert.equal(b.writes, [1, 2, 3, 4])
  assert.is(b.stored!.events.length, 1)
  assert.is(w.serial, 4)
})

test('StateWriter hints: the keys named since the last write, none after set(), a bare write() or a failure', async () => {
  const hints: (string[] | undefined)[] = []
  let fail = false
  const b: StateBackend = {
    describe: () => 'recording',
    read: async () => null,
    write: async (_s, hint) => {
      hints.push(hint?.changed && [...hint.changed].sort())
      await new Promise((r) => setTimeout(r, 5))
      if (fail) throw new Error('refused')
    },
    lock: async () => { throw new Error('unused') },
    unlock: async () => null,
    lockInfo: async () => null,
  }
  const w = new StateWriter(b, emptyState('l'), null)
  await w.write(['Pod/default/a'])
  assert.equal(hints, [undefined], 'the first write: the backend has not seen these objects')
  await w.write(['Pod/default/a'])
  const second = w.write(['Pod/default/b'])
  await new Promise((r) => setTimeout(r, 1))
  // named while the second is in flight: all go to the third
  await Promise.all([w.write(['Pod/default/c']), w.write(['Pod/default/d', 'Pod/default/c']), second])
  assert.equal(hints.slice(1), [['Pod/default/a'], ['Pod/default/b'], ['Pod/default/c', 'Pod/default/d']])
  w.set({...w.state})
  await w.write(['Pod/default/e'])
  await w.write([])
  await w.write()
  assert.equal(hints.slice(4), [undefined, [], undefined])
  fail = true
  await w.write(['Pod/default/f']).then(() => assert.unreachable('refused'), () => {})
  fail = false
  await w.write(['Pod/default/g'])
  await w.write(['Pod/default/h'])
  assert.equal(hints.slice(7), [['Pod/default/f'], undefined, ['Pod/default/h']])
})

test('parseDuration: seconds, units, sums; a UserError otherwise', () => {
  assert.is(parseDuration('90', 'timeout'), 90_000)
  assert.is(parseDuration('500ms', 'timeout'), 500)
  assert.is(parseDuration('1m30s', 'timeout'), 90_000)
  assert.is(parseDuration('2h', 'timeout'), 7_200_000)
  assert.throws(() => parseDuration('soon', 'timeout'), (e: Error) => e instanceof UserError && /--timeout/.test(e.message))
})

const pod = (name: string, node: string, status: Record<string, unknown>, meta: Partial<KubeObject['metadata']> = {}): KubeObject =>
  ({apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: 'default', uid: name, ...meta}, spec: {nodeName: node}, status})
const ready = {phase: 'Running', conditions: [{type: 'Ready', status: 'True'}]}

test('inProgress: a not-ready or terminating pod on a healthy node is progress; bad nodes and finished pods are not', () => {
  const s = emptyState('l')
  s.objects['Pod/default/a'] = pod('a', 'n1', ready)
  s.objects['Pod/default/b'] = pod('b', 'n2', {phase: 'Pending'})
  s.objects['Pod/default/j'] = pod('j', 'n1', {phase: 'Succeeded'})
  assert.is(inProgress(s, new Set(['n2'])), false)
  assert.is(inProgress(s, new Set(['n3'])), true)
  s.objects['Pod/default/c'] = pod('c', 'n1', ready, {deletionTimestamp: '2026-01-01T00:00:00Z'})
  assert.is(inProgress(s, new Set(['n2'])), true)
})

test('recordOutcome: events for what happened; a started pod is Pending and scheduled until observed', () => {
  const s = emptyState('l')
  s.objects['Pod/default/a'] = {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'a', namespace: 'default', uid: 'u1'}, spec: {nodeName: 'n1'}}
  const a = {type: 'create' as const, node: 'n1', target: 'Pod/default/a', pod: s.objects['Pod/default/a'], specHash: 'abcdef0123', reason: 'new'}
  recordOutcome(s, a, {ok: true, result: 'started', layersSent: ['sha256:x'], ms: 3}, Date.parse('2026-01-01T00:00:00Z'))
  assert.equal(s.events.map((e) => e.reason), ['Pulled', 'Started'])
  assert.is((s.objects['Pod/default/a'] as {status?: {phase: string}}).status!.phase, 'Pending')
  recordOutcome(s, {type: 'delete', node: 'n1', target: 'Pod/default/b', uid: 'u2', gracePeriodSeconds: 30, reason: 'scale down'}, {ok: false, error: 'boom', ms: 1}, 0)
  assert.equal(s.events[2], {time: '1970-01-01T00:00:00.000Z', type: 'Warning', reason: 'FailedKill', object: 'Pod/default/b', message: 'n1: boom'})
})

const plain = palette(false)
const commit = {sha: 'abcdef1234567', subject: 'scale web', author: 'Ada', date: '2026-01-01T00:00:00Z'}

test('plain progress lines are timestamped and name node, action and pod', () => {
  const t = Date.parse('2026-01-01T00:00:00Z')
  assert.is(progressLine({type: 'action-done', time: t, pass: 1, action: {type: 'create', node: 'h1', target: 'Pod/default/web-1', reason: 'new pod of Deployment/default/web'}, result: 'started', ms: 12}, plain),
    '2026-01-01T00:00:00.000Z h1 create default/web-1 12 ms — new pod of Deployment/default/web')
  assert.match(progressLine({type: 'node-unreachable', time: t, pass: 1, node: 'h2', error: 'connection refused'}, plain)!, 'h2: unreachable: connection refused')
  assert.is(progressLine({type: 'action-started', time: t, pass: 1, action: {type: 'create', node: 'h1', target: 'Pod/default/x', reason: ''}}, plain), undefined)
})

test('the summary table has a row per host and says how it ended', () => {
  const r = {exitCode: 4, converged: false, commit, passes: 3, message: '1 node(s) failed or unreachable; the others are applied',
    summary: {h1: {created: 2, replaced: 0, deleted: 1, unchanged: 4, failed: 0}, h2: {created: 0, replaced: 0, deleted: 0, unchanged: 0, failed: 1}},
    failedNodes: [{node: 'h2', error: 'connection refused'}], state: emptyState('l'), warnings: []} as SyncResult
  const out = renderSyncSummary(r, plain)
  assert.match(out, /^NODE\s+CREATED\s+REPLACED\s+DELETED\s+UNCHANGED\s+FAILED\nh1\s+2\s+0\s+1\s+4\s+0\nh2\s+0\s+0\s+0\s+0\s+1\n/)
  assert.match(out, 'h2: connection refused')
  assert.match(out, 'exit 4')
})

test('the live view redraws its lines in place and leaves the last state on screen', async () => {
  let out = ''
  const stream = {write: (s: string) => ((out += s), true), columns: 80} as unknown as NodeJS.WritableStream
  const live = new LiveProgress(stream, plain)
  const t = 0
  live.onEvent({type: 'sync-started', time: t, commit, nodes: ['h1', 'h2'], dryRun: false})
  live.onEvent({type: 'pass-started', time: t, pass: 1, actions: 2, perNode: {h1: 2}})
  live.onEvent({type: 'action-done', time: t, pass: 1, action: {type: 'create', node: 'h1', target: 'Pod/default/web-1', reason: ''}, result: 'started', ms: 5})
  await new Promise((r) => setTimeout(r, 150))
  const drawn = out
  assert.match(drawn, /h1\s+\[1\/2\] create default\/web-1/)
  live.onEvent({type: 'converged', time: t, passes: 1})
  live.finish()
  assert.match(out.slice(drawn.length), '\x1b[3A\x1b[0J', 'the 3 lines (2 hosts + status) are redrawn in place')
  assert.match(out, 'converged after 1 pass(es)')
})

test.run()
