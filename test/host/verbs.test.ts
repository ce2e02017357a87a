// Every tsctl-runtime verb checks its arguments: called wrongly it says its
// usage on stderr and exits 2, before touching anything under the root.
import {readdirSync} from 'node:fs'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {testHost, type TestHost} from './_host.js'

let host: TestHost

test.before(async () => {
  host = await testHost()
})

test.after(async () => {
  assert.equal(await host.cleanup(), [])
})

const wrong: [string[], string][] = [
  [['info', 'extra'], 'info'],
  [['status', 'extra'], 'status'],
  [['gc', 'now'], 'gc'],
  [['layer-has'], 'layer-has DIGEST...'],
  [['layer-add'], 'layer-add DIGEST < TAR'],
  [['apply'], 'apply UID < BUNDLE.tar'],
  [['apply', 'a', 'b'], 'apply UID < BUNDLE.tar'],
  [['update-files', 'u1'], 'update-files UID VOLUME HASH < TAR'],
  [['stop'], 'stop UID [GRACE]'],
  [['stop', 'u1', '5', 'x'], 'stop UID [GRACE]'],
  [['remove'], 'remove UID [GRACE]'],
  [['remove-claim'], 'remove-claim NAME'],
  [['logs', 'u1'], 'logs UID CONTAINER [--all|--follow|--previous]'],
  [['logs', 'u1', 'c', '--tail'], 'logs UID CONTAINER [--all|--follow|--previous]'],
  [['exec', 'u1', 'c'], 'exec UID CONTAINER ARG...'],
  [['cgroup-limits', 'v2'], 'cgroup-limits v1|v2 DIR LIMITSFILE'],
]

for (const [argv, usage] of wrong) {
  test(`tsctl-runtime ${argv.join(' ')}: usage, exit 2`, async () => {
    const before = readdirSync(host.root).sort()
    const r = await host.client.run(argv)
    assert.is(r.code, 2, r.stderr)
    assert.is(r.stderr.trim(), `usage: tsctl-runtime [--root DIR] ${usage}`)
    assert.equal(readdirSync(host.root).sort(), before, 'nothing created under the root')
  })
}

test('an unknown verb is exit 2 and points at help', async () => {
  const r = await host.client.run(['aply', 'u1'])
  assert.is(r.code, 2)
  assert.match(r.stderr, /unknown verb aply \(try: tsctl-runtime help\)/)
})

test('help lists every verb the dispatcher knows', async () => {
  const r = await host.client.run(['help'])
  assert.is(r.code, 0)
  for (const v of ['info', 'layer-has', 'layer-add', 'apply', 'status', 'stop', 'remove', 'logs', 'exec', 'update-files', 'gc', 'image-add', 'image-gc', 'cgroup-limits']) assert.ok(r.stdout.toString().includes(v), v)
})

test.run()
