/**
 * `npm run bench:diff`: what a pull request's `tsctl diff --offline` and a
 * CI job's `tsctl validate` cost on a large repo, each in a fresh process
 * (start-up, git read, YAML, schemas, reconcile, render), as a user pays it.
 *
 * The repo is generated: APPS apps (default 250), each a ConfigMap, a
 * Deployment, a Service and a Secret in its own file, on NODES Nodes (default
 * 50), committed to a temporary git repository; 1,000+ objects. No state: the
 * diff is the first sync's (every object created, every pod placed).
 *
 * The reference measured in the same run: bare `node -e 0` and
 * `tsctl --version` (Node and oclif start-up), the floor any command pays.
 *
 * Prints `bench diff objects=… nodes=… diff_ms=… validate_ms=… version_ms=…
 * node_ms=…` (medians of RUNS, default 5). Env: BENCH_APPS, BENCH_NODES,
 * BENCH_RUNS.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = join(root, 'bin', 'run.js')
const APPS = Number(process.env.BENCH_APPS ?? 250)
const NODES = Number(process.env.BENCH_NODES ?? 50)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function app(i: number): string {
  const name = `app-${String(i).padStart(3, '0')}`
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-config
data:
  LOG_LEVEL: info
  index.html: "<h1>${name}</h1>"
---
apiVersion: v1
kind: Secret
metadata:
  name: ${name}-secret
type: Opaque
stringData:
  password: bench-${i}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: web
          image: oci:images/busybox
          command: ["httpd", "-f", "-p", "8080"]
          ports: [{containerPort: 8080}]
          envFrom: [{configMapRef: {name: ${name}-config}}]
          env:
            - name: PASSWORD
              valueFrom: {secretKeyRef: {name: ${name}-secret, key: password}}
          resources:
            requests: {cpu: 10m, memory: 16Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
  ports: [{port: 80, targetPort: 8080}]
`
}

function nodes(): string {
  const docs: string[] = []
  for (let i = 0; i < NODES; i++) {
    docs.push(`apiVersion: v1
kind: Node
metadata:
  name: node-${String(i).padStart(2, '0')}
  labels: {zone: z${i % 3}}
spec:
  address: local
  capacity: {cpu: "8", memory: 32Gi, pods: "110"}
`)
  }
  return docs.join('---\n')
}

function run(cmd: string, args: string[], cwd: string, okCodes = [0]): number {
  const t = process.hrtime.bigint()
  const r = spawnSync(cmd, args, {cwd, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}, maxBuffer: 256 << 20})
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  if (!okCodes.includes(r.status ?? -1)) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${(r.stderr ?? '').slice(-2000)}`)
  return ms
}

const dir = mkdtempSync(join(tmpdir(), 'tsctl-bench-diff-'))
try {
  mkdirSync(join(dir, 'manifests', 'apps'), {recursive: true})
  writeFileSync(join(dir, 'manifests', 'nodes.yaml'), nodes())
  for (let i = 0; i < APPS; i++) writeFileSync(join(dir, 'manifests', 'apps', `app-${String(i).padStart(3, '0')}.yaml`), app(i))
  const git = (...a: string[]) => run('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@tsctl.invalid', ...a], dir)
  git('init', '-q', '-b', 'main')
  git('add', '-A')
  git('commit', '-q', '-m', 'bench repo')
  const objects = APPS * 4 + NODES
  // One unmeasured run of each: the page cache and git's index, not tsctl's work.
  run(process.execPath, [bin, 'validate'], dir)
  // diff exits 1 when it has changes to show (as `git diff --exit-code` and `terraform plan -detailed-exitcode` do)
  run(process.execPath, [bin, 'diff', '--offline'], dir, [0, 1])
  const diff: number[] = []
  const validate: number[] = []
  const version: number[] = []
  const node: number[] = []
  for (let i = 0; i < RUNS; i++) {
    diff.push(run(process.execPath, [bin, 'diff', '--offline'], dir, [0, 1]))
    validate.push(run(process.execPath, [bin, 'validate'], dir))
    version.push(run(process.execPath, [bin, '--version'], dir))
    node.push(run(process.execPath, ['-e', '0'], dir))
  }
  const f = (xs: number[]) => median(xs).toFixed(0)
  console.log(`bench diff objects=${objects} apps=${APPS} nodes=${NODES} diff_ms=${f(diff)} validate_ms=${f(validate)} version_ms=${f(version)} node_ms=${f(node)} runs=${RUNS}`)
} finally {
  if (process.env.BENCH_KEEP) console.log(`kept ${dir}`)
  else rmSync(dir, {recursive: true, force: true})
}
