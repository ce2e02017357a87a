// `tsctl diff --ref origin/feature --base origin/main` on a pull request's
// CI runner: a fresh clone, the state on refs/tsctl/state of the remote (git
// backend), hosts that cannot be reached (198.18.255.x is routed nowhere
// here) — and the right plan, checked on the JSON.
import {execFileSync} from 'node:child_process'
import {statSync, writeFileSync, mkdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {loadDesired} from '../../src/manifests/load.js'
import {loadPlan, verifyPlan} from '../../src/saved-plans/index.js'
import {mergeCommit} from '../../src/saved-plans/merge-commit.js'
import {observedFromState} from '../../src/reconcile/assume.js'
import {converge} from '../../src/reconcile/converge.js'
import {GitStateBackend} from '../../src/state/git-backend.js'
import {emptyState, type State} from '../../src/state/model.js'
import {UserError} from '../../src/errors.js'
import {assertOutput} from '../cli/helpers/output-schema.js'
import {tsctl} from '../cli/helpers/run.js'
import {tempDirs} from '../fixtures/tmp-dirs.js'

const tmp = tempDirs('tsctl-diff-pr-', test)
const NOW = Date.parse('2026-11-20T12:00:00Z')
const env = {...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com', GIT_AUTHOR_DATE: '2026-11-19T10:00:00Z', GIT_COMMITTER_DATE: '2026-11-19T10:00:00Z'}
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim()

const SECRET_B64 = Buffer.from('hunter2-very-secret').toString('base64')
const nodes = ['a', 'b'].map((n, i) => `apiVersion: v1
kind: Node
metadata:
  name: node-${n}
spec:
  address: 198.18.255.${i + 1}
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
`).join('---\n')
const web = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ${image}
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: db, key: password}
          resources:
            requests: {cpu: 100m, memory: 64Mi}
---
apiVersion: v1
kind: Secret
metadata:
  name: db
data:
  password: ${SECRET_B64}
`

function commit(repo: string, subject: string, files: Record<string, string>): string {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, p)), {recursive: true})
    writeFileSync(join(repo, p), text)
  }
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', subject)
  return git(repo, 'rev-parse', 'HEAD')
}

/** What a sync of `ref` leaves in the state (every pod running as planned), written to the remote by `admin`. */
async function syncState(admin: string, ref: string, prev: State | null): Promise<State> {
  const desired = await loadDesired({repo: admin, ref})
  const before = prev ?? emptyState('lineage-pr-test')
  const end = converge({desired, state: before, observed: observedFromState(before, NOW), now: NOW})
  const state = {...end.final.state, serial: before.serial + 1, appliedCommit: desired.commit}
  const b = new GitStateBackend({repo: admin, renew: false})
  await b.lock('tsctl sync')
  await b.write(state)
  await b.unlock()
  return state
}

let world: {remote: string; admin: string; pr: string; mainSha: string; state: State}

test.before(async () => {
  const d = tmp()
  const remote = join(d, 'remote.git')
  git(d, 'init', '-q', '--bare', '-b', 'main', remote)
  const admin = join(d, 'admin')
  git(d, 'clone', '-q', remote, admin)
  git(admin, 'checkout', '-q', '-b', 'main')
  commit(admin, 'web v1', {'tsctl.yaml': 'manifests: [manifests/]\n', 'manifests/nodes.yaml': nodes, 'manifests/web.yaml': web('busybox:1.36')})
  git(admin, 'push', '-q', 'origin', 'main')
  const state = await syncState(admin, 'main', null)
  // The pull request: a new image. Meanwhile main gains a ConfigMap not yet synced.
  git(admin, 'checkout', '-q', '-b', 'feature')
  commit(admin, 'web: busybox 1.37', {'manifests/web.yaml': web('busybox:1.37')})
  git(admin, 'push', '-q', 'origin', 'feature')
  git(admin, 'checkout', '-q', 'main')
  git(admin, 'checkout', '-q', '-b', 'clash')
  commit(admin, 'extra, the other way', {'manifests/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: "2"}\n'})
  git(admin, 'push', '-q', 'origin', 'clash')
  git(admin, 'checkout', '-q', 'main')
  const mainSha = commit(admin, 'extra config', {'manifests/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: "1"}\n'})
  git(admin, 'push', '-q', 'origin', 'main')
  // The CI runner of the pull request: a fresh clone, nothing else.
  const pr = join(d, 'pr')
  git(d, 'clone', '-q', remote, pr)
  world = {remote, admin, pr, mainSha, state}
})

const prDiff = (...args: string[]) => tsctl(['diff', '--ref', 'origin/feature', '--base', 'origin/main', '--state-backend', 'git', ...args], {cwd: world.pr})

test('diff of a PR from a fresh clone plans the merge against the state on the remote, offline; the JSON holds the right plan', async () => {
  const r = prDiff('-o', 'json')
  assert.is(r.code, 1, r.stderr)
  const doc = JSON.parse(r.stdout)
  assertOutput('diff', doc)
  assert.is(doc.offline, true)
  assert.equal(doc.state, {lineage: 'lineage-pr-test', serial: 1})
  assert.is(doc.backend, 'git origin refs/tsctl/state')
  assert.is(doc.merge.how, 'merged')
  assert.equal(doc.merge.base, {ref: 'origin/main', sha: world.mainSha})
  assert.is(doc.merge.head.subject, 'web: busybox 1.37')
  // objects: the PR's image change, and main's ConfigMap that the state does not have yet
  assert.equal(doc.objects.map((o: {change: string; key: string}) => `${o.change} ${o.key}`), ['add ConfigMap/default/extra', 'change Deployment/default/web'])
  const webDiff = doc.objects.find((o: {key: string}) => o.key === 'Deployment/default/web')
  assert.equal(webDiff.fields, [{path: 'spec.template.spec.containers[0].image', op: 'change', before: 'busybox:1.36', after: 'busybox:1.37'}])
  // the rollout: 2 new pods replace 2 old ones, maxSurge 1 / maxUnavailable 0
  assert.equal(doc.rollouts, [{workload: 'Deployment/default/web', kind: 'Deployment', change: 'update', strategy: 'RollingUpdate maxSurge=1 maxUnavailable=0', replicas: {from: 2, to: 2}, templateFields: ['spec.template.spec.containers[0].image'], pods: {create: 2, replace: 0, delete: 2}, images: [{image: 'busybox:1.37'}]}])
  assert.equal(doc.summary, {create: 2, replace: 0, delete: 2, unchanged: 0, objectsAdded: 1, objectsChanged: 1, objectsRemoved: 0})
  assert.is(doc.nodes.reduce((n: number, x: {create: number}) => n + x.create, 0), 2)
  // the first step: one surge pod, nothing stopped yet
  assert.is(doc.actions.length, 1)
  assert.is(doc.actions[0].type, 'create')
  assert.match(doc.actions[0].reason, 'Deployment/default/web')
  assert.match(doc.actions[0].target, /^Pod\/default\/web-[a-z0-9]+-[a-z0-9]{5}$/)
  // …exactly what reconcile plans for the merged manifests and the state on the remote
  const desired = await loadDesired({repo: world.pr, ref: doc.commit.sha})
  const state = await new GitStateBackend({repo: world.pr, renew: false}).read()
  assert.equal(state, world.state)
  const end = converge({desired, state: state!, observed: observedFromState(state!, NOW), now: NOW})
  assert.equal(doc.actions, end.first.plan.actions.map((a) => ({type: a.type, node: a.node, target: a.target, reason: a.reason})))
  // the merge commit is the same on every runner (fixed identity and dates)
  const again = JSON.parse(prDiff('-o', 'json').stdout)
  assert.is(again.commit.sha, doc.commit.sha)
  assert.is(git(world.pr, 'rev-parse', `${doc.commit.sha}^1`), world.mainSha)
  assert.not.match(r.stdout + r.stderr, SECRET_B64)
  assert.not.match(r.stdout + r.stderr, 'hunter2')
})

test('markdown for the PR comment: merge header, workloads that would change, pods per node; no secret', () => {
  const r = prDiff('-o', 'markdown')
  assert.is(r.code, 1, r.stderr)
  assert.match(r.stdout, /^### tsctl diff: merging `origin\/feature` \(`[0-9a-f]{7}` web: busybox 1\.37\) into `origin\/main` \(`[0-9a-f]{7}`\)$/m)
  assert.match(r.stdout, '_Offline: planned from the state alone (serial 1, git origin refs/tsctl/state); no host was contacted._')
  assert.match(r.stdout, '| Deployment/default/web | rollout (spec.template.spec.containers[0].image); busybox:1.37 (digest resolved at sync) | RollingUpdate maxSurge=1 maxUnavailable=0 | +2 -2 |')
  assert.match(r.stdout, '#### Pods per node')
  assert.not.match(r.stdout, SECRET_B64)
  const t = prDiff()
  assert.is(t.code, 1, t.stderr)
  assert.match(t.stdout, /^Merging origin\/feature \([0-9a-f]{7}\) into origin\/main \([0-9a-f]{7}\): merged; planned offline from the state \(serial 1\)\./)
})

test('merge targets: an up-to-date branch is planned as itself, a merged one as the base', async () => {
  const first = git(world.pr, 'rev-list', '--max-parents=0', 'origin/main')
  const ff = await mergeCommit({repo: world.pr, ref: 'origin/main', base: first})
  assert.equal([ff.sha, ff.merge.how], [world.mainSha, 'fast-forward'])
  const done = await mergeCommit({repo: world.pr, ref: first, base: 'origin/main'})
  assert.equal([done.sha, done.merge.how], [world.mainSha, 'up-to-date'])
  let err: unknown
  await mergeCommit({repo: world.pr, ref: 'origin/nope', base: 'origin/main'}).catch((e) => (err = e))
  assert.ok(err instanceof UserError && /--ref "origin\/nope" does not name a commit/.test(err.message), String(err))
})

test('a shallow CI clone is told to fetch the history instead of reporting every file as a conflict', () => {
  const shallow = join(tmp(), 'shallow')
  git(tmp(), 'clone', '-q', '--depth', '1', '--no-single-branch', `file://${world.remote}`, shallow)
  const r = tsctl(['diff', '--ref', 'origin/feature', '--base', 'origin/main', '--state-backend', 'git'], {cwd: shallow})
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.match(r.stderr, 'origin/feature and origin/main have no common ancestor')
  assert.match(r.stderr, '(the clone is shallow)')
  assert.match(r.stderr, 'git fetch --unshallow')
})

test('a branch that does not merge cleanly is exit 2 naming the file', () => {
  const r = tsctl(['diff', '--ref', 'origin/clash', '--base', 'origin/main', '--state-backend', 'git'], {cwd: world.pr})
  assert.is(r.code, 2, r.stdout)
  assert.match(r.stderr, 'origin/clash does not merge cleanly into origin/main: conflicts in manifests/extra.yaml')
  assert.not.match(r.stderr, /\n\s+at /)
})

test('diff --out saves a 0600 plan that verifies now, and is refused as stale once the state moved', async () => {
  const path = join(tmp(), 'plan.json')
  const featureSha = git(world.pr, 'rev-parse', 'origin/feature')
  const r = tsctl(['diff', '--ref', 'origin/feature', '--offline', '--state-backend', 'git', '--out', path], {cwd: world.pr})
  assert.is(r.code, 1, r.stderr)
  assert.match(r.stderr, `Saved the first step's plan to ${path}`)
  assert.is(statSync(path).mode & 0o777, 0o600)
  const saved = await loadPlan(path)
  assert.equal(saved.from.state, {lineage: 'lineage-pr-test', serial: 1})
  assert.is(saved.from.commit.sha, featureSha)
  assert.is(saved.from.ref, 'origin/feature')
  assertOutput('saved-plan', saved)
  const backend = new GitStateBackend({repo: world.pr, renew: false})
  const plan = verifyPlan(saved, {state: await backend.read(), commitSha: featureSha})
  assert.equal(plan.actions.map((a) => a.type), ['create'])
  const first = plan.actions[0]
  assert.is(first.type === 'create' ? (first.pod.spec as {nodeName?: string}).nodeName : undefined, first.node)
  // main is synced by someone else: serial 2
  world.state = await syncState(world.admin, 'main', world.state)
  try {
    verifyPlan(saved, {state: await backend.read(), commitSha: featureSha})
    assert.unreachable('a stale plan was accepted')
  } catch (e) {
    assert.ok(e instanceof UserError)
    assert.is((e as Error).message, 'stale plan: the state moved from serial 1 to 2 since the plan was made; run tsctl diff --out again')
  }
})

test.run()
