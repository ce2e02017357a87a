// git push → rollout of a registry image, on this machine through the
// local transport with a throwaway runtime ROOT (as root): a bare repo with
// tsctl's post-receive hook, a clone pushing to it, Debian's docker-registry
// on loopback. The hook's sync pulls the tag the commit names, pins its
// digest, and the pod runs those bytes; a second push sends only the layer
// the host lacks; a push naming a tag the registry does not have is reported
// to the pusher and changes nothing.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {testUnless} from '../fixtures/skip.js'
import {registryMissing, startRegistry, stopRegistriesAfter, type RunningRegistry} from '../fixtures/registry.js'
import {localSite, localSkipReason, nodeYaml, type LocalSite} from '../sync/_local.js'
import {buildApp, literal, webDeployment} from '../sync/_registry-app.js'

const skip = localSkipReason() ?? registryMissing()
const maybe = testUnless(skip, 'git push rolls out a registry image')
stopRegistriesAfter(test)

let site: LocalSite
let reg: RunningRegistry
let dir: string
let bare: string
let statePath: string
const digests: Record<string, string> = {}

/** git push as a user does; the hook's tsctl inherits the environment (its image cache here). */
const push = () => {
  const r = spawnSync('git', ['push', 'origin', 'main'], {cwd: site.repo.dir, encoding: 'utf8', env: {...process.env, ...site.env, TSCTL_CACHE_DIR: join(dir, 'cache')}, timeout: 170_000})
  return {code: r.status ?? -1, stderr: r.stderr}
}
const image = (tag: string) => `${reg.host}/team/app:${tag}`
const webPods = async () => (await site.pods()).filter((p) => p.name.startsWith('web-') && (p.phase === 'Running' || p.phase === 'Pending'))
/** What each web pod's /etc/app-version says: the bytes it runs. */
const versions = async () => {
  const out: string[] = []
  for (const p of await webPods()) out.push((await site.client.exec(p.uid, 'main', ['cat', '/etc/app-version'])).stdout.toString().trim())
  return out.sort()
}
type Obj = {kind: string; metadata: {name: string; deletionTimestamp?: string; annotations?: Record<string, string>}}
const state = () => JSON.parse(readFileSync(statePath, 'utf8')) as {appliedCommit: {sha: string; subject: string}; objects: Record<string, Obj>}
/** The image pins of the live pods in the hook's state. */
const podPins = () => Object.values(state().objects)
  .filter((o) => o.kind === 'Pod' && !o.metadata.deletionTimestamp)
  .map((o) => JSON.parse(o.metadata.annotations?.['tsctl.io/image-digests'] ?? '{}') as Record<string, string>)
const layerLines = (stderr: string) => stderr.match(/^remote: .*local layer [0-9a-f]{12} of .*$/gm) ?? []

test.before(async () => {
  if (skip) return
  dir = mkdtempSync('/tmp/tsctl-push-reg-')
  reg = await startRegistry()
  for (const v of ['1', '2']) {
    await buildApp(join(dir, 'layouts', v), `pushed-${v}`)
    digests[v] = (await reg.push('team/app', v, join(dir, 'layouts', v))).digest
  }
  site = await localSite({'nodes.yaml': nodeYaml, 'app.yaml': webDeployment(image('1'))})
  bare = join(dir, 'fleet.git')
  statePath = join(dir, 'work', '.tsctl', 'state.json')
  const init = spawnSync('git', ['init', '-q', '--bare', '-b', 'main', bare], {encoding: 'utf8'})
  if (init.status !== 0) throw new Error(`git init --bare: ${init.stderr}`)
  site.repo.git('remote', 'add', 'origin', bare)
  const h = site.tsctl(['hook', 'install', '--repo', bare, '--work', join(dir, 'work')])
  if (h.code !== 0) throw new Error(`hook install: ${h.stderr}`)
})

test.after(async () => {
  if (skip) return
  const left = site ? await site.cleanup() : []
  if (dir) rmSync(dir, {recursive: true, force: true})
  assert.equal(left, [], 'nothing of the runtime ROOT is left')
})

maybe('a push rolls out the registry image: the hook pulls the tag, pins its digest, the pod runs its bytes', async () => {
  const r = push()
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /remote: tsctl: [0-9a-f]{8} "first" rolled out/, r.stderr)
  // both layers travel to the host, as remote: lines the pusher sees
  assert.is(layerLines(r.stderr).length, 2, r.stderr)
  assert.match(layerLines(r.stderr)[0] ?? '', literal(`of ${reg.host}/team/app@${digests['1']}`))
  assert.equal(await versions(), ['pushed-1'])
  assert.equal(podPins(), [{[image('1')]: digests['1']}])
  assert.is(state().appliedCommit.sha, site.repo.git('rev-parse', 'HEAD'))
})

maybe('a push naming a new tag rolls the Deployment to it, sending only the layer the host lacks', async () => {
  const before = (await webPods()).map((p) => p.uid)
  site.repo.commit('app 2', {'app.yaml': webDeployment(image('2'))})
  const r = push()
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /remote: tsctl: [0-9a-f]{8} "app 2" rolled out/, r.stderr)
  assert.is(layerLines(r.stderr).length, 1, `the busybox layer is shared: only :2's own is sent\n${r.stderr}`)
  assert.equal(await versions(), ['pushed-2'])
  assert.not.ok(before.includes((await webPods())[0].uid), 'a new pod')
  assert.equal(podPins(), [{[image('2')]: digests['2']}])
})

maybe('a push naming a tag the registry lacks: the pusher is told which image, and the running pod stays', async () => {
  const before = (await webPods()).map((p) => p.uid)
  const applied = state().appliedCommit.sha
  site.repo.commit('app 3', {'app.yaml': webDeployment(image('3'))})
  const r = push()
  assert.is(r.code, 0, 'the push itself is accepted')
  assert.match(r.stderr, new RegExp(`remote: .*${literal(image('3')).source}`), r.stderr)
  assert.match(r.stderr, /remote: tsctl: rollout of [0-9a-f]{40} FAILED \(exit 2\)/, r.stderr)
  assert.equal((await webPods()).map((p) => p.uid), before)
  assert.equal(await versions(), ['pushed-2'])
  assert.is(state().appliedCommit.sha, applied, 'nothing applied')
})

test.run()
