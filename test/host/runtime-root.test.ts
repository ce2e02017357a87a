// Root runs what sits under the runtime root: a root a local user can write
// (or any directory above it they can rename) is refused before anything runs.
import {chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {loadRuntimeFiles, RuntimeClient} from '../../src/host/runtime-client.js'
import {LocalTransport} from '../../src/transport/local.js'

const base = mkdtempSync('/tmp/tsctl-rootchk-')
test.after(() => rmSync(base, {recursive: true, force: true}))

async function refusal(root: string): Promise<string> {
  try {
    await new RuntimeClient(new LocalTransport(), {root}).ensureInstalled()
    return ''
  } catch (e) {
    return (e as Error).message
  }
}

test('a fresh root is made 0700 and the runtime installed; the same root is accepted again', async () => {
  const root = join(base, 'fresh')
  assert.is(await refusal(root), '')
  assert.is(statSync(root).mode & 0o777, 0o700)
  assert.is(await refusal(root), '')
})

test('a world-writable root, one owned by another user, and one under a non-sticky world-writable directory are refused', async () => {
  const open = join(base, 'open')
  mkdirSync(open)
  chmodSync(open, 0o777)
  assert.match(await refusal(open), `${open} is writable by others (mode 777)`)
  const user = join(base, 'user')
  mkdirSync(user)
  chownSync(user, 1000, 1000)
  assert.match(await refusal(user), `${user} is owned by uid 1000, not by root`)
  assert.match(await refusal(join(open, 'root')), `${open} is writable by others`)
  assert.match(await refusal(join(open, 'root')), 'use a root-owned directory')
})

test('a tsctl-runtime planted by a local user in an installed root is refused, not run', async () => {
  const root = join(base, 'planted')
  mkdirSync(root, {mode: 0o700})
  const dir = join(root, 'runtime', loadRuntimeFiles().hash)
  mkdirSync(dir, {recursive: true})
  const marker = join(base, 'ran')
  writeFileSync(join(dir, 'tsctl-runtime'), `#!/bin/sh\ntouch ${marker}\n`, {mode: 0o755})
  chownSync(join(dir, 'tsctl-runtime'), 1000, 1000)
  assert.match(await refusal(root), `tsctl-runtime is owned by uid 1000, not by root`)
  assert.throws(() => statSync(marker), 'the planted script never ran')
})

test.run()
