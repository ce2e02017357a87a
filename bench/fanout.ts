// Fan-out: one changed pod on each of 1, 5 and 20 real SSH hosts
// (test/fleet). Each host runs one bare Pod bound to it (spec.nodeName);
// a commit changes every pod's command, so each host replaces its pod —
// the same work per host, in parallel. Timed around `tsctl sync` (median
// of RUNS), runtime and layers already on the hosts. Prints per size:
//   bench fanout hosts=N ms=… ratio_vs_1=…
// Needs root, openssh-server, busybox-static. Env: BENCH_RUNS (default 3).
import {fleetUp} from '../test/fleet/fleet.js'
import {AppRepo, cgroupParentOf, clearHosts, e2eSkipReason, nodesYaml, removeCgroupParent, tsctl, tsctlEnv} from '../test/e2e/_fleet-app.js'

const skip = e2eSkipReason()
if (skip) {
  console.log(`SKIP: ${skip}`)
  process.exit(0)
}
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SIZES = [1, 5, 20]
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** One bare pod per host, pinned there; TAG changes the command. */
function pods(hosts: string[], tag: string): string {
  return hosts
    .map((h, i) => `apiVersion: v1
kind: Pod
metadata:
  name: fan-${i + 1}
spec:
  nodeName: ${h}
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: oci:images/busybox
      command: ["sh", "-c", "echo ${tag}; exec sleep 100000"]
`)
    .join('---\n')
}

const fleet = await fleetUp(Math.max(...SIZES), 'tsof')
const repos: AppRepo[] = []
try {
  const env = tsctlEnv(fleet)
  const results: Record<number, number> = {}
  for (const n of SIZES) {
    const hosts = fleet.hosts.slice(0, n)
    const repo = new AppRepo(`fanout-${n}`)
    repos.push(repo)
    await repo.init(fleet, {'manifests/nodes.yaml': nodesYaml(hosts, fleet), 'manifests/pods.yaml': pods(hosts.map((h) => h.name), 'v0')})
    const first = await tsctl(['sync', '--timeout', '3m'], repo.dir, env)
    if (first.code !== 0) throw new Error(`first sync (${n} hosts): ${first.code} ${first.stderr}`)
    const times: number[] = []
    for (let i = 1; i <= RUNS; i++) {
      repo.write({'manifests/pods.yaml': pods(hosts.map((h) => h.name), `v${i}`)})
      repo.commit(`v${i}`)
      const r = await tsctl(['sync', '--timeout', '3m', '-o', 'json'], repo.dir, env)
      if (r.code !== 0) throw new Error(`sync (${n} hosts): ${r.code} ${r.stderr} ${r.stdout.slice(0, 3000)}`)
      const replaced = Object.values((JSON.parse(r.stdout) as {summary: Record<string, {replaced: number}>}).summary).reduce((a, s) => a + s.replaced, 0)
      if (replaced !== n) throw new Error(`${n} hosts: ${replaced} pods replaced, expected ${n}`)
      times.push(r.ms)
    }
    results[n] = median(times)
    console.log(`bench fanout hosts=${n} ms=${results[n]} ratio_vs_1=${(results[n] / results[SIZES[0]]).toFixed(2)} (runs: ${times.join(', ')})`)
    await clearHosts(fleet)
  }
} finally {
  await clearHosts(fleet).catch((e) => console.error(e))
  await fleet.down()
  for (const h of fleet.hosts) removeCgroupParent(cgroupParentOf(h))
  for (const r of repos) r.remove()
}
