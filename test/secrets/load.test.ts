// SOPS Secrets in a commit (loadDesired's pure half): kept encrypted in the
// Desired objects, verified with a key, refused at file:line with exit 2
// when the key is missing or wrong, the file was tampered with, or it uses
// a SOPS feature tsctl cannot honour; decrypted only in memory by the
// pod-bundle compiler; and diffed by ciphertext without a key, by value with one.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import * as yaml from 'js-yaml'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {UserError, type Diagnostic} from '../../src/errors.js'
import {desiredFromFiles} from '../../src/manifests/load.js'
import type {KubeObject} from '../../src/manifests/object.js'
import {volumeFiles} from '../../src/host/bundle/pod-bundle.js'
import {configSources} from '../../src/sync/executor/bundle.js'
import {diffFields} from '../../src/render/object-diff.js'
import {maskObject} from '../../src/render/mask.js'
import {resetProcessKeys} from '../../src/secrets/keyring.js'
import {encryptFile} from '../../src/secrets/secret-file.js'
import {ageKeygen, keyEnv, secretYaml, type AgeKey} from './_secrets.js'

const commit = {sha: 'a'.repeat(40), subject: 's', author: 'a', date: '2026-01-01T00:00:00Z'}
let dir: string
let k1: AgeKey
let k2: AgeKey
let enc: string

const useKey = (k?: AgeKey) => {
  Object.assign(process.env, keyEnv(k))
  resetProcessKeys()
}
const load = (text: string, need: 'require' | 'optional' = 'require', path = 'manifests/db.yaml') => desiredFromFiles([{path, text}], commit, [], undefined, need)
const errorsOf = (f: () => unknown): Diagnostic[] => {
  try {
    f()
  } catch (e) {
    assert.instance(e, UserError)
    assert.is((e as UserError).exitCode, 2)
    return (e as UserError).diagnostics.filter((d) => d.severity === 'error')
  }
  assert.unreachable('no error')
  return []
}
const secretValues = /pw-One|user-Two|pw-Three/

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsctl-sops-load-'))
  k1 = ageKeygen(dir, 'k1')
  k2 = ageKeygen(dir, 'k2')
  writeFileSync(join(dir, 'db.yaml'), secretYaml('db', {password: 'pw-One', user: 'user-Two'}))
  enc = await encryptFile(join(dir, 'db.yaml'), {repo: dir, recipients: [k1.recipient]})
})
test.after(() => {
  useKey()
  rmSync(dir, {recursive: true, force: true})
})

test('with the key: the object keeps the ENC values and the sops block, and nothing decrypted', () => {
  useKey(k1)
  const d = load(enc)
  const o = d.objects[0].object as KubeObject & {stringData: Record<string, string>; sops: {mac: string}}
  assert.is(o.kind, 'Secret')
  assert.match(o.stringData.password, /^ENC\[AES256_GCM,/)
  assert.match(o.sops.mac, /^ENC\[AES256_GCM,/)
  assert.is(o.type, 'Opaque')
  assert.not.match(JSON.stringify(d), secretValues)
})

test('without a key: required (sync) is an error at the file naming the Secret; optional (diff) loads it unverified', () => {
  useKey()
  const [e] = errorsOf(() => load(enc))
  assert.is(e.file, 'manifests/db.yaml')
  assert.is(e.line, 1)
  assert.is(e.object, 'Secret/default/db')
  assert.match(e.message, /no age key/)
  assert.match(e.hint!, /SOPS_AGE_KEY_FILE/)
  const d = load(enc, 'optional')
  assert.is(d.objects.length, 1)
})

test('a wrong key is an error naming the recipients, never a value (a warning for diff and validate)', () => {
  useKey(k2)
  const w = load(enc, 'optional').warnings.find((d) => d.object === 'Secret/default/db')
  assert.match(w?.message ?? '', /none of the age keys found is a recipient .*; not verified/)
  const [e] = errorsOf(() => load(enc))
  assert.is(e.object, 'Secret/default/db')
  assert.match(e.message, /none of the age keys found is a recipient/)
  assert.ok(e.message.includes(k1.recipient) && e.message.includes(k2.recipient))
  assert.is(e.line, (enc.split('\n').findIndex((l) => l.startsWith('    age:')) + 1) || e.line)
})

test('tampering: a changed clear field is a MAC mismatch at sops.mac; a changed ciphertext does not decrypt, at its line', () => {
  useKey(k1)
  const label = errorsOf(() => load(enc.replace('app: db', 'app: evil')))
  assert.is(label.length, 1)
  assert.match(label[0].message, /MAC mismatch/)
  assert.is(label[0].field, 'sops.mac')
  assert.is(label[0].line, enc.split('\n').findIndex((l) => /^\s+mac: /.test(l)) + 1)
  const pwLine = enc.split('\n').findIndex((l) => /^\s+password: ENC/.test(l))
  const lines = enc.split('\n')
  lines[pwLine] = lines[pwLine].replace(/data:(.)/, (_m, c: string) => `data:${c === 'A' ? 'B' : 'A'}`)
  const [v] = errorsOf(() => load(lines.join('\n')))
  assert.is(v.line, pwLine + 1)
  assert.is(v.field, 'stringData.password')
  assert.match(v.message, /does not decrypt/)
  // the MAC of another file cannot be swapped in either
  const other = enc.replace(/^(\s+mac: ).*$/m, `$1${/^\s+password: (.*)$/m.exec(enc)![1]}`)
  assert.match(errorsOf(() => load(other))[0].message, /MAC mismatch/)
  for (const d of [...label, v]) assert.not.match(JSON.stringify(d), secretValues)
})

test('a two-document file has one data key and one MAC over both documents, as sops writes it', async () => {
  useKey(k1)
  writeFileSync(join(dir, 'two.yaml'), secretYaml('one', {a: 'pw-One'}) + '---\n' + secretYaml('two', {b: 'user-Two'}))
  const text = await encryptFile(join(dir, 'two.yaml'), {repo: dir, recipients: [k1.recipient]})
  const docs = text.split(/^---$/m)
  assert.is(docs.length, 2)
  assert.is(/^\s+mac: (.*)$/m.exec(docs[0])![1], /^\s+mac: (.*)$/m.exec(docs[1])![1])
  const d = load(text)
  assert.equal(d.objects.map((o) => o.object.metadata.name), ['one', 'two'])
  // a change in the second document breaks the MAC of the file
  const [e] = errorsOf(() => load(docs[0] + '---' + docs[1].replace('app: two', 'app: evil')))
  assert.match(e.message, /MAC mismatch/)
  // a ciphertext of the second document that does not decrypt is reported at its own line
  const bLine = text.split('\n').findIndex((l) => /^\s+b: ENC/.test(l))
  const lines = text.split('\n')
  lines[bLine] = lines[bLine].replace(/tag:(.)/, (_m, c: string) => `tag:${c === 'A' ? 'B' : 'A'}`)
  const [v] = errorsOf(() => load(lines.join('\n')))
  assert.is(v.line, bLine + 1)
  assert.is(v.object, 'Secret/default/two')
})

test('unsupported SOPS features are refused with what to do', () => {
  useKey(k1)
  const doc = yaml.load(enc) as Record<string, Record<string, unknown>>
  const variant = (sops: Record<string, unknown>, top: Record<string, unknown> = {}) => yaml.dump({...doc, ...top, sops: {...doc.sops, ...sops}})
  const pgp = errorsOf(() => load(variant({age: [], pgp: [{fp: 'ABCD', enc: 'x'}], kms: [{arn: 'arn:aws:kms:x'}]})))
  assert.match(pgp[0].message, /encrypted only for pgp, kms; tsctl decrypts with age keys only/, pgp[0].message)
  assert.match(pgp[0].hint!, /--add-age/)
  assert.match(errorsOf(() => load(variant({key_groups: [{age: []}]})))[0].message, /key groups/)
  assert.match(errorsOf(() => load(variant({encrypted_comment_regex: 'sops:enc'})))[0].message, /encrypted_comment_regex/)
  const encKind = errorsOf(() => load(variant({}, {kind: (doc.stringData as Record<string, string>).password})))
  assert.match(encKind[0].message, /kind or metadata.name is encrypted/)
  const cm = errorsOf(() => load(variant({}, {kind: 'ConfigMap'})))
  assert.match(cm[0].message, /only Secrets may be SOPS-encrypted/)
})

test('decrypted data that is not base64 is an error without the value', async () => {
  useKey(k1)
  writeFileSync(join(dir, 'bad.yaml'), secretYaml('bad', {cert: 'not base64!'}, 'data'))
  const text = await encryptFile(join(dir, 'bad.yaml'), {repo: dir, recipients: [k1.recipient]})
  const [e] = errorsOf(() => load(text))
  assert.is(e.field, 'data.cert')
  assert.match(e.message, /decrypted value is not valid base64/)
  assert.not.match(JSON.stringify(e), /not base64!/)
  // without the key the commit still loads (the check needs the plaintext)
  useKey()
  assert.is(load(text, 'optional').objects.length, 1)
})

test('the pod-bundle compiler decrypts in memory; with no key it fails naming the Secret', () => {
  useKey(k1)
  const secret = load(enc).objects[0].object
  const objects = {'Secret/default/db': secret}
  const pod = {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p', namespace: 'default'}, spec: {containers: []}} as unknown as KubeObject
  const fv = volumeFiles({name: 'v', secret: {secretName: 'db'}}, {pod, ...configSources(objects, 'default')})!
  assert.is(fv.files.get('password')!.toString(), 'pw-One')
  assert.is(fv.files.get('user')!.toString(), 'user-Two')
  assert.ok(fv.secret)
  useKey()
  try {
    volumeFiles({name: 'v', secret: {secretName: 'db'}}, {pod, ...configSources(objects, 'default')})
    assert.unreachable('decrypted without a key')
  } catch (e) {
    assert.match((e as Error).message, /no age key to decrypt Secret default\/db/)
  }
  // masked output never shows the ciphertext either
  assert.equal((maskObject(secret) as unknown as {stringData: Record<string, string>}).stringData, {password: '(sensitive)', user: '(sensitive)'})
})

test('diff of two versions: without a key by ciphertext, with a key by value; a re-encryption is one sops line', async () => {
  useKey(k1)
  const v1 = load(enc).objects[0].object
  // rotate one value keeping the others' ciphertext (what secret edit does)
  const {editFile} = await import('../../src/secrets/secret-file.js')
  writeFileSync(join(dir, 'v.yaml'), enc)
  process.env.SOPS_AGE_KEY_FILE = k1.path
  await editFile(join(dir, 'v.yaml'), {repo: dir, editor: 'sed -i s/pw-One/pw-Three/'})
  const {readFileSync} = await import('node:fs')
  const v2 = load(readFileSync(join(dir, 'v.yaml'), 'utf8')).objects[0].object
  const paths = (cs: ReturnType<typeof diffFields>) => cs.map((c) => c.path)
  assert.equal(paths(diffFields(v1, v2)), ['stringData.password'])
  useKey()
  assert.equal(paths(diffFields(v1, v2)), ['sops.mac', 'stringData.password'])
  for (const c of diffFields(v1, v2)) if (c.path.startsWith('stringData')) assert.equal([c.before, c.after], ['(sensitive)', '(sensitive)'])
  // the same values encrypted afresh (new data key): with the key, no value changed
  useKey(k1)
  const v3 = load(await encryptFile(join(dir, 'db.yaml'), {repo: dir, recipients: [k1.recipient]})).objects[0].object
  assert.equal(diffFields(v1, v3).map((c) => [c.path, c.after]), [['sops', 're-encrypted, same values']])
  assert.not.match(JSON.stringify([diffFields(v1, v2), diffFields(v1, v3)]), secretValues)
})

test.run()
