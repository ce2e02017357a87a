// tsctl-init is static for amd64 and, where the cross compiler exists, arm64;
// the arm64 build runs under qemu-user-static.
import {existsSync, readFileSync} from 'node:fs'
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {runtimeSourceDir} from '../../src/host/runtime-client.js'

const bin = join(runtimeSourceDir(), 'bin')
const elf = (p: string) => readFileSync(p).subarray(0, 64)

test('amd64 tsctl-init is a static ELF that runs', () => {
  const p = join(bin, 'tsctl-init-amd64')
  assert.ok(existsSync(p), 'built by npm run build:init')
  const h = elf(p)
  assert.is(h.readUInt16LE(18), 62, 'EM_X86_64')
  const file = spawnSync('file', [p], {encoding: 'utf8'}).stdout
  if (file) assert.match(file, 'statically linked')
  assert.is(spawnSync(p, ['sleep', '1']).status, 0)
})

const arm = join(bin, 'tsctl-init-arm64')
const qemu = ['qemu-aarch64-static', 'qemu-aarch64'].find((q) => spawnSync('sh', ['-c', `command -v ${q}`]).status === 0)
const armSkip = !existsSync(arm) ? 'no arm64 build (aarch64-linux-gnu-gcc not installed)' : !qemu ? 'qemu-user-static is not installed' : ''
if (armSkip) console.log(`SKIP: arm64 tsctl-init: ${armSkip}`)

;(armSkip ? test.skip : test)('arm64 tsctl-init is a static aarch64 ELF that runs under qemu', () => {
  assert.is(elf(arm).readUInt16LE(18), 183, 'EM_AARCH64')
  const r = spawnSync(qemu!, [arm, 'sleep', '1'])
  assert.is(r.status, 0, String(r.stderr))
  const bad = spawnSync(qemu!, [arm, 'no-such-verb'], {encoding: 'utf8'})
  assert.is(bad.status, 127)
  assert.match(bad.stderr, 'unknown command')
})

test.run()
