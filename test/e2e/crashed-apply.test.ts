// A host that crashed while `tsctl-runtime apply` ran leaves a pod with its
// bundle but no supervisor and no phase: status must say Unknown (so sync
// applies it again), not Pending forever; while an apply runs it is Pending.
// Found by faults.test.ts (a host crashed mid-sync, then the next sync timed out).
import {spawn} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {pod, testHost, type TestHost} from '../host/_host.js'
import {testUnless} from '../fixtures/skip.js'

const skip = process.getuid?.() !== 0 ? 'the runtime needs root' : undefined
const maybe = testUnless(skip, 'crashed-apply')
let host: TestHost

test.before(async () => {
  if (!skip) host = await testHost()
})
test.after(async () => {
  if (host) assert.equal(await host.cleanup(), [])
})

maybe('a pod left half-applied by a crash reads Unknown; one being applied reads Pending', async () => {
  const uid = await host.apply(pod('half', [{command: ['sleep', '1000']}]))
  await host.client.stop(uid, 0)
  const dir = `${host.root}/pods/${uid}`
  // as after a crash between "bundle in place" and "supervisor started"
  for (const f of ['phase', 'stop', 'supervisor.pid']) rmSync(`${dir}/${f}`, {force: true})
  writeFileSync(`${dir}/applying`, '999999\n')
  assert.is((await host.pod(uid))!.phase, 'Unknown')
  // a live process that is not an apply (a reused pid after a reboot) does not count
  const other = spawn('sleep', ['30'], {stdio: 'ignore'})
  try {
    writeFileSync(`${dir}/applying`, `${other.pid}\n`)
    assert.is((await host.pod(uid))!.phase, 'Unknown')
  } finally {
    other.kill('SIGKILL')
  }
  // an apply in progress
  const applying = spawn('sh', ['-c', 'sleep 30; true', 'tsctl-runtime-apply'], {stdio: 'ignore'})
  try {
    writeFileSync(`${dir}/applying`, `${applying.pid}\n`)
    assert.ok(readFileSync(`/proc/${applying.pid}/cmdline`, 'utf8').includes('apply'))
    assert.is((await host.pod(uid))!.phase, 'Pending')
  } finally {
    applying.kill('SIGKILL')
  }
})

test.run()
