// tsctl sync end to end on this machine through the local transport, as
// root, with a throwaway runtime ROOT: converge, a no-op second sync, an
// image/command change that rolls, scaling, pruning, drift, exit 2 and exit 3.
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {FileStateBackend} from '../../src/state/file-backend.js'
import {appYaml, localSite, localSkipReason, nodeYaml, syncJson, type LocalSite} from './_local.js'
import {assertOutput} from '../cli/helpers/output-schema.js'

const skip = localSkipReason()
let site: LocalSite

const running = async () => (await site.pods()).filter((p) => p.phase === 'Running' || p.phase === 'Pending')
const statePath = () => join(site.repo.dir, '.tsctl', 'state.json')
const readState = () => JSON.parse(readFileSync(statePath(), 'utf8'))
const sync = (...extra: string[]) => {
  const r = site.tsctl(['sync', '-o', 'json', '--timeout', '60s', ...extra])
  const doc = syncJson(r)
  assertOutput('sync', doc)
  return {r, doc}
}

test.before(async () => {
  if (skip) return
  site = await localSite({'nodes.yaml': nodeYaml, 'app.yaml': appYaml()})
})

test.after(async () => {
  if (skip) return
  const left = await site.cleanup()
  assert.equal(left, [], 'nothing of the runtime ROOT is left')
})

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('sync on the local transport')
} else {
  test('first sync converges: the pods run on the host and the state records the commit', async () => {
    const {r, doc} = sync()
    assert.is(r.code, 0, r.stderr)
    assert.ok(doc.converged)
    assert.is(doc.summary.local.created, 2)
    const pods = await running()
    assert.is(pods.length, 2)
    assert.ok(pods.every((p) => p.name.startsWith('web-') && p.ready))
    const st = readState()
    assert.is(st.appliedCommit.sha, site.repo.git('rev-parse', 'HEAD'))
    // get pods -o wide shows what was observed
    const g = site.tsctl(['get', 'pods', '-o', 'wide'])
    assert.is(g.code, 0, g.stderr)
    const lines = g.stdout.trim().split('\n')
    assert.is(lines.length, 3, g.stdout)
    assert.match(lines[0], /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/)
    for (const l of lines.slice(1)) assert.match(l, /^web-\S+\s+1\/1\s+Running\s+0\s+\S+\s+\S+\s+local\s+oci:images\/busybox$/)
  })

  test('a second sync of the same commit changes nothing and exits 0', async () => {
    const before = (await running()).map((p) => p.uid).sort()
    const {r, doc} = sync()
    assert.is(r.code, 0, r.stderr)
    assert.equal(doc.summary.local, {created: 0, replaced: 0, deleted: 0, unchanged: 2, failed: 0})
    assert.is(doc.passes, 1)
    assert.equal((await running()).map((p) => p.uid).sort(), before)
  })

  test('a command change rolls the Deployment over several rounds: new pods replace the old ones', async () => {
    const old = new Set((await running()).map((p) => p.uid))
    site.repo.commit('new command', {'app.yaml': appYaml({cmd: 'echo v2; exec sleep 3600'})})
    const {r, doc} = sync()
    assert.is(r.code, 0, r.stderr)
    assert.ok(doc.passes > 1, 'the rolling update took several rounds')
    const pods = await running()
    assert.is(pods.length, 2)
    assert.ok(pods.every((p) => !old.has(p.uid) && p.ready), 'only new pods run')
    assert.is(doc.summary.local.created, 2)
    assert.is(doc.summary.local.deleted, 2)
  })

  test('scale up to 3, then down to 1', async () => {
    site.repo.commit('scale up', {'app.yaml': appYaml({replicas: 3, cmd: 'echo v2; exec sleep 3600'})})
    let {r, doc} = sync()
    assert.is(r.code, 0, r.stderr)
    assert.is(doc.summary.local.created, 1)
    assert.is((await running()).length, 3)
    site.repo.commit('scale down', {'app.yaml': appYaml({replicas: 1, cmd: 'echo v2; exec sleep 3600'})})
    ;({r, doc} = sync())
    assert.is(r.code, 0, r.stderr)
    assert.is(doc.summary.local.deleted, 2)
    assert.is((await running()).length, 1)
  })

  test('drift: a pod removed behind tsctl\'s back is started again', async () => {
    const [p] = await running()
    await site.client.remove(p.uid, 0)
    assert.is((await running()).length, 0)
    const {r, doc} = sync()
    assert.is(r.code, 0, r.stderr)
    assert.is(doc.summary.local.created, 1)
    const now = await running()
    assert.is(now.length, 1)
    assert.is(now[0].name, p.name, 'the same pod (name and uid are hashes)')
  })

  test('invalid manifests: exit 2, nothing written, nothing changed on the host', async () => {
    const stateBefore = readFileSync(statePath(), 'utf8')
    const podsBefore = (await running()).map((p) => p.uid).sort()
    site.repo.commit('broken', {'app.yaml': appYaml({replicas: 1}).replace('replicas: 1', 'replicas: "many"')})
    const r = site.tsctl(['sync'])
    assert.is(r.code, 2, r.stdout + r.stderr)
    assert.match(r.stderr, 'app.yaml')
    assert.is(readFileSync(statePath(), 'utf8'), stateBefore)
    assert.equal((await running()).map((p) => p.uid).sort(), podsBefore)
  })

  test('locked by someone else: exit 3 naming the holder, nothing changed', async () => {
    site.repo.commit('fixed', {'app.yaml': appYaml({replicas: 2})})
    const other = new FileStateBackend(statePath())
    await other.lock('tsctl watch')
    try {
      const stateBefore = readFileSync(statePath(), 'utf8')
      const r = site.tsctl(['sync'])
      assert.is(r.code, 3, r.stdout + r.stderr)
      assert.match(r.stderr, 'tsctl watch')
      assert.match(r.stderr, String(process.pid))
      assert.is(readFileSync(statePath(), 'utf8'), stateBefore)
      assert.is((await running()).length, 1)
    } finally {
      await other.unlock()
    }
  })

  test('--lock-timeout waits for the holder instead of exit 3', async () => {
    const other = new FileStateBackend(statePath())
    await other.lock('tsctl watch')
    const child = site.spawnTsctl(['sync', '--lock-timeout', '60s'])
    let err = ''
    child.stderr!.on('data', (d) => (err += d))
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    try {
      // release only once the child has said it is waiting: it must not have given up
      for (let i = 0; i < 300 && !err.includes('waiting for the state lock'); i++) await new Promise((r) => setTimeout(r, 100))
      assert.match(err, 'waiting for the state lock')
      await other.unlock()
      assert.is(await exited, 0, err)
    } finally {
      await other.unlock().catch(() => {})
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  test('SIGTERM stops after the current step: exit 5, lock released, state parses; the next sync converges', async () => {
    // a rollout with a pod that never becomes ready, so the sync is still waiting when the signal comes
    site.repo.commit('never ready', {'app.yaml': appYaml({replicas: 2, cmd: 'exec sleep 3600'}).replace('      containers:', '      containers:\n        - {name: probe, image: oci:images/busybox, command: [sleep, "3600"], readinessProbe: {exec: {command: ["false"]}, periodSeconds: 1}}')})
    const child = site.spawnTsctl(['sync', '--timeout', '120s'])
    let err = ''
    child.stderr!.on('data', (d) => (err += d))
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    try {
      for (let i = 0; i < 600 && !err.includes('waiting:'); i++) await new Promise((r) => setTimeout(r, 100))
      assert.match(err, 'waiting:')
      child.kill('SIGTERM')
      assert.is(await exited, 5, err)
      assert.match(err, 'stopped before converging')
      assert.not.ok(existsSync(statePath() + '.lock'), 'the lock is released')
      readState()
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
    site.repo.commit('ready again', {'app.yaml': appYaml({replicas: 2})})
    const {r} = sync()
    assert.is(r.code, 0, r.stderr)
  })

  test('prune: an object removed from git has its pods stopped; --no-prune keeps them', async () => {
    const extra = appYaml({replicas: 1}).split('---\n')[1].replace(/name: web/, 'name: extra').replace(/app: web/g, 'app: extra')
    site.repo.commit('add extra', {'extra.yaml': extra})
    let {r, doc} = sync()
    assert.is(r.code, 0, r.stderr)
    assert.is((await running()).filter((p) => p.name.startsWith('extra-')).length, 1)
    site.repo.commit('drop extra', {}, ['extra.yaml'])
    ;({r, doc} = sync('--no-prune'))
    assert.is(r.code, 0, r.stderr)
    assert.is(doc.summary.local.deleted, 0)
    assert.is((await running()).filter((p) => p.name.startsWith('extra-')).length, 1, '--no-prune keeps it')
    ;({r, doc} = sync())
    assert.is(r.code, 0, r.stderr)
    assert.is(doc.summary.local.deleted, 1)
    const left = await running()
    assert.is(left.filter((p) => p.name.startsWith('extra-')).length, 0)
    assert.is(left.filter((p) => p.name.startsWith('web-')).length, 2)
  })

  test('--dry-run prints the plan and changes nothing', async () => {
    site.repo.commit('scale to 3', {'app.yaml': appYaml({replicas: 3})})
    const stateBefore = readFileSync(statePath(), 'utf8')
    const r = site.tsctl(['sync', '--dry-run'])
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stdout, /\+ create Pod\/default\/web-/)
    assert.match(r.stdout, 'nothing was changed')
    assert.is(readFileSync(statePath(), 'utf8'), stateBefore)
    assert.is((await running()).length, 2)
  })
}

test.run()
