// tsctl sync across a real 3-host fleet (test/fleet/up.sh, prefix tss): the
// example app converges across the hosts, `get pods -o wide` shows the
// placement the scheduler made and the hosts really run it, a second sync
// changes nothing; a crashed host is not fatal (exit 4, the others applied)
// and the sync after it comes back converges.
import {spawnSync} from 'node:child_process'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {loadDesired} from '../../src/manifests/load.js'
import {converge} from '../../src/reconcile/converge.js'
import type {Observed} from '../../src/reconcile/observed.js'
import {emptyState} from '../../src/state/model.js'
import {RuntimeClient} from '../../src/host/runtime-client.js'
import {SshTransport} from '../../src/transport/ssh.js'
import type {ObservedPod} from '../../src/reconcile/observed.js'
import {buildBusyboxLayout} from '../fixtures/busybox-image.js'
import {type Fleet, fleetSkipReason, fleetUp} from '../fleet/fleet.js'
import {TempRepo} from '../manifests/git-repo.js'
import {bin} from '../cli/helpers/run.js'
import {repoRoot} from '../cli/helpers/output-schema.js'

const skip = fleetSkipReason()
let fleet: Fleet
let repo: TempRepo
const clients = new Map<string, RuntimeClient>()
const seen = new Set<string>()

const example = (f: string) => readFileSync(join(repoRoot, 'manifests', f), 'utf8')

function tsctl(args: string[]): {code: number; stdout: string; stderr: string} {
  const env: NodeJS.ProcessEnv = {...process.env, TSCTL_SSH_CONFIG: '/dev/null'}
  for (const k of ['FORCE_COLOR', 'NO_COLOR', 'TSCTL_DEBUG', 'TSCTL_NOW', 'TSCTL_ROOT']) delete env[k]
  const r = spawnSync(process.execPath, [bin, ...args], {cwd: repo.dir, env, encoding: 'utf8', timeout: 170_000})
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
}

function client(name: string): RuntimeClient {
  let c = clients.get(name)
  if (!c) {
    c = new RuntimeClient(new SshTransport(fleet.target(name, {pin: true}), fleet.transportOptions()))
    clients.set(name, c)
  }
  return c
}

/** What each host runs now (not stopped), by host name. */
async function hostPods(hosts = fleet.hosts): Promise<Record<string, ObservedPod[]>> {
  const out: Record<string, ObservedPod[]> = {}
  for (const h of hosts) {
    out[h.name] = (await client(h.name).status()).filter((p) => p.phase === 'Running' || p.phase === 'Pending' || p.phase === 'Succeeded')
    for (const p of out[h.name]) seen.add(p.uid)
  }
  return out
}

/** `get pods -o wide` as name → node. */
function placement(): Map<string, string> {
  const g = tsctl(['get', 'pods', '-o', 'wide'])
  assert.is(g.code, 0, g.stderr)
  const m = new Map<string, string>()
  for (const l of g.stdout.trim().split('\n').slice(1)) {
    const f = l.split(/\s+/)
    m.set(f[0], f[f.length - 2]) // NODE, before IMAGES
  }
  return m
}

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('sync on a 3-host fleet')
} else {
  test.before(async () => {
    fleet = await fleetUp(3, 'tss')
    repo = new TempRepo()
    // the example's tsctl.yaml: its podSecurity.hostPaths lets the node agent read the host's /proc
    const files: Record<string, string> = {'.gitignore': 'images/\n', 'tsctl.yaml': readFileSync(join(repoRoot, 'tsctl.yaml'), 'utf8'), 'manifests/nodes.yaml': readFileSync(fleet.nodes, 'utf8')}
    for (const f of ['config.yaml', 'web.yaml', 'db.yaml', 'jobs.yaml', 'node-agent.yaml']) files[`manifests/${f}`] = example(f)
    // three web replicas, so the scheduler spreads them over the hosts
    files['manifests/web.yaml'] = files['manifests/web.yaml'].replace('replicas: 2', 'replicas: 3')
    repo.commit('example app on the fleet', files)
    await buildBusyboxLayout(join(repo.dir, 'images', 'busybox'))
  })

  test.after(async () => {
    try {
      // A host a failed test left crashed comes back first, so its pods can be removed.
      await fleet.restart().catch((e) => console.error('restart:', e))
      // Remove every pod the test saw, host by host, through the runtime (no gc: the
      // fleet's hosts share one cgroup tree and gc would judge the others' cgroups).
      for (const h of fleet.hosts) {
        try {
          for (const p of await client(h.name).status()) await client(h.name).remove(p.uid, 0)
        } catch (e) {
          console.error(`cleanup ${h.name}:`, e)
        }
      }
      await Promise.allSettled([...clients.values()].map((c) => c.transport.close()))
      const left: string[] = []
      for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
        const f = l.split(' ')
        const sep = f.indexOf('-')
        if (f[sep + 1] !== 'cgroup' && f[sep + 1] !== 'cgroup2') continue
        try {
          for (const d of readdirSync(f[4])) {
            if (!d.startsWith('tsctl-')) continue
            for (const p of readdirSync(join(f[4], d))) if (p.startsWith('pod-') && seen.has(p.slice(4))) left.push(join(f[4], d, p))
          }
        } catch { /* not a directory we can read */ }
      }
      assert.equal(left, [], 'no cgroup of the test pods is left')
    } finally {
      repo?.remove()
      await fleet?.down()
    }
  })

  test('the example app converges across 3 hosts; get pods shows the scheduler\'s placement, which the hosts run', async () => {
    const r = tsctl(['sync', '-o', 'json', '--timeout', '120s'])
    assert.is(r.code, 0, r.stdout + r.stderr)
    const doc = JSON.parse(r.stdout)
    assert.ok(doc.converged)
    assert.equal(Object.keys(doc.summary).sort(), fleet.hosts.map((h) => h.name).sort())

    const got = placement()
    // 3 web + 1 db + 1 migrate + 3 node-agent (one per host)
    assert.is(got.size, 8, [...got].join('\n'))
    const agents = [...got].filter(([n]) => n.startsWith('node-agent-')).map(([, node]) => node).sort()
    assert.equal(agents, fleet.hosts.map((h) => h.name).sort(), 'one DaemonSet pod per host')
    assert.ok(new Set([...got].filter(([n]) => n.startsWith('web-')).map(([, node]) => node)).size >= 2, 'web is spread over hosts')

    // the hosts run exactly what get pods says, where it says
    const pods = await hostPods()
    const onHosts = new Map<string, string>()
    for (const [h, list] of Object.entries(pods)) for (const p of list) onHosts.set(p.name, h)
    assert.equal([...onHosts].sort(), [...got].sort())

    // and it is the scheduler's placement: the same pure pass from an empty state, with the
    // capacities the sync detected, binds every pod to the same node
    const state = JSON.parse(readFileSync(join(repo.dir, '.tsctl', 'state.json'), 'utf8'))
    const desired = await loadDesired({repo: repo.dir, ref: 'HEAD'})
    const observed: Observed = {nodes: {}}
    for (const h of fleet.hosts) observed.nodes[h.name] = {name: h.name, reachable: true, observedAt: 0, pods: [], capacity: state.nodes[h.name].capacity}
    const now = Date.now()
    const planned = converge({desired, state: emptyState('x'), observed, now}).first.plan.actions
    const want = new Map(planned.filter((a) => a.type === 'create').map((a) => [a.target.split('/')[2], a.node]))
    assert.equal([...got].sort(), [...want].sort())
  })

  test('a second sync of the same commit changes nothing and exits 0', async () => {
    const before = JSON.stringify(await hostPods())
    const r = tsctl(['sync', '-o', 'json'])
    assert.is(r.code, 0, r.stdout + r.stderr)
    const doc = JSON.parse(r.stdout)
    assert.is(doc.passes, 1)
    for (const s of Object.values(doc.summary) as {created: number; replaced: number; deleted: number; failed: number}[]) {
      assert.equal([s.created, s.replaced, s.deleted, s.failed], [0, 0, 0, 0])
    }
    const after = await hostPods()
    assert.equal(JSON.stringify(Object.fromEntries(Object.entries(after).map(([h, l]) => [h, l.map((p) => p.uid).sort()]))),
      JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(before) as Record<string, ObservedPod[]>).map(([h, l]) => [h, l.map((p) => p.uid).sort()]))))
  })

  test('a crashed host is not fatal: the others are applied (exit 4); after it returns the next sync converges', async () => {
    const down = fleet.hosts[2].name
    await fleet.crash(3)
    const msg = readFileSync(join(repo.dir, 'manifests', 'config.yaml'), 'utf8').replace('Served by busybox httpd', 'Served, version 2,')
    repo.commit('new page', {'manifests/config.yaml': msg})
    let r = tsctl(['sync', '-o', 'json', '--timeout', '120s'])
    assert.is(r.code, 4, r.stdout + r.stderr)
    let doc = JSON.parse(r.stdout)
    assert.equal(doc.failedNodes.map((f: {node: string}) => f.node), [down])
    // the reachable hosts' web pods serve the new page (updated in place, no restart)
    const pods = await hostPods(fleet.hosts.slice(0, 2))
    for (const h of fleet.hosts.slice(0, 2)) {
      for (const p of pods[h.name].filter((x) => x.name.startsWith('web-'))) {
        const out = await client(h.name).exec(p.uid, 'httpd', ['cat', '/srv/www/index.html'])
        assert.match(out.stdout.toString(), 'version 2', `${p.name} on ${h.name}`)
        assert.is(p.containers[0].restartCount, 0)
      }
    }

    await fleet.restart()
    await clients.get(down)?.transport.close()
    clients.delete(down)
    r = tsctl(['sync', '-o', 'json', '--timeout', '120s'])
    assert.is(r.code, 0, r.stdout + r.stderr)
    doc = JSON.parse(r.stdout)
    assert.ok(doc.converged)
    const names = (await hostPods())[down].map((p) => p.name)
    assert.ok(names.some((n) => n.startsWith('node-agent-')), `the returned host runs its DaemonSet pod again: ${names}`)
    assert.equal([...placement()].sort(), Object.entries(await hostPods()).flatMap(([h, l]) => l.map((p) => [p.name, h] as [string, string])).sort())
  })

  test('a partitioned host (packets vanish) is unreachable within --host-timeout: exit 4; healed, the next sync converges', async () => {
    const cut = fleet.hosts[1].name
    await fleet.partition(2)
    try {
      repo.commit('four web replicas', {'manifests/web.yaml': readFileSync(join(repo.dir, 'manifests', 'web.yaml'), 'utf8').replace('replicas: 3', 'replicas: 4')})
      const t0 = Date.now()
      const r = tsctl(['sync', '-o', 'json', '--timeout', '120s', '--host-timeout', '5s'])
      assert.is(r.code, 4, r.stdout + r.stderr)
      const doc = JSON.parse(r.stdout)
      assert.equal(doc.failedNodes.map((f: {node: string}) => f.node), [cut])
      console.log(`partitioned host: sync ended with exit 4 after ${Date.now() - t0} ms (${doc.passes} passes)`)
    } finally {
      await fleet.heal(2)
    }
    const r = tsctl(['sync', '-o', 'json', '--timeout', '120s'])
    assert.is(r.code, 0, r.stdout + r.stderr)
    assert.is([...placement()].filter(([n]) => n.startsWith('web-')).length, 4)
  })
}

test.run()
