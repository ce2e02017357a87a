// npm run bench:runtime — container start latency of tsctl next to crun and
// runc on the same busybox rootfs in the same run, the full pod apply, the
// supervisor's memory, and exec latency. Prints medians; no thresholds.
//
//   bench runtime tsctl_ms=… crun_ms=… runc_ms=… ratio_crun=… ratio_runc=… infra_ms=… tsctl_with_infra_ms=… pod_apply_ms=… supervisor_rss_kb=… pod_rss_kb=… pod_pss_kb=…
//   bench exec tsctl_init_ms=… tsctl_runtime_ms=… crun_ms=… nsenter_ms=…
//
// tsctl_ms is the container-only part: `tsctl-init run` (join the pod's
// namespaces and cgroups, new mount+pid namespace, overlay, /proc, /dev,
// pivot_root, caps, exec /bin/true, reap) — what `crun run` does for a
// bundle, except creating the net/ipc/uts namespaces, which the pod's infra
// process does once per pod (infra_ms; tsctl_with_infra_ms adds it back).
// pod_apply_ms is `RuntimeClient.apply` of a one-container pod until
// its exit is in `status`. crun 1.8.1 refuses this machine's hybrid cgroups,
// so crun and runc run inside `unshare --mount` with /sys/fs/cgroup/unified
// unmounted (this script re-executes itself there with --inner).
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {bundleTar} from '../src/host/bundle/bundle-tar.js'
import {buildPodBundle} from '../src/host/bundle/pod-bundle.js'
import {RuntimeClient} from '../src/host/runtime-client.js'
import {LocalTransport} from '../src/transport/local.js'
import {busyboxLayer} from '../test/host/_host.js'

const N = Number(process.env.BENCH_N ?? 20)
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.floor(s.length / 2)] : NaN
}
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6
const fmt = (x: number) => x.toFixed(1)

function time(argv: string[], n = N): number {
  const xs: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(argv[0], argv.slice(1), {stdio: ['ignore', 'ignore', 'pipe']})
    xs.push(ms(t0))
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  }
  return median(xs)
}

function ociBundle(dir: string, rootfs: string, args: string[]): string {
  mkdirSync(dir, {recursive: true})
  execFileSync('runc', ['spec'], {cwd: dir})
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
  c.process.terminal = false
  c.process.args = args
  c.root = {path: rootfs, readonly: true}
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c))
  return dir
}

/** Inside `unshare --mount` with cgroup2 unmounted: time crun and runc (and crun exec). */
function inner(work: string, rootfs: string): void {
  const b = ociBundle(join(work, 'oci-true'), rootfs, ['/bin/true'])
  const crun = time(['crun', 'run', '--bundle', b, `tsctl-bench-crun-${process.pid}`])
  const runc = time(['runc', 'run', '--bundle', b, `tsctl-bench-runc-${process.pid}`])
  const sleeper = ociBundle(join(work, 'oci-sleep'), rootfs, ['/bin/sleep', '3600'])
  const id = `tsctl-bench-exec-${process.pid}`
  execFileSync('crun', ['run', '--detach', '--bundle', sleeper, id], {stdio: 'ignore'})
  let crunExec = NaN
  try {
    crunExec = time(['crun', 'exec', id, '/bin/true'])
  } finally {
    spawnSync('crun', ['kill', id, 'KILL'])
    for (let i = 0; i < 50 && spawnSync('crun', ['delete', id]).status !== 0; i++) spawnSync('sleep', ['0.1'])
  }
  process.stdout.write(JSON.stringify({crun, runc, crunExec}) + '\n')
}

async function main(): Promise<void> {
  if (process.argv[2] === '--inner') return inner(process.argv[3], process.argv[4])
  const work = mkdtempSync('/tmp/tsctl-bench-')
  const root = join(work, 'root')
  const client = new RuntimeClient(new LocalTransport(), {root})
  const uids: string[] = []
  try {
    const layer = busyboxLayer()
    await client.addLayer(layer.digest, layer.tar)
    const rootfs = join(root, 'layers', layer.digest.slice(7), 'root')
    const image = () => ({layers: [layer.digest]})
    const apply = async (name: string, spec: Record<string, unknown>) => {
      const uid = `bench-${name}-${process.pid}`
      const pod = {apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: 'bench', uid}, spec: {terminationGracePeriodSeconds: 1, ...spec}}
      const hash = 'h' + createHash('sha256').update(JSON.stringify(pod) + Math.random()).digest('hex').slice(0, 12)
      uids.push(uid)
      await client.apply(uid, await bundleTar(buildPodBundle({pod, specHash: hash, image})))
      return uid
    }
    const waitFor = async (uid: string, ok: (c: {state: string}[]) => boolean) => {
      for (;;) {
        const p = (await client.status()).find((x) => x.uid === uid)
        if (p && ok(p.containers)) return
        await new Promise((r) => setTimeout(r, 2))
      }
    }

    // A pod whose infra and a long-running container stay up; c01 (/bin/true) is started by hand.
    const uid = await apply('keeper', {restartPolicy: 'OnFailure', containers: [{name: 'keep', image: 'b', command: ['sleep', '3600']}, {name: 'true', image: 'b', command: ['/bin/true']}]})
    await waitFor(uid, (cs) => cs[0]?.state === 'running' && cs[1]?.state === 'terminated')
    const pod = join(root, 'pods', uid)
    const init = client.runtimePath.replace(/tsctl-runtime$/, `tsctl-init-${process.arch === 'arm64' ? 'arm64' : 'amd64'}`)
    const infra = readFileSync(join(pod, 'infra.pid'), 'utf8').trim()
    const c = join(pod, 'ctr', 'c01')
    const tsctl = time([init, 'run', join(pod, 'bundle/containers/c01'), c, pod, join(root, 'layers'), infra, 'net uts ipc', join(c, 'cgroups'), join(c, 'log')])

    // crun also creates the network/ipc/uts namespaces, which a tsctl pod's infra
    // process holds for all its containers: time that part too (one `sh` included).
    const hostFile = join(pod, 'init/etc/hostname')
    const infraPid = join(work, 'infra.pid')
    const infraScript = 'rm -f "$3"; "$1" infra "$3" "$2" "net uts ipc" & while [ ! -f "$3" ]; do :; done; kill -9 $!'
    const infraMs = time(['sh', '-c', infraScript, 'sh', init, hostFile, infraPid])

    // the same comparison run for crun/runc, in a private mount namespace
    const me = fileURLToPath(import.meta.url)
    const out = execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh', process.execPath, me, '--inner', work, rootfs]).toString()
    const {crun, runc, crunExec} = JSON.parse(out.trim().split('\n').pop()!)

    // full pod apply until the exit is recorded
    const applies: number[] = []
    for (let i = 0; i < Math.min(N, 10); i++) {
      const t0 = process.hrtime.bigint()
      const u = await apply(`once${i}`, {restartPolicy: 'Never', containers: [{name: 'c', image: 'b', command: ['/bin/true']}]})
      await waitFor(u, (cs) => cs[0]?.state === 'terminated')
      applies.push(ms(t0))
      await client.remove(u, 0)
    }

    // supervisor memory of the running pod
    const kb = (pid: string, field: RegExp) => Number(field.exec(readFileSync(`/proc/${pid}/${field.source.startsWith('Pss') ? 'smaps_rollup' : 'status'}`, 'utf8'))?.[1] ?? 0)
    const sup = readFileSync(join(pod, 'supervisor.pid'), 'utf8').trim()
    const shim = readFileSync(join(pod, 'ctr', 'c00', 'shim'), 'utf8').trim()
    const podPids = [sup, infra, shim]
    const rss = (p: string) => kb(p, /VmRSS:\s+(\d+)/)
    const pss = (p: string) => kb(p, /Pss:\s+(\d+)/)
    const supRss = rss(sup)
    const podRss = podPids.reduce((a, p) => a + rss(p), 0)
    const podPss = podPids.reduce((a, p) => a + pss(p), 0)

    // exec into the running container
    const target = readFileSync(join(pod, 'ctr', 'c00', 'pid'), 'utf8').split(' ')[0]
    const c0 = join(pod, 'ctr', 'c00')
    const execInit = time([init, 'exec', join(pod, 'bundle/containers/c00'), c0, join(c0, 'cgroups'), '/bin/true'])
    const execRuntime = time([client.runtimePath, '--root', root, 'exec', uid, 'keep', '/bin/true'])
    const execNsenter = time(['nsenter', '--target', target, '--mount', '--uts', '--ipc', '--net', '--pid', '/bin/true'])

    console.log(`bench runtime tsctl_ms=${fmt(tsctl)} crun_ms=${fmt(crun)} runc_ms=${fmt(runc)} ratio_crun=${(tsctl / crun).toFixed(2)} ratio_runc=${(tsctl / runc).toFixed(2)} infra_ms=${fmt(infraMs)} tsctl_with_infra_ms=${fmt(tsctl + infraMs)} pod_apply_ms=${fmt(median(applies))} supervisor_rss_kb=${supRss} pod_rss_kb=${podRss} pod_pss_kb=${podPss}`)
    console.log(`bench exec tsctl_init_ms=${fmt(execInit)} tsctl_runtime_ms=${fmt(execRuntime)} crun_ms=${fmt(crunExec)} nsenter_ms=${fmt(execNsenter)}`)
  } finally {
    for (const u of uids) await client.remove(u, 0).catch(() => {})
    await client.gc().catch(() => {})
    rmSync(work, {recursive: true, force: true})
  }
}

await main()
