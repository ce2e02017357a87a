// The supervisor: probes, hooks, grace period, init containers.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {pod, sh, testHost, type TestHost} from './_host.js'

let host: TestHost
let dir: string

test.before(async () => {
  host = await testHost()
  dir = mkdtempSync('/tmp/tsctl-sup-')
})

test.after(async () => {
  const left = await host.cleanup()
  rmSync(dir, {recursive: true, force: true})
  assert.equal(left, [])
})

const out = {name: 'out', mountPath: '/out'}
const outVol = () => ({name: 'out', hostPath: {path: dir}})

test('a failing liveness probe restarts the container', async () => {
  const p = pod('live', [{command: ['sleep', '3600'], livenessProbe: {exec: {command: ['test', '!', '-f', '/tmp/unhealthy']}, periodSeconds: 1, failureThreshold: 1}}])
  const uid = await host.apply(p, {testBackoffSeconds: 0})
  await host.waitPod(uid, (x) => x.containers[0].state === 'running', 'running')
  await sh(host, uid, 'c0', 'touch /tmp/unhealthy')
  const st = await host.waitPod(uid, (x) => x.containers[0].restartCount >= 1 && x.containers[0].state === 'running', 'a restart')
  assert.is(st.containers[0].lastExitCode, 137)
  await host.client.remove(uid, 0)
})

test('a container that cannot even start (its pod infra is gone) is reported, not stuck running', async () => {
  const p = pod('noinfra', [{command: ['sleep', '3600']}])
  const uid = await host.apply(p, {testBackoffSeconds: 0})
  await host.waitPod(uid, (x) => x.containers[0].state === 'running', 'running')
  const infra = Number(readFileSync(join(host.root, 'pods', uid, 'infra.pid'), 'utf8'))
  process.kill(infra, 'SIGKILL')
  process.kill(Number(readFileSync(join(host.root, 'pods', uid, 'ctr', 'c00', 'pid'), 'utf8').split(' ')[0]), 'SIGKILL')
  const st = await host.waitPod(uid, (x) => x.containers[0].lastExitCode === 127, 'a failed start recorded')
  assert.is(st.containers[0].lastTerminationReason, 'Error')
  assert.match(await host.client.logs(uid, 'c0'), 'tsctl-init: open /proc/')
  await host.client.remove(uid, 0)
})

test('readiness flips in status', async () => {
  const p = pod('ready', [{command: ['sleep', '3600'], readinessProbe: {exec: {command: ['test', '-f', '/tmp/ready']}, periodSeconds: 1}}])
  const uid = await host.apply(p)
  let st = await host.waitPod(uid, (x) => x.containers[0].state === 'running', 'running')
  assert.is(st.ready, false)
  await sh(host, uid, 'c0', 'touch /tmp/ready')
  st = await host.waitPod(uid, (x) => x.ready, 'ready')
  assert.ok(st.containers[0].ready)
  assert.type(st.readySince, 'number')
  await sh(host, uid, 'c0', 'rm /tmp/ready')
  st = await host.waitPod(uid, (x) => !x.ready, 'not ready again')
  assert.is(st.containers[0].ready, false)
  await host.client.remove(uid, 0)
})

test('httpGet and tcpSocket probes reach the pod over its loopback', async () => {
  const p = pod('http', [{command: ['sh', '-c', 'mkdir -p /www && echo ok > /www/healthz && httpd -f -p 8080 -h /www'], readinessProbe: {httpGet: {path: '/healthz', port: 8080}, periodSeconds: 1}, livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}}])
  const uid = await host.apply(p)
  const st = await host.waitPod(uid, (x) => x.ready, 'ready through httpGet')
  assert.is(st.containers[0].restartCount, 0)
  await host.client.remove(uid, 0)
})

test('a startup probe holds back readiness until it succeeds', async () => {
  const p = pod('startup', [{command: ['sleep', '3600'], startupProbe: {exec: {command: ['test', '-f', '/tmp/started']}, periodSeconds: 1, failureThreshold: 1000}, readinessProbe: {exec: {command: ['true']}, periodSeconds: 1}}])
  const uid = await host.apply(p)
  await host.waitPod(uid, (x) => x.containers[0].state === 'running', 'running')
  // two ticks with the startup probe failing: never ready
  await new Promise((r) => setTimeout(r, 2500))
  assert.is((await host.pod(uid))?.ready, false)
  await sh(host, uid, 'c0', 'touch /tmp/started')
  const st = await host.waitPod(uid, (x) => x.ready, 'ready after startup')
  assert.is(st.containers[0].restartCount, 0)
  const follow: Buffer[] = []
  await host.client.logs(uid, 'c0', {follow: true, timeoutMs: 300, onData: (b) => follow.push(b)})
  await host.client.remove(uid, 0)
})

test('preStop runs before SIGTERM', async () => {
  const p = pod('hooks', [{command: ['sh', '-c', 'trap "echo term >> /out/order; exit 0" TERM; echo start >> /out/order; while true; do sleep 0.1; done'], volumeMounts: [out], lifecycle: {postStart: {exec: {command: ['sh', '-c', 'echo poststart >> /out/poststart']}}, preStop: {exec: {command: ['sh', '-c', 'echo prestop >> /out/order']}}}}], {volumes: [outVol()], terminationGracePeriodSeconds: 10})
  const uid = await host.apply(p)
  await host.waitPod(uid, (x) => x.containers[0].state === 'running', 'running')
  await host.client.stop(uid)
  assert.is(readFileSync(join(dir, 'order'), 'utf8'), 'start\nprestop\nterm\n')
  assert.is(readFileSync(join(dir, 'poststart'), 'utf8'), 'poststart\n')
  const st = await host.pod(uid)
  assert.is(st?.containers[0].exitCode, 0)
  await host.client.remove(uid, 0)
})

test('an ignored SIGTERM is followed by SIGKILL after the grace period', async () => {
  const p = pod('stubborn', [{command: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']}], {terminationGracePeriodSeconds: 1})
  const uid = await host.apply(p)
  await host.waitPod(uid, (x) => x.containers[0].state === 'running', 'running')
  await host.client.stop(uid)
  const st = await host.pod(uid)
  assert.is(st?.containers[0].state, 'terminated')
  assert.is(st?.containers[0].exitCode, 137, 'killed by SIGKILL: 128+9')
  await host.client.remove(uid, 0)
})

test('init containers run in order; a failing one blocks the app', async () => {
  const ok = pod('init', [{command: ['sh', '-c', 'echo app >> /out/init-order; sleep 3600'], volumeMounts: [out]}], {
    volumes: [outVol()],
    initContainers: [
      {name: 'first', image: 'x', command: ['sh', '-c', 'echo first >> /out/init-order'], volumeMounts: [out]},
      {name: 'second', image: 'x', command: ['sh', '-c', 'echo second >> /out/init-order'], volumeMounts: [out]},
    ],
  })
  const uid = await host.apply(ok)
  const st = await host.waitPod(uid, (x) => x.containers[0].state === 'running', 'the app running')
  assert.equal(st.initContainers.map((c) => [c.name, c.state, c.reason]), [['first', 'terminated', 'Completed'], ['second', 'terminated', 'Completed']])
  for (let i = 0; i < 50 && !readFileSync(join(dir, 'init-order'), 'utf8').includes('app'); i++) await new Promise((r) => setTimeout(r, 100))
  assert.is(readFileSync(join(dir, 'init-order'), 'utf8'), 'first\nsecond\napp\n')
  await host.client.remove(uid, 0)

  const bad = pod('badinit', [{command: ['sh', '-c', 'echo app >> /out/bad-order; sleep 3600'], volumeMounts: [out]}], {
    volumes: [outVol()],
    restartPolicy: 'Never',
    initContainers: [{name: 'fails', image: 'x', command: ['sh', '-c', 'echo fails >> /out/bad-order; exit 3'], volumeMounts: [out]}],
  })
  const uid2 = await host.apply(bad)
  const st2 = await host.waitPod(uid2, (x) => x.phase === 'Failed', 'the pod failed')
  assert.is(st2.initContainers[0].exitCode, 3)
  assert.is(st2.containers[0].state, 'waiting')
  assert.is(readFileSync(join(dir, 'bad-order'), 'utf8'), 'fails\n')
  await host.client.remove(uid2, 0)
})

test.run()
