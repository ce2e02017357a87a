// The SSH control directory: one per-user root, 0700 and owned by the user
// (refused otherwise), one subdirectory per transport, and the leftovers of
// dead processes swept by the next run.
import {spawnSync} from 'node:child_process'
import {chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {UserError} from '../../../src/errors.js'
import {newControlDir, sharedControlDir, sweepControlRoot} from '../../../src/transport/control-dir.js'
import {sshOptionsFromEnv} from '../../../src/transport/index.js'

const base = mkdtempSync(join(tmpdir(), 'tsctl-ctl-'))
test.after(() => rmSync(base, {recursive: true, force: true}))
const env = (root: string) => ({...process.env, TSCTL_SSH_CONTROL_DIR: root})

test('the root is made 0700; each transport gets its own <pid>-<random> directory in it', () => {
  const root = join(base, 'fresh')
  const a = newControlDir(env(root))
  const b = newControlDir(env(root))
  assert.is(statSync(root).mode & 0o777, 0o700)
  assert.is.not(a, b)
  for (const d of [a, b]) assert.match(d, new RegExp(`^${root}/${process.pid}-`))
})

test('a root that is group/world accessible, a symlink, or someone else\'s is refused with what to do', () => {
  const open = join(base, 'open')
  mkdirSync(open, {mode: 0o700})
  chmodSync(open, 0o755)
  assert.throws(() => newControlDir(env(open)), (e: unknown) => e instanceof UserError && /mode 755/.test(e.message) && /TSCTL_SSH_CONTROL_DIR/.test(e.hint ?? ''))
  const link = join(base, 'link')
  symlinkSync(open, link)
  assert.throws(() => newControlDir(env(link)), (e: unknown) => e instanceof UserError && /a symlink/.test(e.message))
  if (process.getuid?.() === 0) {
    const theirs = join(base, 'theirs')
    mkdirSync(theirs, {mode: 0o700})
    chownSync(theirs, 65534, 65534)
    assert.throws(() => newControlDir(env(theirs)), (e: unknown) => e instanceof UserError && /owned by uid 65534/.test(e.message))
  }
})

test('directories of dead processes are swept; live ones stay', () => {
  const root = join(base, 'sweep')
  mkdirSync(root, {mode: 0o700})
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!
  mkdirSync(join(root, `${dead}-abc`))
  mkdirSync(join(root, `${process.pid}-mine`))
  mkdirSync(join(root, `1-init`))
  assert.equal(sweepControlRoot(root), [`${dead}-abc`])
  assert.not.ok(existsSync(join(root, `${dead}-abc`)))
  assert.ok(existsSync(join(root, `${process.pid}-mine`)))
  assert.ok(existsSync(join(root, '1-init')), 'pid 1 is alive')
})

test('a shared master gets m-<key> under the checked root; its empty directory is swept after 10 minutes, one with a socket never', () => {
  const root = join(base, 'shared')
  const a = sharedControlDir('0123456789abcdef', env(root))
  assert.is(a, join(root, 'm-0123456789abcdef'))
  assert.is(statSync(a).mode & 0o777, 0o700)
  assert.is(sharedControlDir('0123456789abcdef', env(root)), a, 'the same key, the same directory')
  assert.throws(() => sharedControlDir('../x', env(root)), /bad shared control key/)
  const busy = sharedControlDir('fedcba9876543210', env(root))
  writeFileSync(join(busy, 'cm'), '')
  const recent = sharedControlDir('00000000000000aa', env(root))
  const old = new Date(Date.now() - 11 * 60_000)
  for (const d of [a, busy]) utimesSync(d, old, old)
  assert.equal(sweepControlRoot(root).sort(), ['m-0123456789abcdef'])
  assert.ok(existsSync(busy), 'a socket: its master may still run')
  assert.ok(existsSync(recent), 'just made: a run may be about to start its master')
})

test('TSCTL_SSH_PERSIST: unset shares masters for 60 s, 0 turns it off, N sets the idle seconds, anything else is exit 2', () => {
  assert.equal(sshOptionsFromEnv({}), {persist: true, controlPersistS: 60})
  assert.equal(sshOptionsFromEnv({TSCTL_SSH_PERSIST: '0'}), {persist: false})
  assert.equal(sshOptionsFromEnv({TSCTL_SSH_PERSIST: '300'}), {persist: true, controlPersistS: 300})
  assert.throws(() => sshOptionsFromEnv({TSCTL_SSH_PERSIST: '1m'}), (e: unknown) => e instanceof UserError && /TSCTL_SSH_PERSIST/.test(e.message) && /0/.test(e.hint ?? ''))
})

test.run()
