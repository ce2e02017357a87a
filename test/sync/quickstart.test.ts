// The README's first set-up command, in a temp clone of this repository:
// build the example image into images/ (git-ignored, read from the clone on
// disk), `tsctl sync` the example app in manifests/ to this machine through
// the local transport, `tsctl get pods`; then the same sync again, which
// must change nothing and exit 0. A private runtime ROOT (TSCTL_ROOT) keeps
// it away from /var/lib/tsctl; every pod, mount and cgroup is removed after.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {RuntimeClient} from '../../src/host/runtime-client.js'
import {LocalTransport} from '../../src/transport/local.js'
import {bin} from '../cli/helpers/run.js'
import {repoRoot} from '../cli/helpers/output-schema.js'
import {leftovers} from '../host/_host.js'
import {localSkipReason} from './_local.js'

const skip = localSkipReason()
let clone = ''
let root = ''
let client: RuntimeClient

const env = () => {
  const e: NodeJS.ProcessEnv = {...process.env, TSCTL_ROOT: root}
  for (const k of ['FORCE_COLOR', 'NO_COLOR', 'TSCTL_DEBUG', 'TSCTL_NOW']) delete e[k]
  return e
}
const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, {cwd: clone, env: env(), encoding: 'utf8', timeout: 150_000})
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
}

test.before(() => {
  if (skip) return
  clone = mkdtempSync('/tmp/tss-quickstart-')
  root = mkdtempSync('/tmp/tss-qsroot-')
  execFileSync('git', ['clone', '-q', repoRoot, clone])
  // The example turns the pod network on; here it would put a bridge, NAT rules and a
  // dnsmasq into this machine's own network namespace, which tests never touch. The clone
  // drops `network:` (the example's network is tested in namespaces: e2e/network, host/net).
  const cfg = join(clone, 'tsctl.yaml')
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/^network:.*$/m, ''))
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@tsctl.test', '-c', 'commit.gpgsign=false', 'commit', '-qam', 'test: no pod network in the root namespace'], {cwd: clone})
  client = new RuntimeClient(new LocalTransport(), {root})
})

test.after(async () => {
  if (skip) return
  let left: string[] = []
  try {
    const cgroupParent = (await client.info()).cgroup_parent
    for (const p of await client.status()) await client.remove(p.uid, 0)
    await client.gc()
    left = leftovers(root, cgroupParent)
  } finally {
    rmSync(root, {recursive: true, force: true})
    rmSync(clone, {recursive: true, force: true})
  }
  assert.equal(left, [], 'nothing of the runtime ROOT is left')
})

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('quickstart')
} else {
  test('image:example, sync, get pods: the example app converges on this machine', async () => {
    const img = run(process.execPath, [join(repoRoot, 'scripts', 'build-example-image.mjs'), '.'])
    assert.is(img.code, 0, img.stderr)
    assert.is(run('git', ['status', '--porcelain']).stdout, '', 'images/ is git-ignored: the clone stays clean')

    const s = run(process.execPath, [bin, 'sync'])
    assert.is(s.code, 0, s.stdout + s.stderr)
    assert.match(s.stdout, /^local\s+5\s+0\s+0\s+0\s+0$/m)
    assert.match(s.stdout, 'converged')

    const g = run(process.execPath, [bin, 'get', 'pods'])
    assert.is(g.code, 0, g.stderr)
    const rows = g.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/))
    const byName = (re: RegExp) => rows.filter((r) => re.test(r[0]))
    assert.is(rows.length, 5, g.stdout)
    assert.is(byName(/^web-/).length, 2)
    for (const r of [...byName(/^web-/), ...byName(/^db-0$/), ...byName(/^node-agent-/)]) assert.equal(r.slice(1, 3), ['1/1', 'Running'], g.stdout)
    assert.ok(['Running', 'Completed'].includes(byName(/^migrate-/)[0][2]), g.stdout)

    const hostPods = await client.status()
    assert.is(hostPods.length, 5)
  })

  test('the same command again is a no-op: nothing created, replaced or deleted; exit 0', async () => {
    const before = (await client.status()).map((p) => `${p.uid} ${p.specHash}`).sort()
    const s = run(process.execPath, [bin, 'sync', '-o', 'json'])
    assert.is(s.code, 0, s.stdout + s.stderr)
    const doc = JSON.parse(s.stdout)
    assert.equal(doc.summary.local, {created: 0, replaced: 0, deleted: 0, unchanged: 5, failed: 0})
    assert.is(doc.passes, 1)
    assert.equal((await client.status()).map((p) => `${p.uid} ${p.specHash}`).sort(), before)
  })
}

test.run()
