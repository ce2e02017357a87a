// runAsUser/runAsGroup, allowPrivilegeEscalation: false, readOnlyRootFilesystem,
// privileged; hostNetwork and shareProcessNamespace; log rotation; fds ≥ 3 closed.
import {execFileSync, spawnSync} from 'node:child_process'
import {closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {bundleTar} from '../../src/host/bundle/bundle-tar.js'
import {buildPodBundle} from '../../src/host/bundle/pod-bundle.js'
import {RuntimeClient} from '../../src/host/runtime-client.js'
import {LocalTransport} from '../../src/transport/local.js'
import {hostPid, layer, pod, sh, testHost, type TestHost} from './_host.js'

let host: TestHost

test.before(async () => {
  host = await testHost()
})

test.after(async () => {
  assert.equal(await host.cleanup(), [])
})

const running = (p: {containers: {state: string}[]}) => p.containers.every((c) => c.state === 'running')

test('runAsUser/runAsGroup, no_new_privs, read-only root, no leaked fds', async () => {
  const uid = await host.apply(pod('user', [{command: ['sleep', '3600'], securityContext: {runAsUser: 1234, runAsGroup: 5678, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}}]))
  await host.waitPod(uid, running, 'running')
  const pid = hostPid(host.root, uid, 'c00')
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  assert.match(status, /Uid:\s+1234\s+1234\s+1234\s+1234/)
  assert.match(status, /Gid:\s+5678\s+5678\s+5678\s+5678/)
  assert.match(status, /NoNewPrivs:\s+1/)
  assert.match(status, /CapEff:\s+0000000000000000/)
  assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean), ['sleep', '3600'])
  const fds = (await import('node:fs')).readdirSync(`/proc/${pid}/fd`).map(Number).sort()
  assert.equal(fds, [0, 1, 2], 'only stdio is open in the container')
  assert.match(await sh(host, uid, 'c0', 'touch /newfile 2>&1 || echo readonly'), 'readonly')
  assert.is((await sh(host, uid, 'c0', 'id -u; id -g')).trim(), '1234\n5678')
  await host.client.remove(uid, 0)
})

test('privileged keeps all capabilities and an unmasked /proc', async () => {
  const uid = await host.apply(pod('priv', [{command: ['sleep', '3600'], securityContext: {privileged: true}}]))
  await host.waitPod(uid, running, 'running')
  const bnd = /CapBnd:\s+([0-9a-f]+)/.exec(readFileSync(`/proc/${hostPid(host.root, uid, 'c00')}/status`, 'utf8'))![1]
  assert.is(bnd, /CapBnd:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1])
  assert.not.match(await sh(host, uid, 'c0', 'grep " /proc/keys " /proc/mounts || echo unmasked'), '/dev/null')
  await host.client.remove(uid, 0)
})

test('hostNetwork and hostPID share the host namespaces; shareProcessNamespace one pid namespace', async () => {
  const net = await host.apply(pod('hostnet', [{command: ['sleep', '3600']}], {hostNetwork: true}))
  const shared = await host.apply(pod('sharepid', [{name: 'a', command: ['sleep', '3600']}, {name: 'b', command: ['sleep', '3601']}], {shareProcessNamespace: true}))
  await host.waitPod(net, running, 'hostnet running')
  await host.waitPod(shared, running, 'sharepid running')
  assert.is(readlinkSync(`/proc/${hostPid(host.root, net, 'c00')}/ns/net`), readlinkSync('/proc/self/ns/net'))
  const a = hostPid(host.root, shared, 'c00')
  const b = hostPid(host.root, shared, 'c01')
  assert.is(readlinkSync(`/proc/${a}/ns/pid`), readlinkSync(`/proc/${b}/ns/pid`))
  assert.match(await sh(host, shared, 'a', 'ps -o args'), 'sleep 3601', 'a sees b')
  // PID 1 of the shared namespace is a pause process that holds nothing of the host.
  const one = await sh(host, shared, 'a', 'cat /proc/1/cmdline | tr "\\0" " "; echo; grep -E "^Cap(Eff|Prm|Bnd)|NoNewPrivs" /proc/1/status; echo mounts; cat /proc/1/mountinfo; echo env=$(wc -c </proc/1/environ); echo root=$(ls -A /proc/1/root | wc -l)')
  assert.match(one, /^tsctl-init pause $/m)
  assert.match(one, /CapEff:\s+0{16}/)
  assert.match(one, /CapBnd:\s+0{16}/)
  assert.match(one, /NoNewPrivs:\s+1/)
  const mounts = one.split('mounts\n')[1].split('\nenv=')[0].trim().split('\n')
  assert.is(mounts.length, 1, `only its own empty root: ${mounts.join(' | ')}`)
  assert.match(mounts[0], / \/ \/ ro,.* - tmpfs /)
  assert.match(one, /env=0\b/)
  assert.match(one, /root=0\b/)
  await host.client.remove(net, 0)
  await host.client.remove(shared, 0)
  const hp = await host.apply(pod('hostpid', [{command: ['sleep', '3600']}], {hostPID: true}))
  await host.waitPod(hp, running, 'hostpid running')
  assert.is(readlinkSync(`/proc/${hostPid(host.root, hp, 'c00')}/ns/pid`), readlinkSync('/proc/self/ns/pid'))
  assert.match(await sh(host, hp, 'c0', `cat /proc/${process.pid}/cmdline | tr "\\0" " "`), 'node', 'the host pid namespace is visible')
  await host.client.remove(hp, 0)
})

test('capabilities add/drop resolve as containerd does; no_new_privs is on unless escalation is asked for or implied', async () => {
  const uid = await host.apply(pod('caps', [
    {command: ['sleep', '3600'], securityContext: {capabilities: {add: ['NET_ADMIN'], drop: ['chown']}}},
    {command: ['sleep', '3600'], securityContext: {capabilities: {drop: ['ALL']}}},
    {command: ['sleep', '3600'], securityContext: {allowPrivilegeEscalation: true}},
    {command: ['sleep', '3600'], securityContext: {capabilities: {add: ['CAP_SYS_ADMIN']}}},
    {command: ['sleep', '3600'], securityContext: {capabilities: {add: ['ALL'], drop: ['MKNOD']}}},
  ]))
  await host.waitPod(uid, running, 'running')
  const status = (c: string) => readFileSync(`/proc/${hostPid(host.root, uid, c)}/status`, 'utf8')
  const eff = (c: string) => BigInt('0x' + /CapEff:\s+([0-9a-f]+)/.exec(status(c))![1])
  const nnp = (c: string) => /NoNewPrivs:\s+(\d)/.exec(status(c))![1]
  const bit = (n: number) => 1n << BigInt(n)
  assert.ok(eff('c00') & bit(12), 'NET_ADMIN added')
  assert.not.ok(eff('c00') & bit(0), 'CHOWN dropped (lower-case name)')
  assert.ok(eff('c00') & bit(27), 'MKNOD kept from the default set')
  assert.not.ok(eff('c00') & bit(21), 'no SYS_ADMIN')
  assert.is(nnp('c00'), '1', 'no_new_privs by default')
  assert.is(eff('c01'), 0n, 'drop ALL leaves nothing')
  assert.match(status('c01'), /CapBnd:\s+0000000000000000/)
  assert.is(nnp('c02'), '0', 'allowPrivilegeEscalation: true')
  assert.ok(eff('c03') & bit(21), 'CAP_SYS_ADMIN added')
  assert.is(nnp('c03'), '0', 'CAP_SYS_ADMIN implies escalation')
  assert.ok(eff('c04') & bit(19), 'add ALL gives SYS_PTRACE')
  assert.not.ok(eff('c04') & bit(27), 'then MKNOD dropped')
  assert.match(await sh(host, uid, 'c1', 'chown 1 /tmp 2>&1 || echo refused'), 'refused')
  await host.client.remove(uid, 0)
})

// Every file under ROOT that is not on a tmpfs, with its content.
function diskFiles(dir: string, tmpfs: Set<string>, out: string[] = []): string[] {
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name)
    if (tmpfs.has(p)) continue
    if (e.isDirectory()) diskFiles(p, tmpfs, out)
    else if (e.isFile()) out.push(p)
  }
  return out
}

test('a pod directory is root-only, its bundle on tmpfs: Secret values never reach the disk and no local user reads them', async () => {
  const value = `s3cr3t-${process.pid}-VALUE`
  const secrets = {creds: {data: {password: Buffer.from(value).toString('base64')}}}
  const p = pod('secrets', [{command: ['sleep', '3600'], env: [{name: 'PW', valueFrom: {secretKeyRef: {name: 'creds', key: 'password'}}}], volumeMounts: [{name: 's', mountPath: '/s'}], securityContext: {runAsUser: 1000}}], {volumes: [{name: 's', secret: {secretName: 'creds'}}]})
  const uid = await host.apply(p, {secrets})
  await host.waitPod(uid, running, 'running')
  assert.is((await sh(host, uid, 'c0', 'echo "$PW"; cat /s/password')).trim(), `${value}\n${value}`, 'a non-root container still reads its Secret')
  const poddir = join(host.root, 'pods', uid)
  assert.is(statSync(poddir).mode & 0o777, 0o700)
  assert.is(statSync(join(host.root, 'layers')).mode & 0o777, 0o700, 'the layer store is root-only')
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[4]?.startsWith(host.root + '/'))
  const tmpfs = new Set(mounts.filter((f) => f[f.indexOf('-') + 1] === 'tmpfs').map((f) => f[4]))
  assert.ok(tmpfs.has(join(poddir, 'bundle')), 'the bundle is a tmpfs')
  const leaked = diskFiles(host.root, tmpfs).filter((f) => readFileSync(f).includes(value))
  assert.equal(leaked, [], 'no file on disk holds the Secret value')
  const asNobody = (f: string) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', f]).status
  assert.is.not(asNobody(join(poddir, 'bundle/containers/c00/env')), 0, 'a local user cannot read the env file')
  assert.is.not(asNobody(join(poddir, 'vol/00/password')), 0, 'nor the Secret volume')
  await host.client.remove(uid, 0)
})

// A static probe for the calls the default seccomp profile refuses (busybox has no keyctl).
const PROBE_C = `#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) {
  long k = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* KEY_SPEC_USER_KEYRING */, 0);
  printf("keyctl %s\\n", k < 0 ? strerror(errno) : "ok");
  printf("unshare-user %s\\n", unshare(CLONE_NEWUSER) < 0 ? strerror(errno) : "ok");
  return 0;
}
`
function buildProbe(): string {
  const dir = mkdtempSync('/tmp/tsctl-probe-')
  writeFileSync(join(dir, 'probe.c'), PROBE_C)
  const cc = spawnSync('sh', ['-c', 'command -v musl-gcc || echo cc']).stdout.toString().trim()
  execFileSync(cc, ['-static', '-O1', '-o', join(dir, 'probe'), join(dir, 'probe.c')])
  return dir
}

test('seccomp: RuntimeDefault (the default) refuses keyctl and unshare of a user namespace; Unconfined and privileged allow them; a Localhost profile applies its own rules', async () => {
  const dir = buildProbe()
  try {
    const vol = {volumes: [{name: 'probe', hostPath: {path: dir}}]}
    const mount = [{name: 'probe', mountPath: '/probe'}]
    const uid = await host.apply(pod('seccomp', [
      {command: ['sleep', '3600'], volumeMounts: mount},
      {command: ['sleep', '3600'], volumeMounts: mount, securityContext: {seccompProfile: {type: 'Unconfined'}}},
      {command: ['sleep', '3600'], volumeMounts: mount, securityContext: {privileged: true}},
      {command: ['sleep', '3600'], volumeMounts: mount, securityContext: {capabilities: {add: ['SYS_ADMIN']}}},
      {command: ['sleep', '3600'], volumeMounts: mount, securityContext: {seccompProfile: {type: 'Localhost', localhostProfile: 'seccomp/no-mkdir.json'}}},
    ], vol, {annotations: {'seccomp.tsctl.dev/localhost-profiles': JSON.stringify({'seccomp/no-mkdir.json': JSON.stringify({defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13}]})})}}))
    await host.waitPod(uid, running, 'running')
    const def = await sh(host, uid, 'c0', '/probe/probe')
    assert.match(def, 'keyctl Operation not permitted')
    assert.match(def, 'unshare-user Operation not permitted')
    assert.match(readFileSync(`/proc/${hostPid(host.root, uid, 'c00')}/status`, 'utf8'), /Seccomp:\s+2/, 'a filter is installed')
    for (const c of ['c1', 'c2']) {
      const out = await sh(host, uid, c, '/probe/probe')
      assert.match(out, 'keyctl ok', `${c}: ${out}`)
      assert.match(out, 'unshare-user ok', `${c}: ${out}`)
    }
    assert.match(readFileSync(`/proc/${hostPid(host.root, uid, 'c01')}/status`, 'utf8'), /Seccomp:\s+0/)
    // Docker's profile lets CAP_SYS_ADMIN unshare, and never keyctl
    const admin = await sh(host, uid, 'c3', '/probe/probe')
    assert.match(admin, 'unshare-user ok')
    assert.match(admin, 'keyctl Operation not permitted')
    // a Localhost profile (carried with the pod template from the repo): its own rules, nothing else
    const local = await sh(host, uid, 'c4', '/probe/probe; mkdir /tmp/d 2>&1 || true')
    assert.match(local, 'keyctl ok')
    assert.match(local, /mkdir.*Permission denied/, 'errnoRet 13 (EACCES) from the profile')
    await host.client.remove(uid, 0)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})

// A host block device (a disk when there is one) and the script that makes its node inside a container.
// It must be one this machine lets root open at all (a VM's own disk may be refused to everyone).
const hostDisk = (() => {
  const names = readdirSync('/sys/class/block').sort((a, b) => Number(a.startsWith('loop')) - Number(b.startsWith('loop')) || a.localeCompare(b))
  const name = names.find((n) => {
    try {
      closeSync(openSync(`/dev/${n}`, 'r'))
      return true
    } catch {
      return false
    }
  })
  if (!name) throw new Error(`no block device under /dev that root can open (tried ${names.join(', ')})`)
  return readFileSync(`/sys/class/block/${name}/dev`, 'utf8').trim().split(':')
})()
const tryDevices = `mknod /tmp/disk b ${hostDisk[0]} ${hostDisk[1]} && echo made; head -c 1 /tmp/disk >/dev/null 2>&1 && echo disk-OPENED || echo disk-refused; mknod /tmp/kmsg c 1 11 && { head -c 1 /tmp/kmsg >/dev/null 2>&1 && echo kmsg-OPENED || echo kmsg-refused; }; head -c 3 /dev/zero | wc -c; echo x >/dev/null && echo null-ok`

test('devices: a container can mknod a host disk but cannot open it; /dev/null and /dev/zero work; privileged opens it', async () => {
  const uid = await host.apply(pod('devs', [{command: ['sleep', '3600']}]))
  const priv = await host.apply(pod('devspriv', [{command: ['sleep', '3600'], securityContext: {privileged: true}}]))
  await host.waitPod(uid, running, 'running')
  await host.waitPod(priv, running, 'privileged running')
  const out = await sh(host, uid, 'c0', tryDevices)
  assert.match(out, 'made', 'mknod is allowed (CAP_MKNOD, "b *:* m"), as with runc')
  assert.match(out, 'disk-refused')
  assert.match(out, 'kmsg-refused')
  assert.not.match(out, 'OPENED')
  assert.match(out, /^\s*3$/m, '/dev/zero reads')
  assert.match(out, 'null-ok')
  assert.match(await sh(host, priv, 'c0', tryDevices), 'disk-OPENED', 'a privileged container keeps every device')
  const mounts = await sh(host, uid, 'c0', 'cat /proc/mounts')
  assert.match(mounts, /^mqueue \/dev\/mqueue mqueue rw,nosuid,nodev,noexec/m, 'runc\'s /dev/mqueue')
  assert.match(mounts, /^\S+ \/dev\/shm tmpfs rw,nosuid,nodev,noexec/m)
  await host.client.remove(uid, 0)
  await host.client.remove(priv, 0)
})

test('subPath cannot follow a symlink planted in a shared volume out to the host (the mount is refused)', async () => {
  const shared = {name: 'shared', mountPath: '/shared'}
  const p = pod('subpath', [
    // tries to see the host's root through the planted link and to leave a mark
    {name: 'attacker', command: ['sh', '-c', 'ls /mnt > /shared/escaped; sleep 3600'], volumeMounts: [shared, {name: 'shared', mountPath: '/mnt', subPath: 'escape'}]},
    {name: 'climber', command: ['sh', '-c', 'ls /mnt > /shared/climbed; sleep 3600'], volumeMounts: [shared, {name: 'shared', mountPath: '/mnt', subPath: 'climb'}]},
    // links that stay inside the volume are followed, as the kubelet follows a configMap's key -> ..data/key
    {name: 'legit', command: ['sleep', '3600'], volumeMounts: [shared, {name: 'shared', mountPath: '/data', subPath: 'ok'}, {name: 'shared', mountPath: '/inner', subPath: 'inner'}]},
  ], {
    restartPolicy: 'Never',
    volumes: [{name: 'shared', emptyDir: {}}],
    initContainers: [{name: 'plant', image: 'busybox-test', command: ['sh', '-c', 'ln -s / /shared/escape; ln -s ../../../.. /shared/climb; mkdir /shared/ok; echo inside > /shared/ok/f; ln -s ok/f /shared/inner'], volumeMounts: [shared]}],
  })
  const uid = await host.apply(p)
  const st = await host.waitPod(uid, (x) => x.containers.find((c) => c.name === 'legit')?.state === 'running' && ['attacker', 'climber'].every((n) => x.containers.find((c) => c.name === n)?.state === 'terminated'), 'legit running, attacker and climber refused', 30_000)
  const attacker = st.containers.find((c) => c.name === 'attacker')!
  assert.is.not(attacker.exitCode, 0)
  const log = readFileSync(join(host.root, 'pods', uid, 'ctr', 'c00', 'log'), 'utf8')
  assert.match(log, /subPath escape goes through a symlink \(escape -> \/\) that leaves the volume: refused/)
  assert.is(await sh(host, uid, 'legit', 'cat /data/f'), 'inside\n', 'a subPath inside the volume still works')
  assert.match(readFileSync(join(host.root, 'pods', uid, 'ctr', 'c01', 'log'), 'utf8'), /subPath climb leaves the volume/)
  assert.is(await sh(host, uid, 'legit', 'cat /inner'), 'inside\n', 'a link inside the volume is followed')
  assert.is(await sh(host, uid, 'legit', 'test -e /shared/escaped || test -e /shared/climbed && echo yes || echo no'), 'no\n', 'neither ran')
  await host.client.remove(uid, 0)
})

test('logs rotate by size (TSCTL_LOG_MAX on the host) and logs --all shows both parts', async () => {
  const client = new RuntimeClient(new LocalTransport('local', {...process.env, TSCTL_LOG_MAX: '4096'}), {root: host.root})
  const p = pod('chatty', [{command: ['sh', '-c', 'i=0; while [ $i -lt 100 ]; do echo "line $i 0123456789012345678901234567890123456789"; i=$((i+1)); done; sleep 3600']}])
  const uid = p.metadata.uid!
  await client.apply(uid, await bundleTar(buildPodBundle({pod: p, specHash: 'chatty', image: () => ({layers: [layer().digest]})})))
  await host.waitPod(uid, running, 'running')
  const dir = join(host.root, 'pods', uid, 'ctr', 'c00')
  for (let i = 0; i < 100 && !existsSync(join(dir, 'log.1')); i++) await new Promise((r) => setTimeout(r, 100))
  assert.ok(existsSync(join(dir, 'log.1')), 'the log was rotated')
  assert.ok(statSync(join(dir, 'log')).size < 4096, 'the live log was truncated')
  // the rotation can come before the shell has written its last line: wait for it (bounded)
  let all = ''
  for (let i = 0; i < 50 && !(all = await client.logs(uid, 'c0', {all: true})).includes('line 99 '); i++) await new Promise((r) => setTimeout(r, 100))
  assert.match(all, 'line 0 ')
  assert.match(all, 'line 99 ')
  await client.remove(uid, 0)
})

test.run()
