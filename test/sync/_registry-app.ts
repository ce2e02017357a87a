// Pieces shared by the registry-image tests that run tsctl against a real
// registry (test/sync/registry-auth, test/gitops/push-registry,
// test/e2e/registry-rollout): an app image built from busybox-static whose
// /etc/app-version says which build it is, the Deployment that prints it,
// and tsctl spawned without blocking this process (a token endpoint or a
// fault proxy may run in it: spawnSync would freeze them).
import {spawn} from 'node:child_process'
import {writeOciLayout, type WrittenImage} from '../../src/images/layout-writer.js'
import type {TarEntryInput} from '../../src/images/tar/entry.js'
import {busyboxBaseEntries} from '../fixtures/busybox-image.js'

/**
 * Writes at DIR an image: the busybox base layer (the same bytes in every
 * app image, so hosts share it), then a layer with /etc/app-version holding
 * VERSION (and `extra` entries), or the ready tar `top` instead.
 */
export function buildApp(dir: string, version: string, o: {extra?: TarEntryInput[]; top?: Buffer; platform?: {os: string; architecture: string}} = {}): Promise<WrittenImage> {
  const top = o.top ? {tar: o.top} : {entries: [{name: 'etc', type: 'dir'}, {name: 'etc/app-version', type: 'file', data: `${version}\n`}, ...(o.extra ?? [])] as TarEntryInput[]}
  return writeOciLayout(dir, {
    tag: 'latest',
    layers: [{entries: busyboxBaseEntries()}, top],
    config: {Env: ['PATH=/bin:/usr/bin'], Cmd: ['sh'], WorkingDir: '/'},
    ...(o.platform ? {platform: o.platform} : {}),
  })
}

/**
 * A Deployment `web` whose pods print /etc/app-version and sleep. `spread`
 * puts at most one pod on a host (required podAntiAffinity on
 * kubernetes.io/hostname); `pullSecrets` names imagePullSecrets.
 */
export function webDeployment(image: string, o: {replicas?: number; pullSecrets?: string[]; spread?: boolean} = {}): string {
  const secrets = o.pullSecrets?.length ? `      imagePullSecrets:\n${o.pullSecrets.map((s) => `        - name: ${s}\n`).join('')}` : ''
  const spread = o.spread ? `      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - labelSelector:
                matchLabels: {app: web}
              topologyKey: kubernetes.io/hostname
` : ''
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${o.replicas ?? 1}
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxSurge: ${o.spread ? 0 : 1}, maxUnavailable: ${o.spread ? 1 : 0}}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
${secrets}${spread}      containers:
        - name: main
          image: ${image}
          command: ["sh", "-c", "cat /etc/app-version; exec sleep 3600"]
`
}

/** A kubernetes.io/dockerconfigjson Secret, as `kubectl create secret docker-registry` writes it. */
export function pullSecretYaml(name: string, registry: string, user: string, password: string): string {
  const auth = Buffer.from(`${user}:${password}`).toString('base64')
  const config = JSON.stringify({auths: {[registry]: {username: user, password, auth}}})
  return `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ${Buffer.from(config).toString('base64')}
`
}

export interface AsyncRun {
  code: number
  stdout: string
  stderr: string
}

/**
 * `node BIN ARGS` in CWD with ENV, without blocking this process. Killed
 * (by its PID) after TIMEOUTMS, so a hung run fails the test instead of the file.
 */
export function runAsync(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 150_000): Promise<AsyncRun> {
  const child = spawn(process.execPath, [bin, ...args], {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => (stdout += b))
  child.stderr.on('data', (b: Buffer) => (stderr += b))
  const timer = setTimeout(() => {
    stderr += `\n[test] tsctl ${args.join(' ')} still running after ${timeoutMs} ms: killed\n`
    if (child.pid !== undefined) try { process.kill(child.pid, 'SIGKILL') } catch { /* gone */ }
  }, timeoutMs)
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(timer)
    resolve({code: code ?? (signal ? 128 : -1), stdout, stderr})
  }))
}

/** RE matching S literally. */
export function literal(s: string): RegExp {
  return new RegExp(s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
}
