// Shared fixtures for the runtime tests: a busybox image layer, a throwaway
// runtime root with its own cgroup parent, pod builders, and a cleanup that
// proves nothing of the root is left (mounts, cgroups, processes, dirs).
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, copyFileSync} from 'node:fs'
import {join} from 'node:path'
import type {KubeObject} from '../../src/manifests/object.js'
import type {ObservedPod} from '../../src/reconcile/observed.js'
import {buildPodBundle, type BundleInputs} from '../../src/host/bundle/pod-bundle.js'
import type {Container, PodSpec} from '../../src/host/bundle/pod-spec.js'
import {bundleTar} from '../../src/host/bundle/bundle-tar.js'
import {RuntimeClient} from '../../src/host/runtime-client.js'
import {LocalTransport} from '../../src/transport/local.js'

export const IMAGE = 'busybox-test'

/** A layer tar (`root/bin/busybox` + applet links) built from Debian's busybox-static, and its digest. */
export function busyboxLayer(): {digest: string; tar: Buffer} {
  const dir = mkdtempSync('/tmp/tsctl-layer-')
  try {
    mkdirSync(join(dir, 'root/bin'), {recursive: true})
    mkdirSync(join(dir, 'root/tmp'), {recursive: true})
    copyFileSync('/bin/busybox', join(dir, 'root/bin/busybox'))
    execFileSync('chmod', ['0755', join(dir, 'root/bin/busybox')])
    const applets = execFileSync('/bin/busybox', ['--list']).toString().split('\n').filter((a) => a && a !== 'busybox')
    for (const a of applets) symlinkSync('busybox', join(dir, 'root/bin', a))
    const tar = execFileSync('tar', ['-c', '-C', dir, '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--sort=name', 'root'], {maxBuffer: 1 << 26})
    return {digest: 'sha256:' + createHash('sha256').update(tar).digest('hex'), tar}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

let layerCache: {digest: string; tar: Buffer} | undefined
export function layer(): {digest: string; tar: Buffer} {
  return (layerCache ??= busyboxLayer())
}

export interface TestHost {
  root: string
  client: RuntimeClient
  cgroupParent: string
  apply(pod: KubeObject, extra?: Partial<BundleInputs>): Promise<string>
  pod(uid: string): Promise<ObservedPod | undefined>
  waitPod(uid: string, ok: (p: ObservedPod) => boolean, what: string, timeoutMs?: number): Promise<ObservedPod>
  /** Removes every pod and the root; returns what was left behind (empty when clean). */
  cleanup(): Promise<string[]>
}

/** A fresh runtime root under /tmp with the busybox layer installed. */
export async function testHost(): Promise<TestHost> {
  const root = mkdtempSync('/tmp/tsctl-rt-')
  const client = new RuntimeClient(new LocalTransport(), {root})
  await client.addLayer(layer().digest, layer().tar)
  const cgroupParent = (await client.info()).cgroup_parent
  const host: TestHost = {
    root,
    client,
    cgroupParent,
    async apply(pod, extra = {}) {
      const uid = pod.metadata.uid!
      const tree = buildPodBundle({pod, specHash: extra.specHash ?? 'h' + createHash('sha256').update(JSON.stringify(pod)).digest('hex').slice(0, 12), image: () => ({layers: [layer().digest]}), ...extra})
      await client.apply(uid, await bundleTar(tree))
      return uid
    },
    async pod(uid) {
      return (await client.status()).find((p) => p.uid === uid)
    },
    async waitPod(uid, ok, what, timeoutMs = 30000) {
      const end = Date.now() + timeoutMs
      let last: ObservedPod | undefined
      while (Date.now() < end) {
        last = await host.pod(uid)
        if (last && ok(last)) return last
        await sleep(100)
      }
      throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last)}`)
    },
    async cleanup() {
      try {
        for (const p of await client.status()) await client.remove(p.uid, 0)
        await client.gc()
      } catch (e) {
        // still remove what we can below, and report it
        console.error('cleanup:', e)
      }
      const left = leftovers(root, cgroupParent)
      rmSync(root, {recursive: true, force: true})
      return left
    },
  }
  return host
}

/** Mounts, cgroups and processes that still mention ROOT or the cgroup parent. */
export function leftovers(root: string, cgroupParent: string, podDirsOnly = false): string[] {
  const left: string[] = []
  for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (l.includes(root)) left.push(`mount: ${l}`)
  for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = l.split(' ')
    const sep = f.indexOf('-')
    if (f[sep + 1] === 'cgroup' || f[sep + 1] === 'cgroup2') {
      if (existsSync(join(f[4], cgroupParent))) left.push(`cgroup: ${join(f[4], cgroupParent)}`)
    }
  }
  left.push(...processesMentioning(root))
  const pods = join(root, 'pods')
  if (existsSync(pods)) for (const d of readdirSync(pods)) left.push(`dir: ${join(pods, d)}`)
  void podDirsOnly
  return left
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

let n = 0
/** A pod with realistic defaults; tests state only what they are about. */
export function pod(name: string, containers: Partial<Container>[], spec: Partial<PodSpec> = {}, meta: Partial<KubeObject['metadata']> = {}): KubeObject {
  const uid = `u${process.pid.toString(36)}-${(n++).toString(36)}-${name.replace(/[^a-z0-9]/g, '').slice(0, 20) || 'x'}`
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name, namespace: 'default', uid, ...meta},
    spec: {
      terminationGracePeriodSeconds: 2,
      ...spec,
      containers: containers.map((c, i) => ({name: `c${i}`, image: IMAGE, ...c})),
    },
  }
}

/** Runs sh -c SCRIPT in the container and returns its stdout (throws on a non-zero exit). */
export async function sh(host: TestHost, uid: string, container: string, script: string): Promise<string> {
  const r = await host.client.exec(uid, container, ['sh', '-c', script])
  if (r.code !== 0) throw new Error(`exec ${script} exited ${r.code}: ${r.stderr}${r.stdout}`)
  return r.stdout.toString()
}

/**
 * The host pid of a container's pid 1, once it runs the app: the pid file is
 * written right after the clone, before the mounts and the exec, so wait
 * (up to 5 s) until the process no longer runs tsctl-init's code.
 */
export function hostPid(root: string, uid: string, ctr: string): number {
  const pid = Number(readFileSync(join(root, 'pods', uid, 'ctr', ctr, 'pid'), 'utf8').split(' ')[0])
  const tick = new Int32Array(new SharedArrayBuffer(4))
  for (let i = 0; i < 500; i++) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tsctl-init')) break
    } catch {
      break
    }
    Atomics.wait(tick, 0, 0, 10)
  }
  return pid
}

/** Processes whose command line contains S (other than this test process). */
export function processesMentioning(s: string): string[] {
  const out: string[] = []
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmd.includes(s)) out.push(`process ${pid}: ${cmd.replace(/\0/g, ' ')}`)
    } catch {
      // exited meanwhile
    }
  }
  return out
}
