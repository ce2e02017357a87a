// `tsctl watch` end to end with the real sync on this machine (local
// transport, throwaway runtime ROOT, as root): three commits made in quick
// succession each get their own pass, in order; SIGTERM stops it cleanly
// with the state written; -o json is one object per line.
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {appYaml, localSite, localSkipReason, nodeYaml, type LocalSite} from '../sync/_local.js'
import {assertOutput} from '../cli/helpers/output-schema.js'

const skip = localSkipReason()
let site: LocalSite

test.before(async () => {
  if (skip) return
  site = await localSite({'nodes.yaml': nodeYaml, 'app.yaml': appYaml({replicas: 1})})
})

test.after(async () => {
  if (skip) return
  const left = await site.cleanup()
  assert.equal(left, [], 'nothing of the runtime ROOT is left')
})

/** `tsctl watch -o json` as a child: its records as they arrive, and a bounded wait on them. */
function startWatch(timeout: string) {
  const child = site.spawnTsctl(['watch', '-o', 'json', '--resync', '0', '--timeout', timeout])
  const records: Record<string, unknown>[] = []
  let buf = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => {
    buf += d
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      records.push(JSON.parse(buf.slice(0, i)))
      buf = buf.slice(i + 1)
    }
  })
  child.stderr!.on('data', (d: Buffer) => (err += d))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  const until = async (cond: () => boolean, what: string) => {
    const end = Date.now() + 120_000
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${err}\n${records.map((r) => JSON.stringify(r)).join('\n')}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return {child, records, exited, until, stderr: () => err}
}

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('tsctl watch')
} else {
  test('three commits in quick succession: one pass each, in order; SIGTERM stops cleanly', async () => {
    const {child, records, exited, until, stderr} = startWatch('60s')
    const ends = () => records.filter((r) => r.event === 'pass.end')
    try {
      await until(() => ends().length === 1, 'the first pass (the tip)')
      const shas = ['one', 'two', 'three'].map((m) => site.repo.commit(`msg ${m}`, {'app.yaml': appYaml({replicas: 1, msg: m})}))
      await until(() => ends().length === 4, 'three more passes')
      assert.equal(ends().slice(1).map((r) => r.commit), shas)
      // a pass whose commit already had a successor stops after its first step (superseded); the last converges
      assert.ok(ends().every((r) => r.converged || /superseded/.test(String(r.message))), JSON.stringify(ends()))
      assert.ok(ends().every((r) => r.level === 'info'), JSON.stringify(ends()))
      assert.is(ends().at(-1)!.converged, true)
      assert.equal(records.filter((r) => r.event === 'commit').slice(1).map((r) => r.subject), ['msg one', 'msg two', 'msg three'])
      for (const r of records) assertOutput('watch-record', r)
      child.kill('SIGTERM')
      assert.is(await exited, 0, stderr())
      assert.is(records.at(-1)!.event, 'watch.stop')
      const st = JSON.parse(readFileSync(join(site.repo.dir, '.tsctl', 'state.json'), 'utf8'))
      assert.is(st.appliedCommit.sha, shas[2])
      assert.equal((st.objects['ConfigMap/default/cfg'] as {data: unknown}).data, {msg: 'three'})
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  test('SIGTERM while a rollout waits for readiness: stops after the step in flight, state written, lock released', async () => {
    const {child, records, exited, until, stderr} = startWatch('120s')
    try {
      await until(() => records.some((r) => r.event === 'watch.start'), 'start')
      // a pod that never turns ready: the rollout waits (maxUnavailable 0 keeps the old pod)
      const sha = site.repo.commit('never ready', {'app.yaml': appYaml({replicas: 1, cmd: 'exec sleep 3600'}).replace('          volumeMounts:', '          readinessProbe:\n            exec: {command: ["false"]}\n            periodSeconds: 1\n          volumeMounts:')})
      await until(() => records.some((r) => r.event === 'sync' && r.commit === sha && (r.detail as {type?: string})?.type === 'waiting'), 'the rollout to wait for readiness')
      child.kill('SIGTERM')
      assert.is(await exited, 0, stderr())
      const end = records.find((r) => r.event === 'pass.end' && r.commit === sha)!
      assert.ok(end, 'the pass ended')
      assert.is(end.converged, false)
      assert.match(String(end.message), /stopped/)
      assert.is(end.level, 'info', 'a stop on request is not an error')
      assert.is(records.at(-1)!.event, 'watch.stop')
      assert.not.ok(existsSync(join(site.repo.dir, '.tsctl', 'state.json.lock')), 'the lock is released')
      const st = JSON.parse(readFileSync(join(site.repo.dir, '.tsctl', 'state.json'), 'utf8'))
      assert.ok(Object.values(st.objects).some((o) => (o as {kind: string; metadata: {annotations?: Record<string, string>}}).kind === 'ReplicaSet' && (o as {metadata: {annotations?: Record<string, string>}}).metadata.annotations?.['tsctl.io/commit'] === sha), 'the new ReplicaSet is in the state')
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
}

test.run()
