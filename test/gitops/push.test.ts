// git push → rollout, on this machine through the local transport with a
// throwaway runtime ROOT (as root): a bare repo with tsctl's post-receive
// hook, a clone pushing to it. The pusher sees the rollout as `remote:`
// lines and a failed rollout as a failure; then rollout status/history/undo
// on what the pushes made, and a new commit moving forward again.
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {buildBusyboxLayout} from '../fixtures/busybox-image.js'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {assertOutput} from '../cli/helpers/output-schema.js'
import {appYaml, localSite, localSkipReason, nodeYaml, type LocalSite} from '../sync/_local.js'

const skip = localSkipReason()
let site: LocalSite
let dir: string
let bare: string
let statePath: string

/** One Deployment (see appYaml; `probe`: a readiness probe that never passes, 2 s progress deadline). */
const app = (o: {cmd: string; msg?: string; probe?: boolean}) => appYaml({...o, replicas: 1})

const push = () => {
  const r = spawnSync('git', ['push', 'origin', 'main'], {cwd: site.repo.dir, encoding: 'utf8', env: {...process.env, ...site.env}, timeout: 170_000})
  return {code: r.status ?? -1, stderr: r.stderr}
}
/** tsctl against the bare repo and the hook's state */
const ts = (...args: string[]) => site.tsctl([...args, '--repo', bare, '--state', statePath])
const state = () => JSON.parse(readFileSync(statePath, 'utf8'))
const webPods = async () => (await site.pods()).filter((p) => p.name.startsWith('web-') && (p.phase === 'Running' || p.phase === 'Pending'))
const history = () => {
  const r = ts('rollout', 'history', 'deploy/web', '-o', 'json')
  assert.is(r.code, 0, r.stderr)
  return JSON.parse(r.stdout).revisions as {revision: number; object: string; commit?: {sha: string; subject: string}}[]
}
const rsOf = (podName: string) => podName.replace(/-[^-]+$/, '')

test.before(async () => {
  if (skip) return
  site = await localSite({'nodes.yaml': nodeYaml, 'app.yaml': app({cmd: 'echo v1; exec sleep 3600'})})
  dir = mkdtempSync('/tmp/tsctl-push-')
  bare = join(dir, 'fleet.git')
  statePath = join(dir, 'work', '.tsctl', 'state.json')
  spawnSync('git', ['init', '-q', '--bare', '-b', 'main', bare])
  // the oci: image lives beside the manifests on disk (a symlink out of the repo is refused)
  await buildBusyboxLayout(join(bare, 'images', 'busybox'))
  site.repo.git('remote', 'add', 'origin', bare)
})

test.after(async () => {
  if (skip) return
  const left = await site.cleanup()
  rmSync(dir, {recursive: true, force: true})
  assert.equal(left, [], 'nothing of the runtime ROOT is left')
})

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('git push rolls out')
} else {
  test('hook install writes an executable post-receive hook', () => {
    const r = site.tsctl(['hook', 'install', '--repo', bare, '--work', join(dir, 'work')])
    assert.is(r.code, 0, r.stderr)
    const hook = join(bare, 'hooks', 'post-receive')
    assert.ok(existsSync(hook))
    assert.match(readFileSync(hook, 'utf8'), /TSCTL_ROOT='\/tmp\/tss-root-/)
    // a second install replaces ours (-o json follows its schema); a foreign hook is refused
    const again = site.tsctl(['hook', 'install', '--repo', bare, '--work', join(dir, 'work'), '-o', 'json'])
    assert.is(again.code, 0, again.stderr)
    assertOutput('hook-install', JSON.parse(again.stdout))
    const w = site.tsctl(['hook', 'install', '--repo', site.repo.dir])
    assert.is(w.code, 2)
    assert.match(w.stderr, /not a bare repository/)
  })

  test('git push rolls out and the pusher sees the progress as remote: lines', async () => {
    const r = push()
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /remote: tsctl: rolling out [0-9a-f]{8} of main/, r.stderr)
    assert.match(r.stderr, /remote: .*converged after/, r.stderr)
    assert.match(r.stderr, /remote: tsctl: [0-9a-f]{8} "first" rolled out/, r.stderr)
    const pods = await webPods()
    assert.is(pods.length, 1)
    assert.ok(pods[0].ready)
    assert.is(state().appliedCommit.sha, site.repo.git('rev-parse', 'HEAD'))
  })

  test('a second push rolls the Deployment to the new template', async () => {
    const before = (await webPods()).map((p) => p.uid)
    site.repo.commit('v2', {'app.yaml': app({cmd: 'echo v2; exec sleep 3600'})})
    const r = push()
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /remote: tsctl: [0-9a-f]{8} "v2" rolled out/, r.stderr)
    const pods = await webPods()
    assert.is(pods.length, 1)
    assert.not.ok(before.includes(pods[0].uid))
  })

  test('a push whose rollout fails is reported to the pusher', () => {
    site.repo.commit('broken readiness', {'app.yaml': app({cmd: 'echo v3; exec sleep 3600', probe: true})})
    const r = push()
    assert.is(r.code, 0, 'the push itself is accepted')
    assert.match(r.stderr, /remote: .*exceeded its progress deadline/, r.stderr)
    assert.match(r.stderr, /remote: tsctl: rollout of [0-9a-f]{40} FAILED \(exit 5\)/, r.stderr)
  })

  test('rollout status exits 5 on a deployment whose readiness probe never passes', () => {
    const r = ts('rollout', 'status', 'deploy/web', '--timeout', '60s')
    assert.is(r.code, 5, r.stdout + r.stderr)
    assert.match(r.stderr, /deployment "web" exceeded its progress deadline/, r.stderr)
  })

  test('rollout history lists the commit subjects', () => {
    const h = history()
    assert.equal(h.map((x) => x.commit?.subject), ['first', 'v2', 'broken readiness'])
    const t = ts('rollout', 'history', 'deploy/web')
    assert.match(t.stdout, /broken readiness/)
  })

  test('undo goes back; a following sync of the same commit keeps it; get and describe show the pin', async () => {
    const v2 = history().find((x) => x.commit?.subject === 'v2')!
    const u = ts('rollout', 'undo', 'deploy/web')
    assert.is(u.code, 0, u.stdout + u.stderr)
    assert.match(u.stdout, /deployment.apps\/web rolled back/)
    let pods = await webPods()
    assert.is(pods.length, 1)
    assert.is(rsOf(pods[0].name), v2.object.replace(/^ReplicaSet\//, ''), 'the pods are v2\'s ReplicaSet\'s')
    assert.ok(pods[0].ready)
    const uid = pods[0].uid
    // the same commit again: git's Deployment is unchanged, the pin holds
    const s = ts('sync', '--ref', 'main', '--timeout', '60s')
    assert.is(s.code, 0, s.stdout + s.stderr)
    pods = await webPods()
    assert.equal(pods.map((p) => p.uid), [uid])
    const df = ts('diff', '--offline', '--ref', 'main')
    assert.match(df.stdout, /pinned: Deployment\/default\/web stays at \d+ \(rollout undo\)/, df.stdout + df.stderr)
    const dj = ts('diff', '--offline', '--ref', 'main', '-o', 'json')
    const doc = JSON.parse(dj.stdout)
    assertOutput('diff', doc)
    const pins = doc.pins as {object: string; pinnedRevision: string; lifted: boolean}[]
    assert.equal(pins.find((p) => p.object === 'Deployment/default/web')?.lifted, false, dj.stdout)
    assert.ok(pins.filter((p) => p.object !== 'Deployment/default/web').every((p) => p.pinnedRevision.startsWith('Deployment/default/web@') && !p.lifted), 'the ConfigMap the revision used is pinned with it')
    const d = ts('describe', 'deploy/web')
    assert.match(d.stdout, /pinned/i, d.stdout)
    const g = ts('get', 'deploy/web', '-o', 'wide')
    assert.match(g.stdout, /pinned/i, g.stdout)
    // already there: kubectl's message
    const again = ts('rollout', 'undo', 'deploy/web', '--to-revision', String(history().find((x) => x.commit?.subject === 'v2')!.revision))
    assert.is(again.code, 0, again.stderr)
    assert.match(again.stdout, /skipped rollback \(current template already matches revision \d+\)/)
  })

  test('pause refuses undo; resume; restart rolls the pods', async () => {
    assert.is(ts('rollout', 'pause', 'deploy/web').code, 0)
    const u = ts('rollout', 'undo', 'deploy/web')
    assert.is(u.code, 2)
    assert.match(u.stderr, /cannot rollback a paused deployment/)
    const r = ts('rollout', 'resume', 'deploy/web', '--timeout', '60s')
    assert.is(r.code, 0, r.stdout + r.stderr)
    const before = (await webPods()).map((p) => p.uid)
    const rs = ts('rollout', 'restart', 'deploy/web', '--timeout', '60s')
    assert.is(rs.code, 0, rs.stdout + rs.stderr)
    const rj = ts('rollout', 'pause', 'deploy/web', '-o', 'json')
    assertOutput('rollout-change', JSON.parse(rj.stdout))
    assert.is(ts('rollout', 'resume', 'deploy/web', '--no-apply').code, 0)
    const after = await webPods()
    assert.is(after.length, 1)
    assert.not.ok(before.includes(after[0].uid), 'restarted: a new pod')
  })

  test('a new commit that changes the workload moves forward again', async () => {
    site.repo.commit('v4', {'app.yaml': app({cmd: 'echo v4; exec sleep 3600'})})
    const r = push()
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /"v4" rolled out/, r.stderr)
    const h = history()
    const cur = h.at(-1)!
    assert.is(cur.commit?.subject, 'v4')
    const pods = await webPods()
    assert.is(pods.length, 1)
    assert.is(rsOf(pods[0].name), cur.object.replace(/^ReplicaSet\//, ''))
    const web = state().objects['Deployment/default/web']
    assert.not.ok(web.metadata.annotations['tsctl.io/pinned-revision'], 'the pin is gone')
  })

  test('undo --commit writes the restored manifest to git; pushing it ends the pin', async () => {
    const v2 = history().find((x) => x.commit?.subject === 'v2')!
    const u = site.tsctl(['rollout', 'undo', 'deploy/web', '--to-revision', String(v2.revision), '--commit', '--state', statePath])
    assert.is(u.code, 0, u.stdout + u.stderr)
    assert.is(site.repo.git('log', '-1', '--format=%s'), `Roll back deployment/web to revision ${v2.revision}`)
    const text = readFileSync(join(site.repo.dir, 'app.yaml'), 'utf8')
    assert.match(text, /echo v2; exec sleep 3600/)
    assert.not.match(text, /tsctl\.io\//, 'no tsctl annotations leak into git')
    assert.match(text, /name: cfg/, 'the other documents of the file are kept')
    assert.ok(state().objects['Deployment/default/web'].metadata.annotations['tsctl.io/pinned-revision'])
    const r = push()
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /"Roll back deployment\/web to revision \d+" rolled out/, r.stderr)
    assert.not.ok(state().objects['Deployment/default/web'].metadata.annotations['tsctl.io/pinned-revision'], 'git now says it: no pin')
    const pods = await webPods()
    assert.is(pods.length, 1)
    assert.ok(pods[0].ready)
  })

  test('a push while an earlier push still rolls out: the earlier is superseded after its step, the later rolls out', async () => {
    site.repo.commit('never ready', {'app.yaml': app({cmd: 'echo v5; exec sleep 3600', probe: true}).replace('progressDeadlineSeconds: 2', 'progressDeadlineSeconds: 600')})
    const first = spawn('git', ['push', 'origin', 'main'], {cwd: site.repo.dir, env: {...process.env, ...site.env}})
    let firstErr = ''
    first.stderr.on('data', (d: Buffer) => (firstErr += d))
    const firstDone = new Promise<number | null>((r) => first.on('exit', (c) => r(c)))
    const end = Date.now() + 120_000
    while (!/waiting: /.test(firstErr)) {
      if (Date.now() > end) throw new Error(`the first rollout never waited:\n${firstErr}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    // meanwhile, rollout status prints kubectl's progress and gives up at --timeout (exit 5)
    const st = ts('rollout', 'status', 'deploy/web', '--timeout', '2s')
    assert.is(st.code, 5, st.stdout + st.stderr)
    assert.match(st.stdout, /^Waiting for deployment "web" rollout to finish: /m, st.stdout)
    assert.match(st.stderr, /timed out waiting for the condition/)
    site.repo.commit('fixed', {'app.yaml': app({cmd: 'echo v6; exec sleep 3600'})})
    const second = push()
    assert.is(await firstDone, 0, firstErr)
    assert.match(firstErr, /remote: tsctl: [0-9a-f]{8} superseded by a newer push after the current step/, firstErr)
    assert.is(second.code, 0, second.stderr)
    assert.match(second.stderr, /"fixed" rolled out/, second.stderr)
    const pods = await webPods()
    assert.is(pods.length, 1)
    assert.ok(pods[0].ready)
    assert.is(state().appliedCommit.subject, 'fixed')
  })
}

test.run()
