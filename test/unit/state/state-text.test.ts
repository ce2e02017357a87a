// StateText: the state file's bytes are JSON.stringify(state, null, 2) + '\n'
// whatever the cache holds; an object's text is reused only when the caller
// promises it unchanged and it is the same object.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {KubeObject} from '../../../src/manifests/object.js'
import {emptyState, type State} from '../../../src/state/model.js'
import {StateText} from '../../../src/state/state-text.js'

const json = (s: unknown) => JSON.stringify(s, null, 2) + '\n'
const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: 'default', uid: `uid-${name}`, labels: {app: 'web'}}, spec: {nodeName: 'n1', containers: [{name: 'c', image: 'i', args: []}]}, ...extra})
const all = () => true

function full(): State {
  const s = emptyState('lineage-1')
  s.serial = 7
  s.appliedCommit = {sha: 'a'.repeat(40), subject: 'é "quoted" \n\t line', author: 'a', date: '2026-01-01T00:00:00Z'}
  s.objects['Pod/default/a'] = pod('a', {status: {phase: 'Running', conditions: []}})
  s.objects['Pod/default/b'] = pod('b', {status: {}})
  s.objects['ConfigMap/default/c'] = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'c', namespace: 'default'}, data: {'k\u2028': 'v\u0000\ud83d\ude00', empty: ''}}
  s.nodes.n1 = {name: 'n1', ready: true, capacity: {cpu: '2', memory: '1Gi', pods: '110'}}
  s.events.push({time: 't', type: 'Normal', reason: 'Started', object: 'Pod/default/a', message: 'm'})
  return s
}

test('the bytes are JSON.stringify(state, null, 2) + newline: empty and full states, odd values', () => {
  const cases: unknown[] = [
    emptyState('l'),
    full(),
    {...full(), objects: {}},
    {...full(), nodes: {}, events: []},
    // JSON leaves out undefined and functions, turns Dates into strings, keeps a "__proto__" key
    {...full(), appliedCommit: undefined, extra: () => 1, when: new Date(0), objects: {...full().objects, 'Pod/default/u': undefined, ['__proto__']: {x: 1}, 'Pod/default/d': {kind: 'Pod', t: new Date(0), n: NaN, nested: [[], {}, [1, [2, {}]]]}}},
    {},
    {objects: []},
  ]
  for (const s of cases) {
    const text = new StateText().render(s as State).toString()
    assert.is(text, json(s))
  }
})

test('a warm cache writes the same bytes as a cold one over a sequence of changes', () => {
  const t = new StateText()
  const s = full()
  assert.is(t.render(s).toString(), json(s))
  // added, removed, replaced objects (the hint names them), and an unchanged one reused
  s.objects['Pod/default/z'] = pod('z')
  delete s.objects['Pod/default/b']
  s.objects['Pod/default/a'] = pod('a', {status: {phase: 'Pending'}})
  const changed = new Set(['Pod/default/z', 'Pod/default/b', 'Pod/default/a'])
  assert.is(t.render(s, (k) => !changed.has(k)).toString(), json(s))
  s.objects = {}
  assert.is(t.render(s, all).toString(), json(s))
})

test('an object mutated in place is serialised again when the hint names it, or when there is no hint', () => {
  const t = new StateText()
  const s = full()
  t.render(s)
  const a = s.objects['Pod/default/a'] as KubeObject & {status: {phase: string; conditions: unknown[]}}
  // what recordOutcome does to a started pod: same object, new contents
  a.status.phase = 'Pending'
  a.status.conditions.push({type: 'PodScheduled', status: 'True'})
  assert.is(t.render(s, (k) => k !== 'Pod/default/a').toString(), json(s), 'named in the hint')
  a.status.phase = 'Running'
  assert.is(t.render(s).toString(), json(s), 'no hint')
})

test('an object promised unchanged is not serialised again; a replaced one is, whatever the promise', () => {
  let reads = 0
  const counted = (name: string) => {
    const o = pod(name) as KubeObject & {probe?: number}
    Object.defineProperty(o, 'probe', {enumerable: true, get: () => ++reads})
    return o
  }
  const t = new StateText()
  const s = full()
  s.objects['Pod/default/p'] = counted('p')
  t.render(s)
  assert.is(reads, 1)
  const text = t.render(s, all).toString()
  assert.is(reads, 1, 'the cached text was used')
  assert.match(text, '"probe": 1')
  // a new object under the same key (a reconcile replaced it) even though the caller says unchanged
  s.objects['Pod/default/p'] = counted('p')
  assert.match(t.render(s, all).toString(), '"probe": 2')
  assert.is(reads, 2)
})

test.run()
