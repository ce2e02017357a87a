// Commit → all pods Running and Ready, for the example app (manifests/) on
// a real 3-host SSH fleet (test/fleet), timed around `tsctl sync` (the CLI
// as a user runs it, process start included):
//   cold: fresh hosts (no runtime installed, no image layers), empty state;
//   warm: runtime and layers on the hosts, no pods, empty state (median of RUNS).
// Every run is checked: when sync returns, every host runs the planned pods
// and every long-running pod is Ready. Prints one line:
//   bench e2e hosts=3 warm_ms=… cold_ms=…
// Needs root, openssh-server, busybox-static. Env: BENCH_RUNS (default 3).
import {readFileSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {fleetUp} from '../test/fleet/fleet.js'
import {AppRepo, cgroupParentOf, clearHosts, e2eSkipReason, hostClients, hostPods, removeCgroupParent, repoRoot, tsctl, tsctlEnv} from '../test/e2e/_fleet-app.js'

const skip = e2eSkipReason()
if (skip) {
  console.log(`SKIP: ${skip}`)
  process.exit(0)
}
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const HOSTS = 3

/** The example app's manifests without its one local Node. */
function exampleFiles(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of readdirSync(join(repoRoot, 'manifests'))) if (f.endsWith('.yaml') && f !== 'nodes.yaml') out[`manifests/${f}`] = readFileSync(join(repoRoot, 'manifests', f), 'utf8')
  return out
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const fleet = await fleetUp(HOSTS, 'tsobe')
const repo = new AppRepo('bench-e2e')
try {
  await repo.init(fleet, exampleFiles())
  const env = tsctlEnv(fleet)
  const clients = hostClients(fleet)

  /** ms from the sync's first progress line to its last create (every pod started, before readiness), from CI-style progress lines. */
  const applied: number[] = []
  const once = async (what: string): Promise<number> => {
    const r = await tsctl(['sync', '--timeout', '3m'], repo.dir, env)
    if (r.code !== 0) throw new Error(`${what} sync exited ${r.code}: ${r.stderr}`)
    const ts = (l: string | undefined) => (l ? Date.parse(l.split(' ')[0]) : NaN)
    const lines = r.stderr.split('\n')
    applied.push(ts(lines.filter((l) => / create /.test(l)).at(-1)) - ts(lines[0]))
    const st = repo.state()
    const pods = Object.values(st.objects).filter((o) => o.kind === 'Pod' && !o.metadata.deletionTimestamp)
    const on = await hostPods(clients)
    for (const p of pods) {
      const o = on[p.spec!.nodeName!]?.find((x) => x.uid === p.metadata.uid)
      if (!o) throw new Error(`${what}: ${p.metadata.name} not on ${p.spec!.nodeName}`)
      if (o.phase === 'Running' && !o.ready) throw new Error(`${what}: ${p.metadata.name} Running but not Ready when sync returned`)
      if (o.phase !== 'Running' && o.phase !== 'Succeeded') throw new Error(`${what}: ${p.metadata.name} is ${o.phase}`)
    }
    return r.ms
  }
  /** No pods on the hosts and no state: the next sync starts everything (runtime and layers stay). */
  const reset = async () => {
    for (const c of clients.values()) {
      for (const p of await c.status()) await c.remove(p.uid, 0)
      await c.gc()
      // claims (the StatefulSet's volume) go too, so every run starts alike
      await c.transport.exec(['sh', '-c', 'rm -rf /var/lib/tsctl/claims'])
    }
    rmSync(join(repo.dir, '.tsctl'), {recursive: true, force: true})
  }

  const cold = await once('cold')
  const warm: number[] = []
  for (let i = 0; i < RUNS; i++) {
    await reset()
    warm.push(await once(`warm ${i + 1}`))
  }
  for (const c of clients.values()) await c.transport.close()
  const pods = Object.values(repo.state().objects).filter((o) => o.kind === 'Pod').length
  console.log(`bench e2e hosts=${HOSTS} warm_ms=${median(warm)} cold_ms=${cold}`)
  console.log(`bench e2e hosts=${HOSTS} pods=${pods} warm_started_ms=${median(applied.slice(1))} cold_started_ms=${applied[0]} (from sync's first line to its last pod started, before readiness; warm runs: ${warm.join(', ')} ms)`)
} finally {
  await clearHosts(fleet).catch((e) => console.error(e))
  await fleet.down()
  for (const h of fleet.hosts) removeCgroupParent(cgroupParentOf(h))
  repo.remove()
}
