// `tsctl logs` and `tsctl exec` against a real pod on this machine through
// the local transport: the pod is applied with RuntimeClient into a
// throwaway runtime root (TSCTL_ROOT), and a state file binds it to the
// Node `local`, as a sync would have left it.
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {KubeObject} from '../../src/manifests/object.js'
import {emptyState} from '../../src/state/model.js'
import {bin, cleanEnv, cleanup, tempDir, tsctl} from '../cli/helpers/run.js'
import {pod, sleep, testHost, type TestHost} from '../host/_host.js'
import {testUnless} from '../fixtures/skip.js'

const skip = process.getuid?.() !== 0 ? 'logs/exec need root (the runtime makes namespaces and cgroups)' : undefined
const maybe = testUnless(skip, 'logs-exec-local')

let host: TestHost
let repo: string
let uid: string
let env: Record<string, string>

test.before(async () => {
  if (skip) return
  host = await testHost()
  repo = tempDir('tsctl-logs-')
  const p = pod('talker', [
    {name: 'main', command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; done; echo to-stderr >&2; touch /tmp/up; while true; do sleep 1; done']},
    // side fails its first run and runs on after one restart: the host then has a previous log
    {name: 'side', command: ['sh', '-c', 'if [ -e /m/once ]; then echo side-car; while true; do sleep 1; done; fi; touch /m/once; echo first-run; exit 1'], volumeMounts: [{name: 'm', mountPath: '/m'}]},
  ], {volumes: [{name: 'm', emptyDir: {}}]})
  uid = await host.apply(p, {testBackoffSeconds: 1})
  await host.waitPod(uid, (s) => s.phase === 'Running' && s.containers.every((c) => c.state === 'running') && (s.containers[1]?.restartCount ?? 0) >= 1, 'talker running, side restarted once')
  // the log is written as the container runs: wait for its last line
  for (let i = 0; i < 100; i++) {
    const r = await host.client.exec(uid, 'main', ['test', '-e', '/tmp/up'])
    if (r.code === 0) break
    await sleep(50)
  }
  const node: KubeObject = {apiVersion: 'v1', kind: 'Node', metadata: {name: 'local'}, spec: {address: 'local'}}
  const state = emptyState('test-lineage')
  state.serial = 1
  state.objects['Node/local'] = node
  state.objects['Pod/default/talker'] = {...p, spec: {...(p.spec as object), nodeName: 'local'},
    status: {phase: 'Running', containerStatuses: [{name: 'main', ready: true, restartCount: 0}, {name: 'side', ready: true, restartCount: 1}]}}
  state.objects['Pod/default/pending'] = {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'pending', namespace: 'default', uid: 'x-pending'}, spec: {containers: [{name: 'a', image: 'x'}]}}
  state.objects['Pod/default/gone'] = {...p, metadata: {...p.metadata, name: 'gone', uid: 'not-on-host'}, spec: {...(p.spec as object), nodeName: 'local'}}
  mkdirSync(join(repo, '.tsctl'), {recursive: true})
  writeFileSync(join(repo, '.tsctl', 'state.json'), JSON.stringify(state, null, 2), {mode: 0o600})
  env = {TSCTL_ROOT: host.root}
})

test.after(async () => {
  if (skip || !host) return
  cleanup() // the repo made by tempDir
  const left = await host.cleanup()
  assert.equal(left, [])
})

const run = (args: string[]) => tsctl(args, {cwd: repo, env})

maybe('logs prints the first container\'s log and names the default', () => {
  const r = run(['logs', 'talker'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /line 1\nline 2\nline 3\nline 4\nline 5\n/)
  assert.match(r.stdout, 'to-stderr')
  assert.match(r.stderr, 'Defaulted container "main" out of: main, side')
})

maybe('logs -c and --tail', () => {
  const side = run(['logs', 'pod/talker', '-c', 'side'])
  assert.is(side.code, 0, side.stderr)
  assert.is(side.stdout, 'side-car\n')
  const tail = run(['logs', 'talker', '-c', 'main', '--tail', '2'])
  assert.is(tail.code, 0, tail.stderr)
  assert.is(tail.stdout.trim().split('\n').length, 2)
  assert.match(tail.stdout, 'to-stderr')
  assert.not.match(tail.stdout, 'line 4')
})

maybe('logs --previous: refused for a container that never restarted, shown for one that did', () => {
  const none = run(['logs', 'talker', '-c', 'main', '--previous'])
  assert.is(none.code, 2)
  assert.match(none.stderr, 'previous terminated container "main" in pod "talker" not found')
  const some = run(['logs', 'talker', '-c', 'side', '--previous'])
  assert.is(some.code, 0, some.stderr)
  assert.is(some.stdout, 'first-run\n', 'only the run before the restart, as kubectl shows it')
})

maybe('logs -f streams new lines until interrupted; with --tail it starts from the last N', async () => {
  const child = spawn(process.execPath, [bin, 'logs', 'talker', '-c', 'main', '-f', '--tail', '1'], {cwd: repo, env: cleanEnv(env)})
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  try {
    for (let i = 0; i < 100 && !out.includes('to-stderr'); i++) await sleep(50)
    assert.is(out, 'to-stderr\n')
    const w = await host.client.exec(uid, 'main', ['sh', '-c', 'echo appended >> /proc/1/fd/1'])
    assert.is(w.code, 0, w.stderr)
    for (let i = 0; i < 100 && !out.includes('appended'); i++) await sleep(50)
    assert.is(out, 'to-stderr\nappended\n')
  } finally {
    child.kill('SIGINT')
  }
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)))
  assert.ok(code !== null)
})

maybe('exec runs argv in the container and exits with its code', () => {
  const r = run(['exec', 'talker', '--', 'sh', '-c', 'echo "$0 $1"; cat /etc/hostname; exit 7', 'a b', ';rm -rf /'])
  assert.is(r.code, 7, r.stderr)
  assert.match(r.stdout, 'a b ;rm -rf /\ntalker\n')
  const c = run(['exec', 'talker', '-c', 'side', '--', 'ls', '/definitely-missing'])
  assert.is(c.code, 1)
  assert.match(c.stderr, 'definitely-missing')
})

maybe('exec -i passes stdin through', () => {
  const r = tsctlInput(['exec', 'talker', '-i', '--', 'sh', '-c', 'tr a-z A-Z'], 'hello pod\n')
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, 'HELLO POD\n')
})

maybe('exec -it gives the command a terminal: what it types in arrives, isatty holds, the exit code is its own', () => {
  // without -t the streams are pipes
  const plain = run(['exec', 'talker', '--', 'sh', '-c', 'test -t 1 && echo tty || echo no-tty'])
  assert.is(plain.stdout, 'no-tty\n')
  const r = tsctlInput(['exec', '-it', 'talker', '--', 'sh', '-c', 'test -t 0 && test -t 1 && echo has-tty; read line; echo "got $line"; exit 7'], 'typed\n')
  assert.is(r.code, 7, r.stderr)
  assert.match(r.stdout, 'has-tty')
  assert.match(r.stdout, 'got typed')
})

maybe('clear errors: unknown pod, unbound pod, pod not on its host, bad container, no command', () => {
  const unknown = run(['logs', 'nope'])
  assert.is(unknown.code, 2)
  assert.match(unknown.stderr, 'pods "nope" not found in namespace default')
  const pending = run(['exec', 'pending', '--', 'true'])
  assert.is(pending.code, 2)
  assert.match(pending.stderr, 'not bound to a node')
  const gone = run(['logs', 'gone'])
  assert.is(gone.code, 2)
  assert.match(gone.stderr, 'is not on node local')
  const gone2 = run(['exec', 'gone', '--', 'true'])
  assert.is(gone2.code, 2)
  assert.match(gone2.stderr, 'is not on node local')
  const badC = run(['logs', 'talker', '-c', 'nope'])
  assert.is(badC.code, 2)
  assert.match(badC.stderr, 'choose one of: main, side')
  const noCmd = run(['exec', 'talker'])
  assert.is(noCmd.code, 2)
  assert.match(noCmd.stderr, 'no command given')
})

function tsctlInput(args: string[], input: string): {code: number; stdout: string; stderr: string} {
  const r = spawnSync(process.execPath, [bin, ...args], {cwd: repo, env: cleanEnv(env), input, encoding: 'utf8'})
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
}

test.run()
