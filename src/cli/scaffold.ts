import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {UserError} from '../errors.js'

/** What `tsctl init` writes: path → content. A Node for this machine and a small app that validates as is. */
export const scaffoldFiles: Record<string, string> = {
  'tsctl.yaml': `# tsctl reads the manifests under these paths at each commit (all *.yaml/*.yml when absent).
manifests:
  - manifests/
# Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/):
# a namespace without a pod-security.kubernetes.io/enforce label gets this level.
podSecurity:
  default: baseline
  # host directories a hostPath volume may mount at all, e.g. [/srv/data, /var/log]
  # hostPaths: []
# The pod network: each pod an IP, Services with cluster IPs, node ports and
# names (docs/networking.md). Defaults: pods 10.244.0.0/16 (a /24 per node),
# services 10.96.0.0/12, node ports 30000-32767, backend host-gw.
network: {}
`,
  '.gitignore': `# tsctl's state and lock (mode 0600, may hold Secret data): never commit them.
.tsctl/
# OCI image layouts are build artifacts, read from disk (image: oci:images/…).
/images/
`,
  'manifests/nodes.yaml': `# The hosts of the fleet. "local" runs pods on this machine without SSH.
apiVersion: v1
kind: Node
metadata:
  name: local
  labels:
    zone: local
spec:
  address: local
`,
  'manifests/hello.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: hello
data:
  index.html: |
    <h1>Hello from tsctl</h1>
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  labels:
    app: hello
spec:
  replicas: 2
  selector:
    matchLabels:
      app: hello
  template:
    metadata:
      labels:
        app: hello
    spec:
      containers:
        - name: web
          # An OCI image layout in this repo's directory (registry pulls are not
          # supported yet): skopeo copy docker://busybox:1.36 oci:images/busybox,
          # or tsctl's own scripts/build-example-image.mjs (Debian's busybox-static).
          image: oci:images/busybox
          command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 50m
              memory: 32Mi
            limits:
              memory: 64Mi
          readinessProbe:
            httpGet:
              path: /
              port: 8080
          volumeMounts:
            - name: www
              mountPath: /www
      volumes:
        - name: www
          configMap:
            name: hello
---
apiVersion: v1
kind: Service
metadata:
  name: hello
spec:
  type: NodePort
  selector:
    app: hello
  ports:
    - port: 80
      targetPort: 8080
      nodePort: 30080
`,
}

function git(cwd: string, args: string[]): string {
  // argv only, never a shell; identity falls back to tsctl's own when the user has none configured
  const r = spawnSync('git', args, {cwd, encoding: 'utf8'})
  if (r.error) throw new UserError(`git is needed for tsctl init: ${r.error.message}`)
  if (r.status !== 0) throw new UserError(`git ${args[0]} failed in ${cwd}: ${(r.stderr || r.stdout).trim()}`)
  return r.stdout.trim()
}

/**
 * Creates the repo: refuses when any file it would write exists (nothing is
 * written then), `git init` unless DIR is already a work tree, writes the
 * files, commits only them. Returns the directory, the files and the commit.
 */
export async function scaffold(dirArg: string): Promise<{dir: string; files: string[]; commit: string}> {
  const dir = resolve(dirArg)
  const files = Object.keys(scaffoldFiles)
  const clash = files.filter((f) => existsSync(join(dir, f)))
  if (clash.length) throw new UserError(`refusing to overwrite existing files in ${dir}: ${clash.join(', ')}`)
  mkdirSync(dir, {recursive: true})
  const isRepo = existsSync(join(dir, '.git')) || spawnSync('git', ['rev-parse', '--is-inside-work-tree'], {cwd: dir, encoding: 'utf8'}).stdout.trim() === 'true'
  if (!isRepo) git(dir, ['init', '-q'])
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), {recursive: true})
    writeFileSync(join(dir, f), scaffoldFiles[f]!)
  }
  git(dir, ['add', '--', ...files])
  const hasIdentity = spawnSync('git', ['config', 'user.email'], {cwd: dir, encoding: 'utf8'}).stdout.trim() !== ''
  const identity = hasIdentity ? [] : ['-c', 'user.name=tsctl init', '-c', 'user.email=tsctl@localhost']
  git(dir, [...identity, 'commit', '-q', '-m', 'tsctl init', '--', ...files])
  return {dir, files, commit: git(dir, ['rev-parse', 'HEAD'])}
}
