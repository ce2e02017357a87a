// SOPS Secrets end to end on this machine (local transport, as root):
// refused without the key or with a wrong one (nothing applied), pods see the
// decrypted values in env and a volume, a PR diff without the key names
// exactly the Secret that changed, rotating one value rolls only the pod
// that reads it, undo brings the old value back, a tampered file is refused,
// and no plaintext ever reaches the state file, the git state ref, a saved
// plan or any output.
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {localSite, localSkipReason, nodeYaml, type LocalSite, type Run} from '../sync/_local.js'
import {assertOutput} from '../cli/helpers/output-schema.js'
import {ageKeygen, keyEnv, secretYaml, type AgeKey} from './_secrets.js'

const skip = localSkipReason()
let site: LocalSite
let k1: AgeKey
let k2: AgeKey

const PW1 = 'pw-One-7f3a'
const PW2 = 'pw-Two-91c4'
const USER = 'admin-3c8e'
const TOKEN = 'tok-Nine-2a5d'
const plaintexts = [PW1, PW2, USER, TOKEN]
/** every plaintext and its base64, as a Secret's data would carry it */
const leaks = (text: string) => plaintexts.flatMap((p) => [p, Buffer.from(p).toString('base64')]).filter((p) => text.includes(p))

const outputs: string[] = []
const tsctl = (args: string[], key?: AgeKey, extra: Record<string, string> = {}): Run => {
  const r = site.tsctl(args, {env: {...keyEnv(key), ...extra}})
  // exec prints what the pods see, on purpose
  if (args[0] !== 'exec') outputs.push(r.stdout, r.stderr)
  return r
}
const statePath = () => join(site.repo.dir, '.tsctl', 'state.json')
const stateText = () => readFileSync(statePath(), 'utf8')
const pods = async () => (await site.pods()).filter((p) => p.phase === 'Running')
const pod = async (prefix: string) => {
  const p = (await pods()).find((x) => x.name === prefix || x.name.startsWith(`${prefix}-`))
  assert.ok(p, `a running pod ${prefix}`)
  return p!
}
const inPod = (name: string, script: string, key = k1) => {
  const r = tsctl(['exec', name, '--', 'sh', '-c', script], key)
  assert.is(r.code, 0, r.stderr)
  return r.stdout
}

const podsYaml = `apiVersion: v1
kind: Pod
metadata:
  name: db-client
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: oci:images/busybox
      command: [sh, -c, exec sleep 3600]
      env:
        - name: PW
          valueFrom: {secretKeyRef: {name: db, key: password}}
      volumeMounts:
        - {name: db, mountPath: /etc/db, readOnly: true}
  volumes:
    - name: db
      secret: {secretName: db}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-client
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: oci:images/busybox
      command: [sh, -c, exec sleep 3600]
      env:
        - name: TOKEN
          valueFrom: {secretKeyRef: {name: api, key: token}}
`
const webYaml = (rev: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
      annotations: {rev: "${rev}"}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: oci:images/busybox
          command: [sh, -c, exec sleep 3600]
          env:
            - name: PW
              valueFrom: {secretKeyRef: {name: db, key: password}}
          volumeMounts:
            - {name: db, mountPath: /etc/db, readOnly: true}
      volumes:
        - name: db
          secret: {secretName: db}
`

test.before(async () => {
  if (skip) return
  site = await localSite({'nodes.yaml': nodeYaml})
  k1 = ageKeygen(site.root, 'k1')
  k2 = ageKeygen(site.root, 'k2')
  site.repo.write({
    'tsctl.yaml': `secrets:\n  age: [${k1.recipient}]\n`,
    'manifests/db-secret.yaml': secretYaml('db', {password: PW1, user: USER}),
    'manifests/api-secret.yaml': secretYaml('api', {token: TOKEN}),
  })
  for (const f of ['manifests/db-secret.yaml', 'manifests/api-secret.yaml']) {
    const r = tsctl(['secret', 'encrypt', '-i', f])
    assert.is(r.code, 0, r.stderr)
  }
  site.repo.commit('app with SOPS secrets', {'manifests/pods.yaml': podsYaml, 'manifests/web.yaml': webYaml('1')})
})

test.after(async () => {
  if (skip) return
  const left = await site.cleanup()
  assert.equal(left, [], 'nothing of the runtime ROOT is left')
})

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('SOPS secrets on the local transport')
} else {
  test('the committed files hold no plaintext', () => {
    const files = site.repo.git('ls-files').split('\n').filter((f) => f.startsWith('manifests/'))
    for (const f of files) assert.equal(leaks(site.repo.git('show', `HEAD:${f}`)), [], f)
  })

  test('sync without a key and with a wrong key: exit 2 at file:line naming the Secret, nothing applied', async () => {
    const none = tsctl(['sync', '--timeout', '60s'])
    assert.is(none.code, 2, none.stderr)
    assert.match(none.stderr, /manifests\/api-secret\.yaml:1:1: Secret\/default\/api: no age key to decrypt this SOPS Secret/)
    assert.match(none.stderr, /manifests\/db-secret\.yaml:1:1: Secret\/default\/db: no age key/)
    assert.match(none.stderr, /SOPS_AGE_KEY_FILE/)
    const wrong = tsctl(['sync', '--timeout', '60s'], k2)
    assert.is(wrong.code, 2, wrong.stderr)
    assert.match(wrong.stderr, /manifests\/db-secret\.yaml:\d+:\d+: Secret\/default\/db: none of the age keys found is a recipient/)
    assert.ok(wrong.stderr.includes(k1.recipient) && wrong.stderr.includes(k2.recipient), wrong.stderr)
    assert.not.ok(existsSync(statePath()), 'no state was written')
    assert.equal(await pods(), [])
  })

  test('sync with the key: pods see the decrypted values in env and in the secret volume; the state holds only ciphertext', async () => {
    const r = tsctl(['sync', '--timeout', '60s'], k1)
    assert.is(r.code, 0, r.stderr)
    assert.is(inPod('db-client', 'printf "%s|" "$PW"; cat /etc/db/password; printf "|"; cat /etc/db/user'), `${PW1}|${PW1}|${USER}`)
    assert.is(inPod('api-client', 'printf %s "$TOKEN"'), TOKEN)
    const web = await pod('web')
    assert.is(inPod(web.name, 'printf "%s|" "$PW"; cat /etc/db/password'), `${PW1}|${PW1}`)
    const state = stateText()
    assert.equal(leaks(state), [])
    assert.match(state, /ENC\[AES256_GCM,data:/)
    for (const args of [['state', 'show', '-o', 'json'], ['get', 'secret', 'db', '-o', 'yaml'], ['get', 'secrets', '-o', 'json'], ['describe', 'secret/db']]) {
      const g = tsctl(args, k1)
      assert.is(g.code, 0, `${args.join(' ')}: ${g.stderr}`)
      if (args.includes('json')) assertOutput(args[0] === 'state' ? 'state-show' : 'get', JSON.parse(g.stdout))
    }
    const y = tsctl(['get', 'secret', 'db', '-o', 'yaml']).stdout
    assert.match(y, /password: \(sensitive\)/)
    const desc = tsctl(['describe', 'secret/db']).stdout
    assert.ok(desc.includes(`SOPS, age: ${k1.recipient}`), desc)
    assert.match(desc, /password:\s+\(encrypted\)/)
  })

  let dbClientUid = ''
  let apiClientUid = ''
  let webUid = ''

  test('a PR diff without the key names exactly the Secret that changed, and the key that changed', async () => {
    dbClientUid = (await pod('db-client')).uid
    apiClientUid = (await pod('api-client')).uid
    webUid = (await pod('web')).uid
    const e = tsctl(['secret', 'edit', 'manifests/db-secret.yaml'], k1, {EDITOR: `sed -i s/${PW1}/${PW2}/`, VISUAL: ''})
    assert.is(e.code, 0, e.stderr)
    site.repo.commit('rotate the db password', {})
    for (const key of [undefined, k1]) {
      const d = tsctl(['diff', '--offline', '-o', 'json'], key)
      assert.is(d.code, 1, d.stderr)
      assertOutput('diff', JSON.parse(d.stdout))
      const doc = JSON.parse(d.stdout) as {objects: {key: string; change: string; fields: {path: string; before?: unknown; after?: unknown}[]}[]; actions: {type: string; target: string}[]}
      const secrets = doc.objects.filter((o) => o.key.startsWith('Secret/'))
      assert.equal(secrets.map((o) => o.key), ['Secret/default/db'], 'only db changed')
      const fields = secrets[0].fields.map((f) => f.path)
      assert.equal(fields, key ? ['stringData.password'] : ['sops.mac', 'stringData.password'])
      const pw = secrets[0].fields.find((f) => f.path === 'stringData.password')!
      assert.equal([pw.before, pw.after], ['(sensitive)', '(sensitive)'])
      // the plan: the Secret volumes of the two pods that mount db are updated in place; api-client is untouched
      const acts = doc.actions.map((a) => `${a.type} ${a.target}`).sort()
      assert.equal(acts, ['updateFiles Pod/default/db-client', `updateFiles Pod/default/${(await pod('web')).name}`].sort())
    }
    const text = tsctl(['diff', '--offline'])
    assert.is(text.code, 1)
    assert.match(text.stdout, /Secret\/default\/db/)
    assert.not.match(text.stdout, /Secret\/default\/api/)
    const out = join(site.root, 'plan.json')
    assert.is(tsctl(['diff', '--offline', '--out', out], k1).code, 1)
    assert.equal(leaks(readFileSync(out, 'utf8')), [], 'the saved plan holds no plaintext')
  })

  test('rotating one value reaches only the pods that read that Secret: their volumes in place, no restart, api-client untouched', async () => {
    const r = tsctl(['sync', '--timeout', '60s', '-o', 'json'], k1)
    assert.is(r.code, 0, r.stderr)
    const summary = (JSON.parse(r.stdout) as {summary: Record<string, {created: number; replaced: number; deleted: number}>}).summary.local
    assert.equal([summary.created, summary.replaced, summary.deleted], [0, 0, 0])
    // Kubernetes' rules: a Secret volume changes under a running pod (the kubelet's atomic swap); env is fixed at start
    assert.is((await pod('db-client')).uid, dbClientUid)
    assert.is(inPod('db-client', 'printf "%s|" "$PW"; cat /etc/db/password; printf "|"; cat /etc/db/user'), `${PW1}|${PW2}|${USER}`)
    const web = await pod('web')
    assert.is(web.uid, webUid)
    assert.is(inPod(web.name, 'printf "%s|" "$PW"; cat /etc/db/password'), `${PW1}|${PW2}`)
    assert.is((await pod('api-client')).uid, apiClientUid, 'api-client was not touched')
    assert.is(inPod('api-client', 'printf %s "$TOKEN"'), TOKEN)
    assert.equal(leaks(stateText()), [])
    // the next rollout of web starts its pod with the new value in env too (the undo test below)
  })

  test('undo restores the old value from the state, which still holds no plaintext', async () => {
    site.repo.commit('web: rev 2', {'manifests/web.yaml': webYaml('2')})
    const r = tsctl(['sync', '--timeout', '60s'], k1)
    assert.is(r.code, 0, r.stderr)
    const web2 = await pod('web')
    assert.is(inPod(web2.name, 'printf "%s|" "$PW"; cat /etc/db/password'), `${PW2}|${PW2}`)
    const u = tsctl(['rollout', 'undo', 'deployment/web', '--timeout', '60s'], k1)
    assert.is(u.code, 0, u.stderr)
    const web1 = await pod('web')
    assert.is.not(web1.uid, web2.uid)
    assert.is(inPod(web1.name, 'printf "%s|" "$PW"; cat /etc/db/password'), `${PW1}|${PW1}`)
    const state = stateText()
    assert.equal(leaks(state), [], 'no plaintext in the state file')
    assert.match(state, /tsctl.io\/config-snapshot/)
    assert.match(state, /sops/)
  })

  test('a tampered file is refused with the key: exit 2 naming the Secret, the state and the pods unchanged', async () => {
    const before = stateText()
    const running = (await pods()).map((p) => p.uid).sort()
    const text = readFileSync(join(site.repo.dir, 'manifests/api-secret.yaml'), 'utf8')
    site.repo.commit('tamper', {'manifests/api-secret.yaml': text.replace('app: api', 'app: evil')})
    const r = tsctl(['sync', '--timeout', '60s'], k1)
    assert.is(r.code, 2, r.stderr)
    assert.match(r.stderr, /manifests\/api-secret\.yaml:\d+:\d+: Secret\/default\/api: sops\.mac: MAC mismatch/)
    assert.is(stateText(), before, 'the state is unchanged')
    assert.equal((await pods()).map((p) => p.uid).sort(), running)
    site.repo.commit('untamper', {'manifests/api-secret.yaml': text})
  })

  test('with the git state backend the state ref holds no plaintext either', () => {
    const r = tsctl(['sync', '--timeout', '60s', '--state-backend', 'git', '--state-remote', '.'], k1)
    assert.is(r.code, 0, r.stderr)
    const blob = site.repo.git('show', 'refs/tsctl/state:state.json')
    assert.match(blob, /ENC\[AES256_GCM,data:/)
    assert.equal(leaks(blob), [])
    // nor any object reachable from the state refs
    const objs = execFileSync('git', ['rev-list', '--objects', 'refs/tsctl/state'], {cwd: site.repo.dir, encoding: 'utf8'}).split('\n').filter(Boolean).map((l) => l.split(' ')[0])
    for (const o of objs) assert.equal(leaks(execFileSync('git', ['cat-file', '-p', o], {cwd: site.repo.dir, encoding: 'utf8'})), [], o)
  })

  test('no output of any command (sync, diff, get, describe, state show, undo, edit) showed a plaintext value', () => {
    assert.ok(outputs.length > 20)
    assert.equal(leaks(outputs.join('\n')), [])
  })
}

test.run()
