// Names, env values, args, paths and image references full of shell
// syntax run literally and create nothing.
import {existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {pod, testHost, type TestHost} from './_host.js'

let host: TestHost
const pwned = `/tmp/pwned-${process.pid}`
const evil = (tag: string) => `${tag} $(touch ${pwned}) \`touch ${pwned}\` 'q' "d" ;touch ${pwned}\nnew line & | > ${pwned}`
const hostDir = `/tmp/tsctl-inj-${process.pid}`
const evilDir = join(hostDir, `dir $(touch ${pwned}) \`x\` 'q' "d"`)

test.before(async () => {
  host = await testHost()
  mkdirSync(evilDir, {recursive: true})
})

test.after(async () => {
  const left = await host.cleanup()
  rmSync(hostDir, {recursive: true, force: true})
  rmSync(pwned, {force: true})
  assert.equal(left, [])
})

test('hostile names, env, args, paths and image references run literally', async () => {
  rmSync(pwned, {force: true})
  const args = [evil('arg1'), evil('arg2'), '$HOME', '*', '']
  const p = pod(
    evil('pod'),
    [
      {
        name: evil('ctr'),
        image: evil('image'),
        command: ['sh', '-c', 'for a in "$@"; do printf "%s\\0" "$a"; done > /out/args; printf "%s" "$EVIL" > /out/env; hostname > /out/hostname', 'sh', ...args],
        env: [{name: 'EVIL', value: evil('env')}],
        workingDir: '/tmp',
        volumeMounts: [{name: 'out', mountPath: `/out`}, {name: 'out', mountPath: `/weird $(touch ${pwned}) \`x\``, readOnly: true}],
      },
    ],
    {restartPolicy: 'Never', volumes: [{name: 'out', hostPath: {path: evilDir}}]},
    {namespace: evil('ns')},
  )
  const uid = await host.apply(p)
  const st = await host.waitPod(uid, (x) => x.phase === 'Succeeded' || x.phase === 'Failed', 'the container to finish')
  assert.is(st.phase, 'Succeeded', readFileSync(join(host.root, 'pods', uid, 'ctr', 'c00', 'log'), 'utf8'))
  assert.is(st.name, evil('pod'))
  assert.is(st.namespace, evil('ns'))
  assert.is(st.containers[0].name, evil('ctr'))
  assert.equal(readFileSync(join(evilDir, 'args'), 'utf8').split('\0').slice(0, -1), args)
  assert.is(readFileSync(join(evilDir, 'env'), 'utf8'), evil('env'))
  assert.is(readFileSync(join(evilDir, 'hostname'), 'utf8').replace(/\n$/, ''), evil('pod').slice(0, 63).split('\n')[0])
  const logs = await host.client.logs(uid, evil('ctr'))
  assert.type(logs, 'string')
  assert.not.ok(existsSync(pwned), 'nothing was executed')
})

test('exec into a running container with a hostile name passes its arguments literally', async () => {
  rmSync(pwned, {force: true})
  const p = pod(evil('execpod'), [{name: evil('ctr'), command: ['sleep', '3600']}], {}, {namespace: evil('ns')})
  const uid = await host.apply(p)
  await host.waitPod(uid, (x) => x.containers[0]?.state === 'running', 'the container to run')
  const args = [`$(touch ${pwned})`, evil('arg'), '*', '$HOME', '']
  const r = await host.client.exec(uid, evil('ctr'), ['sh', '-c', 'for a in "$@"; do printf "%s\\0" "$a"; done', 'sh', ...args])
  assert.is(r.code, 0, r.stderr)
  assert.equal(r.stdout.toString().split('\0').slice(0, -1), args, 'every argument arrived as written')
  assert.not.ok(existsSync(pwned), 'nothing was executed')
  await host.client.remove(uid, 0)
})

test('hostile verb arguments are rejected, not interpreted', async () => {
  for (const args of [['apply', `x$(touch ${pwned})`], ['stop', `../../etc`], ['layer-has', `sha256:$(touch ${pwned})`], ['logs', 'a b', `c$(touch ${pwned})`]]) {
    const r = await host.client.run(args, {stdin: Buffer.alloc(0)})
    assert.is.not(r.code, 0, args.join(' '))
  }
  assert.not.ok(existsSync(pwned))
})

test.run()
