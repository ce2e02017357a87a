// The status line format round-trips into ObservedPod.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {parseCapacity, parseStatus} from '../../../src/host/status-lines.js'

test('pods, init and app containers, volumes; names decoded; unknown lines ignored', () => {
  const text = [
    'node 2 1000',
    'pod u1 default web%20%24(x) abc Running 1 1700000000000 1699999999000',
    'ctr u1 init setup terminated Completed 0 0 0 1699999999000 1699999999500 Completed 0',
    'ctr u1 app app running - - 2 1 1700000000000 - OOMKilled 137',
    'vol u1 00 deadbeefdeadbeef cfg%20x',
    'future line kinds are ignored',
    'pod u2 kube-system dns h2 Pending 0 - -',
    '',
  ].join('\n')
  const pods = parseStatus(text)
  assert.is(pods.length, 2)
  const [a, b] = pods
  assert.equal(a, {
    uid: 'u1', namespace: 'default', name: 'web $(x)', specHash: 'abc', phase: 'Running', ready: true, readySince: 1700000000000, startedAt: 1699999999000,
    initContainers: [{name: 'setup', state: 'terminated', reason: 'Completed', exitCode: 0, restartCount: 0, ready: false, startedAt: 1699999999000, finishedAt: 1699999999500, lastTerminationReason: 'Completed', lastExitCode: 0}],
    containers: [{name: 'app', state: 'running', reason: undefined, exitCode: undefined, restartCount: 2, ready: true, startedAt: 1700000000000, finishedAt: undefined, lastTerminationReason: 'OOMKilled', lastExitCode: 137}],
    volumeHashes: {'cfg x': 'deadbeefdeadbeef'},
  })
  assert.is(b.phase, 'Pending')
  assert.is(b.readySince, undefined)
  assert.equal(b.containers, [])
})

test('the node line gives the capacity', () => {
  assert.equal(parseCapacity('node 2 24684084\npod u x y h Running 0 - -\n'), {cpu: '2', memory: '24684084Ki', pods: '110'})
  assert.is(parseCapacity('pod u x y h Running 0 - -'), undefined)
})

test('an unknown phase is Unknown', () => {
  assert.is(parseStatus('pod u x y h Exploded 0 - -')[0].phase, 'Unknown')
})

test.run()
