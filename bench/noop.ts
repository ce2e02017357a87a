// A no-op sync of 20 real SSH hosts running 10 pods each (200 pods, a
// Deployment of 200 replicas spread by the scheduler): once converged, the
// same commit is synced again and must change nothing. Timed around
// `tsctl sync` (process start, git load, one status round trip per host,
// reconcile, no state write). Prints:
//   bench noop hosts=20 pods=200 ms=…   (median of RUNS)
// plus the time until sync's first progress line (process start and
// loading) and from there to its end.
// Needs root, openssh-server, busybox-static. Env: BENCH_RUNS (default 5), BENCH_FLEET_PREFIX (default tsog).
import {fleetUp} from '../test/fleet/fleet.js'
import {AppRepo, cgroupParentOf, clearHosts, e2eSkipReason, hostClients, hostPods, live, removeCgroupParent, sharedMasters, tsctl, tsctlEnv} from '../test/e2e/_fleet-app.js'

const skip = e2eSkipReason()
if (skip) {
  console.log(`SKIP: ${skip}`)
  process.exit(0)
}
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const HOSTS = 20
const PER_HOST = 10
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// Small pods: no probe, tiny requests; the scheduler's default spreading puts about 10 on each host.
const app = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: many
spec:
  replicas: ${HOSTS * PER_HOST}
  strategy:
    rollingUpdate:
      maxSurge: 100%
  selector:
    matchLabels:
      app: many
  template:
    metadata:
      labels:
        app: many
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: main
          image: oci:images/busybox
          command: ["sleep", "100000"]
          resources:
            requests:
              cpu: 10m
              memory: 4Mi
`

// BENCH_FLEET_PREFIX: a prefix of your own when other fleets run on the machine
const fleet = await fleetUp(HOSTS, process.env.BENCH_FLEET_PREFIX ?? 'tsog')
const repo = new AppRepo('bench-noop')
try {
  await repo.init(fleet, {'manifests/app.yaml': app})
  const env = tsctlEnv(fleet)
  const t0 = Date.now()
  const first = await tsctl(['sync', '--timeout', '10m'], repo.dir, env)
  if (first.code !== 0) throw new Error(`first sync: ${first.code} ${first.stderr.slice(-3000)}`)
  const clients = hostClients(fleet)
  const per = Object.values(await hostPods(clients)).map((l) => live(l).length)
  for (const c of clients.values()) await c.transport.close()
  const total = per.reduce((a, b) => a + b, 0)
  console.log(`setup: ${total} pods on ${HOSTS} hosts (${per.join(' ')}) in ${Date.now() - t0} ms`)
  const times: number[] = []
  const inside: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const r = await tsctl(['sync', '-o', 'json'], repo.dir, env)
    if (r.code !== 0) throw new Error(`no-op sync: ${r.code} ${r.stderr}`)
    const res = JSON.parse(r.stdout) as {passes: number; summary: Record<string, {created: number; replaced: number; deleted: number}>}
    const changed = Object.values(res.summary).reduce((a, s) => a + s.created + s.replaced + s.deleted, 0)
    if (changed !== 0 || res.passes !== 1) throw new Error(`not a no-op: ${changed} changes, ${res.passes} passes`)
    times.push(r.ms)
  }
  // The same, with progress lines, to split process start-up from the sync itself.
  for (let i = 0; i < RUNS; i++) {
    const t = Date.now()
    const r = await tsctl(['sync'], repo.dir, env)
    const first = Date.parse(r.stderr.split('\n')[0].split(' ')[0])
    inside.push(t + r.ms - first)
  }
  // The same no-op with SSH masters shared across runs (the CLI's default,
  // TSCTL_SSH_PERSIST): the first run makes them, the timed ones reuse them.
  const shared = sharedMasters()
  const sharedTimes: number[] = []
  try {
    const senv = tsctlEnv(fleet, shared.env)
    const warm = await tsctl(['sync'], repo.dir, senv)
    if (warm.code !== 0) throw new Error(`no-op sync (shared masters): ${warm.code} ${warm.stderr}`)
    for (let i = 0; i < RUNS; i++) {
      const r = await tsctl(['sync', '-o', 'json'], repo.dir, senv)
      if (r.code !== 0) throw new Error(`no-op sync (shared masters): ${r.code} ${r.stderr}`)
      sharedTimes.push(r.ms)
    }
    if (shared.masters().length !== HOSTS) throw new Error(`${shared.masters().length} shared masters, not ${HOSTS}`)
  } finally {
    shared.close()
  }
  console.log(`bench noop hosts=${HOSTS} pods=${total} ms=${median(times)} (runs: ${times.join(', ')}; TSCTL_SSH_PERSIST=0: each run connects)`)
  console.log(`bench noop hosts=${HOSTS} pods=${total} shared_masters_ms=${median(sharedTimes)} (runs: ${sharedTimes.join(', ')}; masters of an earlier run reused, the default) vs_fresh=${(median(sharedTimes) / median(times)).toFixed(2)}`)
  console.log(`bench noop hosts=${HOSTS} pods=${total} after_startup_ms=${median(inside)} (from sync's first progress line to exit: observe 20 hosts, reconcile; the rest is node + oclif + loading the commit)`)
} finally {
  await clearHosts(fleet).catch((e) => console.error(e))
  await fleet.down()
  for (const h of fleet.hosts) removeCgroupParent(cgroupParentOf(h))
  repo.remove()
}
