import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {CAPABILITIES, DEFAULT_CAPABILITIES, resolveCapabilities} from '../../../src/host/bundle/capabilities.js'

test('no capabilities asked: the default set', () => {
  assert.equal(resolveCapabilities(undefined).names.sort(), [...DEFAULT_CAPABILITIES].sort())
})

test('names are case-insensitive with or without CAP_, adds before drops', () => {
  const r = resolveCapabilities({add: ['net_admin', 'CAP_SYS_TIME'], drop: ['cap_chown', 'NET_ADMIN']})
  assert.ok(r.names.includes('SYS_TIME'))
  assert.not.ok(r.names.includes('NET_ADMIN'), 'a name both added and dropped is dropped (containerd)')
  assert.not.ok(r.names.includes('CHOWN'))
  assert.equal(r.unknown, [])
})

test('ALL: add ALL then drop one; drop ALL then add one', () => {
  assert.equal(resolveCapabilities({add: ['ALL'], drop: ['MKNOD']}).names.length, CAPABILITIES.size - 1)
  assert.equal(resolveCapabilities({drop: ['ALL'], add: ['NET_BIND_SERVICE']}).names, ['NET_BIND_SERVICE'])
  assert.equal(resolveCapabilities({drop: ['all']}).names, [])
})

test('sorted by number; unknown names reported once', () => {
  const r = resolveCapabilities({add: ['SYS_ADMIN', 'NET_ADMN', 'NET_ADMN'], drop: ['ALL']})
  assert.equal(r.names, ['SYS_ADMIN'])
  assert.equal(r.unknown, ['NET_ADMN'])
  assert.is(CAPABILITIES.get('CHECKPOINT_RESTORE'), 40)
})

test.run()
