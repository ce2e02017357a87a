// test/fleet/up.sh and down.sh themselves: idempotence, growing and
// shrinking, healing, refusing bad input, leaving nothing behind, ShellCheck.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {fleetSkipReason, fleetUp, running} from './fleet.js'

const PREFIX = 'tsfs'
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..')
const up = join(root, 'test/fleet/up.sh')
const down = join(root, 'test/fleet/down.sh')
const skip = fleetSkipReason()

const netns = () => execFileSync('ip', ['netns', 'list']).toString().split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`${PREFIX}-`)).sort()
const links = () => execFileSync('ip', ['-o', 'link']).toString().split('\n').filter((l) => l.includes(` ${PREFIX}-`))
const ssh = (sshConfig: string, host: string) => spawnSync('ssh', ['-F', sshConfig, '-o', 'ConnectTimeout=3', host, 'hostname'], {encoding: 'utf8', timeout: 15_000})

test('ShellCheck finds nothing in the fleet scripts', () => {
  const sc = spawnSync('shellcheck', ['-x', 'test/fleet/up.sh', 'test/fleet/down.sh', 'test/fleet/lib.sh'], {cwd: root, encoding: 'utf8'})
  if (sc.error) {
    console.log('SKIP: shellcheck is not installed (apt-get install shellcheck)')
    return
  }
  assert.is(sc.status, 0, sc.stdout)
})

test('bad arguments are refused with a message and change nothing', () => {
  for (const args of [['0'], ['x'], ['2', '--prefix', 'Bad'], ['2', '--prefix', 'waytoolongprefix'], ['2', '--net', '7'], ['2', '--bogus']]) {
    const r = spawnSync(up, args, {encoding: 'utf8'})
    assert.is(r.status, 1, args.join(' '))
    assert.match(r.stderr, /^fleet: /)
  }
  assert.equal(netns(), [])
})

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('up.sh/down.sh on this machine')
} else {
  test.after(() => {
    spawnSync(down, ['--prefix', PREFIX])
  })

  test('up is idempotent, grows, heals, restarts and shrinks; down removes everything', async () => {
    const a = await fleetUp(2, PREFIX)
    const pids = a.hosts.map((h) => h.pid)
    const keys = a.hosts.map((h) => h.hostKey)
    const b = await fleetUp(2, PREFIX)
    assert.equal(b.hosts.map((h) => h.pid), pids, 'a second up leaves running hosts alone')
    assert.equal(b.hosts.map((h) => h.hostKey), keys)
    assert.is(b.subnet, a.subnet)

    const c = await fleetUp(3, PREFIX)
    assert.equal(c.hosts.slice(0, 2).map((h) => h.pid), pids)
    assert.equal(netns(), [`${PREFIX}-h1`, `${PREFIX}-h2`, `${PREFIX}-h3`])
    assert.is(readFileSync(c.knownHosts, 'utf8').trim().split('\n').length, 3)
    assert.is((readFileSync(c.nodes, 'utf8').match(/^kind: Node$/gm) ?? []).length, 3)

    await c.crash(1)
    await c.partition(2)
    assert.is.not(ssh(c.sshConfig, `${PREFIX}-h1`).status, 0)
    await c.restart()
    assert.is.not(c.hosts[0].pid, pids[0], 'the crashed host has a new sshd')
    assert.is(c.hosts[1].pid, pids[1])
    for (const h of c.hosts) assert.is(ssh(c.sshConfig, h.name).stdout.trim(), h.name)

    const d = await fleetUp(1, PREFIX)
    assert.equal(netns(), [`${PREFIX}-h1`])
    assert.ok(!running(c.hosts[2].pid))
    assert.not.ok(existsSync(join(d.dir, 'h3')))

    await d.down()
    assert.equal(netns(), [])
    assert.equal(links(), [])
    assert.not.ok(existsSync(d.dir))
    assert.ok(c.hosts.every((h) => !running(h.pid)))
    // and down with nothing up is fine
    assert.is(spawnSync(down, ['--prefix', PREFIX]).status, 0)
  })
}

test.run()
