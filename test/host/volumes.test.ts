// Volumes: emptyDir (disk and Memory), hostPath, configMap, secret (tmpfs,
// 0644), downwardAPI, projected, items, subPath, readOnly; a ConfigMap update
// reaches the running container through the ..data swap; claims outlive pods.
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {hostPid, pod, sh, sleep, testHost, type TestHost} from './_host.js'

let host: TestHost
let hostDir: string

test.before(async () => {
  host = await testHost()
  hostDir = mkdtempSync('/tmp/tsctl-hostpath-')
  writeFileSync(join(hostDir, 'from-host'), 'host file\n')
})

test.after(async () => {
  const left = await host.cleanup()
  rmSync(hostDir, {recursive: true, force: true})
  assert.equal(left, [])
})

const running = (p: {containers: {state: string}[]}) => p.containers.every((c) => c.state === 'running')
const configMaps = {app: {data: {'app.conf': 'v=1\n', 'other.txt': 'other\n'}}}
const secrets = {creds: {data: {password: Buffer.from('s3cret').toString('base64')}}}

test('every volume kind mounts where and how the spec says', async () => {
  const p = pod(
    'vols',
    [
      {
        name: 'a',
        command: ['sleep', '3600'],
        volumeMounts: [
          {name: 'scratch', mountPath: '/scratch'},
          {name: 'mem', mountPath: '/mem'},
          {name: 'host', mountPath: '/host', readOnly: true},
          {name: 'cfg', mountPath: '/etc/app'},
          {name: 'cfg', mountPath: '/single.conf', subPath: 'app.conf'},
          {name: 'sec', mountPath: '/secret'},
          {name: 'down', mountPath: '/info'},
          {name: 'proj', mountPath: '/proj'},
        ],
      },
      {name: 'b', command: ['sleep', '3600'], volumeMounts: [{name: 'scratch', mountPath: '/shared'}]},
    ],
    {
      volumes: [
        {name: 'scratch', emptyDir: {}},
        {name: 'mem', emptyDir: {medium: 'Memory'}},
        {name: 'host', hostPath: {path: hostDir}},
        {name: 'cfg', configMap: {name: 'app', items: [{key: 'app.conf', path: 'app.conf', mode: 0o600}]}},
        {name: 'sec', secret: {secretName: 'creds'}},
        {name: 'down', downwardAPI: {items: [{path: 'name', fieldRef: {fieldPath: 'metadata.name'}}]}},
        {name: 'proj', projected: {sources: [{configMap: {name: 'app', items: [{key: 'other.txt', path: 'o/other.txt', mode: 0o640}]}}, {downwardAPI: {items: [{path: 'ns', fieldRef: {fieldPath: 'metadata.namespace'}}]}}]}},
      ],
    },
  )
  const uid = await host.apply(p, {configMaps, secrets})
  await host.waitPod(uid, running, 'running')
  await sh(host, uid, 'a', 'echo shared > /scratch/x')
  assert.is((await sh(host, uid, 'b', 'cat /shared/x')).trim(), 'shared', 'emptyDir is shared by the containers')
  assert.match(await sh(host, uid, 'a', 'grep " /mem " /proc/mounts'), 'tmpfs')
  assert.is((await sh(host, uid, 'a', 'cat /host/from-host')).trim(), 'host file')
  assert.match(await sh(host, uid, 'a', 'touch /host/y 2>&1 || echo denied'), 'denied')
  assert.is((await sh(host, uid, 'a', 'ls /etc/app')).trim(), 'app.conf', 'items pick keys')
  assert.is((await sh(host, uid, 'a', 'stat -L -c %a /etc/app/app.conf')).trim(), '600', 'items[].mode wins over defaultMode')
  assert.is((await sh(host, uid, 'a', 'cat /etc/app/app.conf')).trim(), 'v=1')
  assert.is((await sh(host, uid, 'a', 'cat /single.conf')).trim(), 'v=1', 'subPath')
  assert.is((await sh(host, uid, 'a', 'cat /secret/password')).trim(), 's3cret')
  assert.is((await sh(host, uid, 'a', 'stat -L -c %a /secret/password')).trim(), '644', 'secrets are 0644 by default inside the container, as in Kubernetes (the host path is root-only)')
  assert.match(await sh(host, uid, 'a', 'grep " /secret " /proc/mounts'), 'tmpfs')
  assert.match(await sh(host, uid, 'a', 'touch /etc/app/new 2>&1 || echo denied'), 'denied', 'configMap volumes are read-only')
  assert.is((await sh(host, uid, 'a', 'cat /info/name')).trim(), 'vols')
  assert.is((await sh(host, uid, 'a', 'cat /proj/o/other.txt /proj/ns')).trim(), 'other\ndefault')
  assert.is((await sh(host, uid, 'a', 'stat -L -c %a /proj/o/other.txt /proj/ns')).trim(), '640\n644', 'a nested item keeps its mode, the others the default')
  assert.is((await host.pod(uid))?.volumeHashes?.cfg?.length, 16)
  await host.client.remove(uid, 0)
})

test('hostPath types: DirectoryOrCreate creates, Directory checks', async () => {
  const made = join(hostDir, 'made/by/kubelet rules')
  const ok = pod('hp', [{command: ['sh', '-c', 'echo hi > /d/f; sleep 3600'], volumeMounts: [{name: 'd', mountPath: '/d'}]}], {volumes: [{name: 'd', hostPath: {path: made, type: 'DirectoryOrCreate'}}]})
  const uid = await host.apply(ok)
  await host.waitPod(uid, running, 'running')
  for (let i = 0; i < 50 && !existsSync(join(made, 'f')); i++) await sleep(100)
  assert.is(readFileSync(join(made, 'f'), 'utf8'), 'hi\n')
  await host.client.remove(uid, 0)
  const bad = pod('hpbad', [{command: ['sleep', '3600'], volumeMounts: [{name: 'd', mountPath: '/d'}]}], {restartPolicy: 'Never', volumes: [{name: 'd', hostPath: {path: join(hostDir, 'from-host'), type: 'Directory'}}]})
  const uid2 = await host.apply(bad)
  const st = await host.waitPod(uid2, (p) => p.phase === 'Failed', 'the pod to fail')
  assert.match(await host.client.logs(uid2, 'c0'), 'is not a Directory')
  assert.is(st.containers[0].exitCode, 127)
  await host.client.remove(uid2, 0)
})

test('a ConfigMap change appears in the mounted file without a restart', async () => {
  const p = pod('cm', [{command: ['sleep', '3600'], volumeMounts: [{name: 'cfg', mountPath: '/cfg'}]}], {volumes: [{name: 'cfg', configMap: {name: 'app'}}]})
  const uid = await host.apply(p, {configMaps})
  await host.waitPod(uid, running, 'running')
  const pid = hostPid(host.root, uid, 'c00')
  assert.is((await sh(host, uid, 'c0', 'cat /cfg/app.conf')).trim(), 'v=1')
  await host.client.updateFiles(uid, 'cfg', 'newhash', new Map([['app.conf', Buffer.from('v=2\n')]]))
  assert.is((await sh(host, uid, 'c0', 'cat /cfg/app.conf')).trim(), 'v=2')
  assert.is((await sh(host, uid, 'c0', 'ls /cfg')).trim(), 'app.conf', 'removed keys disappear')
  assert.is((await sh(host, uid, 'c0', 'readlink /cfg/app.conf')).trim(), '..data/app.conf')
  assert.is(hostPid(host.root, uid, 'c00'), pid, 'no restart')
  assert.is((await host.pod(uid))?.volumeHashes?.cfg, 'newhash')
  await host.client.remove(uid, 0)
})

test('a PersistentVolumeClaim directory survives pod replacement until the claim is removed', async () => {
  const mk = (name: string) => pod(name, [{command: ['sleep', '3600'], volumeMounts: [{name: 'data', mountPath: '/data'}]}], {volumes: [{name: 'data', persistentVolumeClaim: {claimName: 'data-db-0'}}]})
  const uid1 = await host.apply(mk('db-0'))
  await host.waitPod(uid1, running, 'running')
  await sh(host, uid1, 'c0', 'echo kept > /data/file')
  await host.client.remove(uid1, 0)
  const uid2 = await host.apply(mk('db-0'))
  await host.waitPod(uid2, running, 'running')
  assert.is((await sh(host, uid2, 'c0', 'cat /data/file')).trim(), 'kept')
  await host.client.remove(uid2, 0)
  assert.ok(existsSync(join(host.root, 'claims', 'default.data-db-0', 'file')))
  await host.client.removeClaim('default.data-db-0')
  assert.not.ok(existsSync(join(host.root, 'claims', 'default.data-db-0')))
  void readFileSync
  void sleep
})

test.run()
