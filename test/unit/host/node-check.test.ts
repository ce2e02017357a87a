// nodes check: every missing piece is named with what to do about it.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {judgeFacts} from '../../../src/host/node-check.js'

const good: Record<string, string> = {
  root: 'yes', overlay: 'yes', init: 'yes', arch: 'x86_64', cgroup_mode: 'hybrid', cgroup_cpu: '/sys/fs/cgroup/cpu', cgroup_memory: '/sys/fs/cgroup/memory', cgroup_pids: '/sys/fs/cgroup/pids',
  tool_nsenter: 'yes', tool_unshare: 'yes', tool_setsid: 'yes', tool_mount: 'yes', tool_umount: 'yes', tool_tar: 'yes', tool_mv: 'yes', tool_cksum: 'yes', memory_kb: '2000000',
}

test('a complete host is ready', () => {
  const r = judgeFacts('a', good)
  assert.equal(r.problems, [])
  assert.ok(r.ok)
})

test('each missing piece is a problem with an action', () => {
  const r = judgeFacts('a', {...good, overlay: 'no', tool_nsenter: 'no', cgroup_pids: '-', root: 'no'})
  assert.not.ok(r.ok)
  assert.is(r.problems.length, 4)
  assert.ok(r.problems.some((p) => p.includes('modprobe overlay')))
  assert.ok(r.problems.some((p) => p.includes('util-linux')))
  assert.ok(r.problems.some((p) => p.includes('pids controller')))
  assert.ok(r.problems.some((p) => p.includes('root')))
})

test('cgroup v2 without the memory controller', () => {
  const r = judgeFacts('a', {...good, cgroup_mode: 'v2', cgroup2_controllers: 'cpu,pids'})
  assert.equal(r.problems.length, 1)
  assert.match(r.problems[0], 'memory controller')
})

test.run()
