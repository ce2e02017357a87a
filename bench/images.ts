// Registry images: what a 50 MB layer costs to roll out to 10 real SSH hosts
// (test/fleet), against plain scp of the same bytes; what a second rollout
// of the same image costs (nothing sent); and tsctl's pull against skopeo's.
//
// How:
// - One 50 MB incompressible file (crypto.randomBytes, written once) is the
//   top layer of an image on the busybox base layer; a small image shares
//   that base. Both are pushed to Debian's docker-registry on 127.0.0.1
//   (test/fixtures/registry.ts). Only the CLI talks to the registry; hosts
//   get layers over their SSH session.
// - Ten bare Pods, each bound to one fleet host (spec.nodeName, as
//   bench/fanout.ts): every host replaces its pod in the same pass, so the
//   sync measures the fan-out of one layer, not the waves of a Deployment
//   whose surge pods anti-affinity cannot place.
// - Warm-up, not timed: a sync of the small image installs the runtime and
//   the base layer on every host, and the big image is pulled into the CLI
//   cache beforehand (bench/images-pull.ts, same TSCTL_CACHE_DIR). So the
//   timed sync sends exactly one layer per host and includes no registry
//   pull (pull_included=0): only the tag lookup, one HEAD.
// - scp: the same file to each host's /tmp, 10 scp processes at once with the
//   fleet's ssh_config, timed from the first start to the last exit. The
//   hosts share this machine's /tmp (only /var/lib/tsctl and /root are their
//   own), so each copy has its own name; all are removed afterwards.
// - Pull: 3 runs each, alternating, every run a fresh process into a fresh
//   empty directory: tsctl's pull (bench/images-pull.ts: ImageResolver, tag →
//   pin → manifest, config and layers into an ImageCache) vs
//   `skopeo copy docker://… oci:DIR:TAG`. Both timed as whole processes from
//   spawn to exit, so Node's start-up counts as skopeo's does; medians.
//
// Prints:
//   bench images hosts=10 layer_bytes=… bytes_sent=… tsctl_ms=… scp_ms=… ratio_scp=… pull_included=0
//   bench images repeat bytes_sent=0 tsctl_ms=…
//   bench images pull tsctl_ms=… skopeo_ms=… ratio_skopeo=… (runs: …)
// An `ERROR …` line and exit 1 when a check fails (bytes sent ≠ layer bytes ×
// hosts that lacked it; anything sent on the repeat; a sync that did not
// converge). Needs root, openssh-server, busybox-static, docker-registry,
// skopeo. Env: BENCH_LAYER_MB (default 50).
import {spawn, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {performance} from 'node:perf_hooks'
import {writeOciLayout} from '../src/images/layout-writer.js'
import {resolveOciLayout} from '../src/images/oci-layout.js'
import {layerAddTar, openLayer} from '../src/images/layer.js'
import {busyboxBaseEntries} from '../test/fixtures/busybox-image.js'
import {registryMissing, startRegistry, type RunningRegistry} from '../test/fixtures/registry.js'
import {fleetUp, type Fleet, type FleetHost} from '../test/fleet/fleet.js'
import {AppRepo, e2eSkipReason, nodesYaml, removeCgroupParent, cgroupParentOf, tearDownFleet, tsctlEnv, tsctlSpawn, type Run} from '../test/e2e/_fleet-app.js'

const HOSTS = 10
const PULL_RUNS = 3
const LAYER_MB = Number(process.env.BENCH_LAYER_MB ?? 50)
const PREFIX = 'tsimg'

const skip = e2eSkipReason() ?? registryMissing() ?? (spawnSync('skopeo', ['--version']).error ? 'skopeo is missing (apt-get install skopeo)' : undefined)
if (skip) {
  console.log(`SKIP: ${skip}`)
  process.exit(0)
}

/** A failed check: printed as `ERROR …`, exit 1, after cleaning up. */
class BenchError extends Error {}
const check = (ok: boolean, what: string) => {
  if (!ok) throw new BenchError(what)
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

type NodeSummary = {created: number; replaced: number; failed: number; layersSent?: number; layerBytes?: number}

/** Children started here that may still run: killed by PID if this process is interrupted. */
const children = new Set<number>()

function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  const t0 = performance.now()
  const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe'], ...(env ? {env} : {})})
  children.add(child.pid!)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((resolve) => {
    child.on('error', (e) => (stderr += String(e)))
    child.on('close', (code) => {
      children.delete(child.pid!)
      resolve({code: code ?? -1, stdout, stderr, ms: Math.round(performance.now() - t0)})
    })
  })
}

/** One bare pod per host, bound to it; TAG changes the command, so a new TAG replaces every pod. */
function pods(hosts: FleetHost[], image: string, tag: string): string {
  return hosts
    .map((h, i) => `apiVersion: v1
kind: Pod
metadata:
  name: img-${i + 1}
spec:
  nodeName: ${h.name}
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${image}
      command: ["sh", "-c", "echo ${tag}; exec sleep 100000"]
`)
    .join('---\n')
}

const work = mkdtempSync(join(tmpdir(), 'tsctl-bench-images-'))
const pullHelper = fileURLToPath(new URL('./images-pull.js', import.meta.url))
let reg: RunningRegistry | undefined
let fleet: Fleet | undefined
let repo: AppRepo | undefined
const scpTargets: string[] = []

// On SIGINT/SIGTERM only synchronous steps can still run: kill what this bench
// started, take the fleet down (its PID namespaces take the pods with them),
// remove the files. The registry harness kills its own registry on the signal.
function emergencyCleanup(sig: NodeJS.Signals) {
  for (const pid of children) try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
  if (fleet) {
    spawnSync('sh', [fileURLToPath(new URL('../../test/fleet/down.sh', import.meta.url)), '--prefix', PREFIX], {stdio: 'ignore'})
    for (const h of fleet.hosts) removeCgroupParent(cgroupParentOf(h))
  }
  for (const f of scpTargets) rmSync(f, {force: true})
  repo?.remove()
  rmSync(work, {recursive: true, force: true})
  process.exit(sig === 'SIGINT' ? 130 : 143)
}
process.once('SIGINT', emergencyCleanup)
process.once('SIGTERM', emergencyCleanup)

let exitCode = 0
try {
  // --- images -------------------------------------------------------------
  const payload = join(work, 'payload.bin')
  writeFileSync(payload, randomBytes(LAYER_MB << 20))
  const base = busyboxBaseEntries()
  const warmDir = join(work, 'warm')
  const bigDir = join(work, 'big')
  const config = {Env: ['PATH=/bin'], Cmd: ['sh'], WorkingDir: '/'}
  await writeOciLayout(warmDir, {tag: 'latest', config, layers: [{entries: base}, {entries: [{name: 'etc/warm', type: 'file', data: 'warm\n'}]}]})
  const big = await writeOciLayout(bigDir, {tag: 'latest', config, layers: [{entries: base}, {entries: [{name: 'payload.bin', type: 'file', data: readFileSync(payload)}]}]})
  // The layer-add stream a host should get, computed here from the layout: the bench
  // then checks the figure sync reports instead of taking it on trust.
  const bigImage = await resolveOciLayout(bigDir, {tag: 'latest'})
  const expectedLayerBytes = layerAddTar(await openLayer(bigImage, bigImage.layers[1])).length

  reg = await startRegistry()
  await reg.push('bench/warm', '1', warmDir)
  await reg.push('bench/big', '1', bigDir)
  const warmRef = `${reg.host}/bench/warm:1`
  const bigRef = `${reg.host}/bench/big:1`

  // --- rollout to the fleet -------------------------------------------------
  const cache = join(work, 'cache')
  const fl = (fleet = await fleetUp(HOSTS, PREFIX))
  try {
    const hosts = fl.hosts
    const env = tsctlEnv(fl, {TSCTL_CACHE_DIR: cache})
    repo = new AppRepo('images')
    repo.write({'manifests/nodes.yaml': nodesYaml(hosts, fl), 'manifests/pods.yaml': pods(hosts, warmRef, 'warm')})
    repo.commit('warm-up')
    const sync = async (what: string): Promise<{run: Run; summary: Record<string, NodeSummary>}> => {
      const s = tsctlSpawn(['sync', '--timeout', '2m', '-o', 'json'], repo!.dir, env)
      children.add(s.pid)
      const run = await s.done
      children.delete(s.pid)
      check(run.code === 0, `${what}: tsctl sync exited ${run.code}: ${run.stderr.slice(0, 2000)} ${run.stdout.slice(0, 2000)}`)
      return {run, summary: (JSON.parse(run.stdout) as {summary: Record<string, NodeSummary>}).summary}
    }
    const warm = await sync('warm-up')
    check(hosts.every((h) => (warm.summary[h.name]?.layersSent ?? 0) >= 1), `warm-up: not every host got the base layer: ${JSON.stringify(warm.summary)}`)

    const prefill = await timed(process.execPath, [pullHelper, bigRef, cache])
    check(prefill.code === 0, `pre-filling the cache: ${prefill.stderr}`)

    // The timed rollout: every host lacks only the 50 MB layer.
    repo.write({'manifests/pods.yaml': pods(hosts, bigRef, 'big-1')})
    repo.commit('big image')
    const first = await sync('rollout')
    const per = hosts.map((h) => first.summary[h.name] ?? {created: 0, replaced: 0, failed: 0})
    const replaced = per.reduce((a, s) => a + s.replaced, 0)
    check(replaced === HOSTS, `rollout: ${replaced} pods replaced, expected ${HOSTS}: ${JSON.stringify(first.summary)}`)
    const lacked = per.filter((s) => (s.layersSent ?? 0) > 0)
    const bytesSent = per.reduce((a, s) => a + (s.layerBytes ?? 0), 0)
    const layerBytes = lacked[0]?.layerBytes ?? 0
    check(lacked.every((s) => s.layersSent === 1 && s.layerBytes === layerBytes), `rollout: hosts were sent different layers: ${JSON.stringify(first.summary)}`)
    check(layerBytes === expectedLayerBytes, `rollout: a host was sent ${layerBytes} bytes, the layer's layer-add stream is ${expectedLayerBytes}`)
    check(lacked.length === HOSTS, `rollout: ${lacked.length} of ${HOSTS} hosts were sent the layer, and every one lacked it`)
    check(bytesSent === layerBytes * lacked.length, `rollout: bytes_sent=${bytesSent} ≠ layer_bytes=${layerBytes} × ${lacked.length} hosts that lacked it`)

    // scp of the same file: one process per host, all at once.
    const t0 = performance.now()
    const copies = await Promise.all(hosts.map((h) => {
      const dest = `/tmp/tsctl-bench-images-${process.pid}-${h.name}`
      scpTargets.push(dest)
      return timed('scp', ['-q', '-F', fl.sshConfig, payload, `${h.name}:${dest}`])
    }))
    const scpMs = Math.round(performance.now() - t0)
    check(copies.every((c) => c.code === 0), `scp: ${copies.map((c) => c.stderr).join(' ').trim()}`)
    const removed = await Promise.all(hosts.map((h, i) => timed('ssh', ['-F', fl.sshConfig, h.name, 'rm', '-f', scpTargets[i]])))
    check(removed.every((c) => c.code === 0), `removing the scp copies: ${removed.map((c) => c.stderr).join(' ').trim()}`)
    console.log(`bench images hosts=${HOSTS} layer_bytes=${layerBytes} bytes_sent=${bytesSent} tsctl_ms=${first.run.ms} scp_ms=${scpMs} ratio_scp=${(first.run.ms / scpMs).toFixed(2)} pull_included=0`)

    // The same image again, a new command: every pod is replaced, nothing is sent.
    repo.write({'manifests/pods.yaml': pods(hosts, bigRef, 'big-2')})
    repo.commit('same image, new command')
    const again = await sync('repeat')
    const replacedAgain = hosts.reduce((a, h) => a + (again.summary[h.name]?.replaced ?? 0), 0)
    check(replacedAgain === HOSTS, `repeat: ${replacedAgain} pods replaced, expected ${HOSTS}`)
    const sentAgain = hosts.reduce((a, h) => a + (again.summary[h.name]?.layerBytes ?? 0), 0)
    check(sentAgain === 0, `repeat: ${sentAgain} layer bytes sent, expected 0: ${JSON.stringify(again.summary)}`)
    console.log(`bench images repeat bytes_sent=${sentAgain} tsctl_ms=${again.run.ms}`)
  } finally {
    await tearDownFleet(fl)
    fleet = undefined
    for (const f of scpTargets) rmSync(f, {force: true})
    repo?.remove()
  }

  // --- pull: tsctl vs skopeo, fresh process and empty directory each run ----------
  const tsctlRuns: number[] = []
  const skopeoRuns: number[] = []
  for (let i = 1; i <= PULL_RUNS; i++) {
    const dir = join(work, `pull-tsctl-${i}`)
    const t = await timed(process.execPath, [pullHelper, bigRef, dir])
    check(t.code === 0, `tsctl pull: ${t.stderr}`)
    const got = JSON.parse(t.stdout) as {bytes: number}
    check(got.bytes === big.layers.reduce((a, l) => a + l.size, 0), `tsctl pull: ${got.bytes} layer bytes, the image has ${big.layers.reduce((a, l) => a + l.size, 0)}`)
    tsctlRuns.push(t.ms)
    rmSync(dir, {recursive: true, force: true})

    const out = join(work, `pull-skopeo-${i}`)
    const s = await timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${bigRef}`, `oci:${out}:1`])
    check(s.code === 0, `skopeo copy: ${s.stderr}`)
    skopeoRuns.push(s.ms)
    rmSync(out, {recursive: true, force: true})
  }
  const tm = median(tsctlRuns)
  const sm = median(skopeoRuns)
  console.log(`bench images pull tsctl_ms=${tm} skopeo_ms=${sm} ratio_skopeo=${(tm / sm).toFixed(2)} (runs: tsctl ${tsctlRuns.join(', ')}; skopeo ${skopeoRuns.join(', ')})`)
} catch (e) {
  if (e instanceof BenchError) console.log(`ERROR ${e.message}`)
  else console.log(`ERROR ${(e as Error).stack ?? String(e)}`)
  exitCode = 1
} finally {
  await reg?.stop().catch((e) => console.error(e))
  rmSync(work, {recursive: true, force: true})
}
process.exit(exitCode)
