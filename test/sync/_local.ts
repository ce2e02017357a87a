// A manifests repo synced to this machine through the local transport, with
// its own runtime ROOT (TSCTL_ROOT) so nothing touches /var/lib/tsctl, and a
// cleanup that removes every pod and checks that no mount, cgroup, process
// or pod directory of that ROOT is left.
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {RuntimeClient} from '../../src/host/runtime-client.js'
import {LocalTransport} from '../../src/transport/local.js'
import type {ObservedPod} from '../../src/reconcile/observed.js'
import {buildBusyboxLayout} from '../fixtures/busybox-image.js'
import {TempRepo} from '../manifests/git-repo.js'
import {leftovers} from '../host/_host.js'
import {bin} from '../cli/helpers/run.js'

export interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Why these tests cannot run here, or undefined. */
export function localSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the runtime needs root (mounts, cgroups, namespaces)'
  return undefined
}

export const nodeYaml = `apiVersion: v1
kind: Node
metadata:
  name: local
spec:
  address: local
`

/**
 * A small app whose pods are Ready as soon as they run (no probes), stopping within 1 s.
 * `probe` adds a readiness probe that never passes and a 2 s progress deadline.
 */
export function appYaml(o: {replicas?: number; msg?: string; cmd?: string; probe?: boolean} = {}): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  msg: ${JSON.stringify(o.msg ?? 'hello')}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${o.replicas ?? 2}
${o.probe ? '  progressDeadlineSeconds: 2\n' : ''}  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: oci:images/busybox
          command: ["sh", "-c", ${JSON.stringify(o.cmd ?? 'exec sleep 3600')}]
${o.probe ? '          readinessProbe:\n            exec: {command: ["false"]}\n            periodSeconds: 1\n' : ''}          volumeMounts:
            - {name: cfg, mountPath: /etc/cfg}
      volumes:
        - name: cfg
          configMap: {name: cfg}
`
}

export interface LocalSite {
  repo: TempRepo
  root: string
  client: RuntimeClient
  env: Record<string, string>
  /** tsctl ARGS in the repo, as root, with this site's ROOT */
  tsctl(args: string[], opts?: {env?: Record<string, string>}): Run
  /** the same, without waiting (for kill -9 and concurrency tests) */
  spawnTsctl(args: string[]): ReturnType<typeof spawn>
  pods(): Promise<ObservedPod[]>
  /** removes every pod, gc, the ROOT and the repo; returns what was left behind */
  cleanup(): Promise<string[]>
}

export async function localSite(files: Record<string, string>): Promise<LocalSite> {
  const repo = new TempRepo()
  repo.commit('first', {'.gitignore': 'images/\n', ...files})
  await buildBusyboxLayout(join(repo.dir, 'images', 'busybox'))
  const root = mkdtempSync('/tmp/tss-root-')
  const client = new RuntimeClient(new LocalTransport(), {root})
  const env: Record<string, string> = {TSCTL_ROOT: root}
  const baseEnv = () => {
    const e = {...process.env}
    for (const k of ['FORCE_COLOR', 'NO_COLOR', 'TSCTL_DEBUG', 'TSCTL_NOW']) delete e[k]
    return e
  }
  const site: LocalSite = {
    repo,
    root,
    client,
    env,
    tsctl(args, opts = {}) {
      const r = spawnSync(process.execPath, [bin, ...args], {cwd: repo.dir, env: {...baseEnv(), ...env, ...opts.env}, encoding: 'utf8', timeout: 170_000})
      return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
    },
    spawnTsctl(args) {
      return spawn(process.execPath, [bin, ...args], {cwd: repo.dir, env: {...baseEnv(), ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    },
    async pods() {
      return client.status()
    },
    async cleanup() {
      let cgroupParent = ''
      try {
        cgroupParent = (await client.info()).cgroup_parent
        for (const p of await client.status()) await client.remove(p.uid, 0)
        await client.gc()
      } catch (e) {
        console.error('cleanup:', e)
      }
      const left = cgroupParent ? leftovers(root, cgroupParent) : []
      rmSync(root, {recursive: true, force: true})
      repo.remove()
      return left
    },
  }
  return site
}

/** The JSON document of `tsctl sync -o json`. */
export function syncJson(r: Run): {exitCode: number; converged: boolean; passes: number; summary: Record<string, {created: number; replaced: number; deleted: number; unchanged: number; failed: number}>; failedNodes: {node: string; error: string}[]} {
  try {
    return JSON.parse(r.stdout)
  } catch {
    throw new Error(`sync printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`)
  }
}
