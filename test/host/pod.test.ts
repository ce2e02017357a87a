// A pod really runs: namespaces, overlay rootfs, pivot_root, cgroups; and
// after remove + gc nothing of it is left.
import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, readlinkSync} from 'node:fs'
import {join} from 'node:path'
import {cpus} from 'node:os'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {bundleTar} from '../../src/host/bundle/bundle-tar.js'
import {buildPodBundle} from '../../src/host/bundle/pod-bundle.js'
import {hostPid, layer, pod, processesMentioning, sh, testHost, type TestHost} from './_host.js'

let host: TestHost

test.before(async () => {
  host = await testHost()
})

test.after(async () => {
  const left = await host.cleanup()
  assert.equal(left, [], 'nothing of the test root is left')
})

const running = (p: {phase: string; containers: {state: string}[]}) => p.phase === 'Running' && p.containers.every((c) => c.state === 'running')

function layerTreeHash(): string {
  const dir = join(host.root, 'layers', layer().digest.slice(7), 'root')
  const out = execFileSync('sh', ['-c', 'cd "$1" && find . -printf "%p %y %m %s %l\\n" | sort && cat bin/busybox | sha256sum', 'sh', dir])
  return createHash('sha256').update(out).digest('hex')
}

test('PID 1 is the app; two containers share localhost and one hostname', async () => {
  const before = layerTreeHash()
  const p = pod('web', [
    {name: 'server', command: ['sh', '-c', 'while true; do echo hello-from-server | nc -l -p 8080; done']},
    {name: 'client', command: ['sleep', '3600']},
  ])
  const uid = await host.apply(p)
  await host.waitPod(uid, running, 'both containers running')
  assert.is((await sh(host, uid, 'client', 'cat /proc/1/cmdline | tr "\\0" " "')).trim(), 'sleep 3600')
  assert.is((await sh(host, uid, 'client', 'hostname')).trim(), 'web')
  assert.is((await sh(host, uid, 'server', 'hostname')).trim(), 'web')
  assert.is((await sh(host, uid, 'client', 'cat /etc/hostname')).trim(), 'web')
  let reply = ''
  for (let i = 0; i < 50 && !reply.includes('hello'); i++) reply = await sh(host, uid, 'client', 'nc 127.0.0.1 8080 </dev/null || true')
  assert.match(reply, 'hello-from-server')
  // their own mount and pid namespaces, shared net/uts/ipc
  const a = hostPid(host.root, uid, 'c00')
  const b = hostPid(host.root, uid, 'c01')
  for (const ns of ['net', 'uts', 'ipc']) assert.is(readlinkSync(`/proc/${a}/ns/${ns}`), readlinkSync(`/proc/${b}/ns/${ns}`), ns)
  for (const ns of ['mnt', 'pid', 'net']) assert.is.not(readlinkSync(`/proc/${a}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), ns)
  assert.is.not(readlinkSync(`/proc/${a}/ns/mnt`), readlinkSync(`/proc/${b}/ns/mnt`))
  // hardening: Docker's default capabilities, masked paths, a fresh /proc
  const status = await sh(host, uid, 'client', 'grep -E "^Cap(Eff|Bnd|Inh|Amb)" /proc/self/status')
  assert.match(status, /CapEff:\s+00000000a80425fb/)
  assert.match(status, /CapInh:\s+0000000000000000/)
  assert.match(status, /CapAmb:\s+0000000000000000/)
  const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'].find((f) => existsSync(f))
  if (masked) assert.is((await sh(host, uid, 'client', `wc -c < ${masked}`)).trim(), '0', `${masked} is masked`)
  assert.match(await sh(host, uid, 'client', 'touch /proc/sys/kernel/hostname 2>&1 || echo readonly'), 'readonly')
  assert.is((await sh(host, uid, 'client', 'ls /proc | grep -cE "^[0-9]+$"')).trim() < '9', true)
  assert.is((await sh(host, uid, 'client', 'ls /dev | tr "\\n" " "')).trim(), 'fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero')
  // writes stay in the container's upper layer
  await sh(host, uid, 'client', 'echo scribble > /bin/written-by-client && echo x > /tmp/x')
  const p2 = pod('next', [{command: ['sleep', '3600']}])
  const uid2 = await host.apply(p2)
  await host.waitPod(uid2, running, 'second pod running')
  assert.is((await sh(host, uid2, 'c0', 'ls /bin/written-by-client /tmp/x 2>&1 || true')).includes('No such file'), true)
  assert.is(layerTreeHash(), before, 'the image layer is unchanged after containers wrote')
  await host.client.remove(uid2, 0)
  await host.client.remove(uid, 0)
})

test('apply is idempotent by spec hash; exec runs in the container namespaces and cgroup', async () => {
  const p = pod('idem', [{command: ['sleep', '3600']}])
  const uid = await host.apply(p)
  await host.waitPod(uid, running, 'running')
  const pid = hostPid(host.root, uid, 'c00')
  const tar = await (await import('../../src/host/bundle/bundle-tar.js')).bundleTar(
    (await import('../../src/host/bundle/pod-bundle.js')).buildPodBundle({pod: p, specHash: 'h' + createHash('sha256').update(JSON.stringify(p)).digest('hex').slice(0, 12), image: () => ({layers: [layer().digest]})}),
  )
  assert.is(await host.client.apply(uid, tar), 'unchanged')
  assert.is(hostPid(host.root, uid, 'c00'), pid, 'the container was not restarted')
  const r = await host.client.exec(uid, 'c0', ['sh', '-c', 'cat /proc/self/cgroup; readlink /proc/self/ns/net; readlink /proc/self/ns/mnt'])
  assert.is(r.code, 0)
  const out = r.stdout.toString()
  assert.match(out, `memory:/${host.cgroupParent}/pod-${uid}/c00`)
  assert.match(out, readlinkSync(`/proc/${pid}/ns/net`))
  assert.match(out, readlinkSync(`/proc/${pid}/ns/mnt`))
  assert.is((await host.client.exec(uid, 'c0', ['sh', '-c', 'exit 7'])).code, 7)
  const cat = await host.client.exec(uid, 'c0', ['cat'], {stdin: Buffer.from('through stdin')})
  assert.is(cat.stdout.toString(), 'through stdin')
  const node = await host.client.observe(1234)
  assert.is(node.observedAt, 1234)
  assert.is(node.capacity?.cpu, String(cpus().length))
  assert.ok(node.pods.some((x) => x.uid === uid))
  // the same uid with another spec hash replaces the pod
  const replaced = buildPodBundle({pod: p, specHash: 'other', image: () => ({layers: [layer().digest]})})
  assert.is(await host.client.apply(uid, await bundleTar(replaced)), 'started')
  await host.waitPod(uid, (x) => x.specHash === 'other' && x.containers[0].state === 'running', 'the replacement running')
  assert.is.not(hostPid(host.root, uid, 'c00'), pid)
  await host.client.stop(uid, 0)
  const st = await host.pod(uid)
  assert.is(st?.containers[0].state, 'terminated')
  assert.is(st?.containers[0].exitCode, 137)
})

test('a workingDir the image lacks is created (root-owned, 0755), as runc does; even with a read-only root', async () => {
  for (const readOnlyRootFilesystem of [false, true]) {
    const uid = await host.apply(pod(`wd${readOnlyRootFilesystem ? 'ro' : 'rw'}`, [{command: ['sh', '-c', 'pwd; stat -c "%u %a" .'], workingDir: '/srv/app/work', securityContext: {readOnlyRootFilesystem}}], {restartPolicy: 'Never'}))
    const st = await host.waitPod(uid, (p) => p.phase === 'Succeeded' || p.phase === 'Failed', 'the container to finish')
    const log = readFileSync(join(host.root, 'pods', uid, 'ctr', 'c00', 'log'), 'utf8')
    assert.is(st.phase, 'Succeeded', log)
    assert.is(log, '/srv/app/work\n0 755\n')
    await host.client.remove(uid, 0)
  }
})

test('each run of a restarted container has its own log; --previous gives the run before, as the kubelet keeps it', async () => {
  const script = 'n=$(cat /v/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /v/n; echo "run $n"; sleep 1; exit 1'
  const uid = await host.apply(pod('runs', [{command: ['sh', '-c', script], volumeMounts: [{name: 'v', mountPath: '/v'}]}], {volumes: [{name: 'v', emptyDir: {}}]}), {testBackoffSeconds: 1})
  const none = await host.client.run(['logs', uid, 'c0', '--previous'])
  assert.is(none.code, 3, 'no previous run yet')
  await host.waitPod(uid, (p) => (p.containers[0]?.restartCount ?? 0) >= 2, 'two restarts', 60_000)
  const cur = await host.client.logs(uid, 'c0')
  const prev = (await host.client.run(['logs', uid, 'c0', '--previous'])).stdout.toString()
  assert.match(cur, /^run \d+\n$/, 'the current log is one run')
  assert.match(prev, /^run \d+\n$/, 'the previous log is one run')
  assert.is.not(cur, prev)
  await host.client.remove(uid, 0)
})

test('pods apply and remove in parallel on one host', async () => {
  const pods = [0, 1, 2, 3].map((i) => pod(`par${i}`, [{command: ['sleep', '3600']}]))
  const uids = await Promise.all(pods.map((p) => host.apply(p)))
  for (const uid of uids) await host.waitPod(uid, running, `${uid} running`)
  assert.is(new Set(uids.map((u) => hostPid(host.root, u, 'c00'))).size, 4)
  await Promise.all(uids.map((u) => host.client.remove(u, 0)))
  const left = (await host.client.status()).filter((p) => uids.includes(p.uid))
  assert.equal(left, [])
})

test('after stop and gc nothing of the pod remains', async () => {
  const p = pod('gone', [{command: ['sleep', '3600']}], {volumes: [{name: 'm', emptyDir: {medium: 'Memory'}}]})
  p.spec = {...(p.spec as object), containers: [{name: 'c0', image: 'x', command: ['sleep', '3600'], volumeMounts: [{name: 'm', mountPath: '/m'}]}]}
  const uid = await host.apply(p)
  await host.waitPod(uid, running, 'running')
  const mountinfo = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(uid))
  assert.ok(mountinfo().length > 0, 'the memory emptyDir is mounted while the pod runs')
  await host.client.stop(uid, 1)
  const removed = await host.client.gc()
  assert.ok(removed.includes(`removed ${uid}`), 'gc removed the stopped pod')
  assert.equal(mountinfo(), [])
  for (const c of ['cpu', 'memory', 'pids']) {
    const dir = `/sys/fs/cgroup/${c}/${host.cgroupParent}/pod-${uid}`
    assert.is(execFileSync('sh', ['-c', 'test -e "$1" && echo yes || echo no', 'sh', dir]).toString().trim(), 'no', dir)
  }
  assert.equal(processesMentioning(uid), [])
  assert.is(execFileSync('sh', ['-c', 'test -e "$1" && echo yes || echo no', 'sh', join(host.root, 'pods', uid)]).toString().trim(), 'no')
})

// gc once removed the wrong directory: a loop variable shared with its
// cgroup helpers pointed at the orphan's cgroup after removing it, so the
// per-root parent stayed behind. An orphaned pod cgroup (no pod directory)
// is what makes gc call those helpers.
test('gc removes orphaned pod cgroups and then the per-root cgroup parent', async () => {
  for (const p of await host.client.status()) await host.client.remove(p.uid, 0)
  const dirs = ['cpu', 'memory', 'pids'].map((c) => `/sys/fs/cgroup/${c}/${host.cgroupParent}`)
  for (const d of dirs) mkdirSync(join(d, 'pod-orphan'), {recursive: true})
  await host.client.gc()
  for (const d of dirs) assert.is(existsSync(d), false, `${d} is left after gc`)
})

test.run()
