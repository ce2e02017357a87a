import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {age, humanDuration} from '../../../src/render/age.js'
import {renderDescribe} from '../../../src/render/describe.js'
import {renderHistory, revisionsOf} from '../../../src/render/history.js'
import {podStatus} from '../../../src/render/kube.js'
import {SENSITIVE, maskObject, maskState} from '../../../src/render/mask.js'
import {renderResourceTable} from '../../../src/render/resource-table.js'
import {renderTable} from '../../../src/render/table.js'
import {NOW, after, before} from './fixtures.js'
import {golden} from './golden.js'

const s = 1000
test('ages print like kubectl', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'], [59 * s, '59s'], [119 * s, '119s'], [120 * s, '2m'], [200 * s, '3m20s'], [15 * 60 * s, '15m'], [179 * 60 * s, '179m'],
    [3 * 3600 * s, '3h'], [5 * 3600 * s + 12 * 60 * s, '5h12m'], [20 * 3600 * s, '20h'], [2 * 86400 * s, '2d'], [3 * 86400 * s + 4 * 3600 * s, '3d4h'],
    [12 * 86400 * s, '12d'], [800 * 86400 * s, '2y70d'], [9 * 366 * 86400 * s, '9y'], [-5 * s, '<invalid>'],
  ]
  for (const [ms, want] of cases) assert.is(humanDuration(ms), want, `${ms} ms`)
  assert.is(age(undefined, NOW), '<unknown>')
  assert.is(age('2026-11-20T11:55:00Z', NOW), '5m')
})

test('tables align columns with three spaces and no trailing blanks', () => {
  assert.is(renderTable(['NAME', 'READY'], [['a', '1/1'], ['longer-name', '0/1']]), 'NAME          READY\na             1/1\nlonger-name   0/1\n')
})

test('pod status follows kubectl: waiting reason, init progress, terminating', () => {
  const st = before()
  assert.is(podStatus(st.objects['Pod/default/web-6b7c8d9f-fghij']!), 'CrashLoopBackOff')
  assert.is(podStatus(st.objects['Pod/default/db-0']!), 'Running')
  const p = structuredClone(st.objects['Pod/default/db-0']!)
  p.metadata.deletionTimestamp = '2026-11-20T11:59:00Z'
  assert.is(podStatus(p), 'Terminating')
  const init = structuredClone(st.objects['Pod/default/db-0']!)
  ;(init.spec as Record<string, unknown>).initContainers = [{name: 'a'}, {name: 'b'}]
  ;(init.status as Record<string, unknown>).initContainerStatuses = [{name: 'a', state: {terminated: {exitCode: 0}}}, {name: 'b', state: {running: {}}}]
  assert.is(podStatus(init), 'Init:1/2')
})

const pods = (st = before()) => Object.values(st.objects).filter((o) => o.kind === 'Pod').sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))

test('golden: get pods, -o wide, -A', () => {
  const nodes = before().nodes
  golden('get-pods.txt', renderResourceTable('Pod', pods(), {wide: false, withNamespace: false, now: NOW}))
  golden('get-pods-wide-all.txt', renderResourceTable('Pod', pods(after()), {wide: true, withNamespace: true, now: NOW, nodes}))
})

test('golden: get of every kind in the fixture', () => {
  const st = after()
  let out = ''
  for (const kind of ['Deployment', 'ReplicaSet', 'StatefulSet', 'Service', 'ConfigMap', 'Secret', 'Node']) {
    const objs = Object.values(st.objects).filter((o) => o.kind === kind).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)).map(maskObject)
    out += `## ${kind}\n` + renderResourceTable(kind, objs, {wide: true, withNamespace: false, now: NOW, nodes: st.nodes})
  }
  golden('get-kinds.txt', out)
})

test('golden: describe pod (with events), deployment, secret, node', () => {
  const st = before()
  const out = ['Pod/default/web-6b7c8d9f-abcde', 'Deployment/default/web', 'Secret/default/db', 'Node/node-a'].map((k) => renderDescribe(st.objects[k]!, st, NOW)).join('\n---\n')
  assert.not.match(out, 'b2xkLXNlY3JldA')
  assert.match(out, 'Successfully assigned default/web-6b7c8d9f-abcde to node-a')
  golden('describe.txt', out)
})

test('describe a pending pod says why', () => {
  const st = after()
  const out = renderDescribe(st.objects['Pod/default/web-5f4e3d2c-uvwxy']!, st, NOW)
  assert.match(out, 'Reason:')
  assert.match(out, '0/2 nodes are available: 2 Insufficient cpu.')
})

test('rollout history lists revisions oldest first with their commits', () => {
  const st = after()
  const revs = revisionsOf(st.objects['Deployment/default/web']!, st)
  assert.equal(revs.map((r) => [r.revision, r.commit?.sha.slice(0, 7)]), [[1, '0f9e8d7'], [2, '1a2b3c4']])
  golden('rollout-history.txt', renderHistory('deployment.apps/web', revs))
})

test('masking: secret data and last-applied annotations, nothing else', () => {
  const st = before()
  const sec = structuredClone(st.objects['Secret/default/db']!)
  sec.metadata.annotations = {'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"b2xk"}}', keep: 'me'}
  sec.stringData = {token: 'plain'}
  const m = maskObject(sec)
  assert.equal(m.data, {password: SENSITIVE, user: SENSITIVE})
  assert.equal(m.stringData, {token: SENSITIVE})
  assert.is(m.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration'], SENSITIVE)
  assert.is(m.metadata.annotations!.keep, 'me')
  assert.is((sec.data as Record<string, string>).password, 'b2xkLXNlY3JldA==', 'the original is not modified')
  const cm = st.objects['ConfigMap/default/web-config']!
  assert.is(maskObject(cm), cm)
  assert.not.match(JSON.stringify(maskState(st)), 'b2xkLXNlY3JldA')
})

test.run()
