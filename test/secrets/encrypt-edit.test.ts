// tsctl secret encrypt / edit against independent implementations: the
// files decrypt with sops-age (a second SOPS implementation) and their data
// keys with Debian's `age -d`; tsctl's own age decryption reads what
// Debian's `age -e` writes; an edit keeps unchanged values' ciphertext.
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import * as yaml from 'js-yaml'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {ageDecrypt, parseIdentities} from '../../src/secrets/age.js'
import {cleanup, tempDir, tsctl} from '../cli/helpers/run.js'
import {ageKeygen, encValue, keyEnv, secretYaml, sopsAgeDecrypt, type AgeKey} from './_secrets.js'

let dir: string
let k1: AgeKey
let k2: AgeKey
let k3: AgeKey

const plain = secretYaml('db', {password: 'pw-Alpha-1', user: 'admin-Beta'})

test.before(() => {
  dir = tempDir('tsctl-sops-')
  k1 = ageKeygen(dir, 'k1')
  k2 = ageKeygen(dir, 'k2')
  k3 = ageKeygen(dir, 'k3')
  writeFileSync(join(dir, 'tsctl.yaml'), `secrets:\n  age: [${k1.recipient}, ${k2.recipient}]\n`)
  writeFileSync(join(dir, 'db.yaml'), plain)
})
test.after(() => cleanup())

const run = (args: string[], env: Record<string, string> = {}) => tsctl(args, {cwd: dir, env: {...keyEnv(), ...env}})

test('encrypt writes a SOPS file that sops-age decrypts with either recipient, kind and names in clear', async () => {
  const r = run(['secret', 'encrypt', 'db.yaml'])
  assert.is(r.code, 0, r.stderr)
  const out = r.stdout
  assert.not.match(out, /pw-Alpha-1|admin-Beta/)
  const doc = yaml.load(out) as {kind: string; metadata: {name: string; labels: Record<string, string>}; stringData: Record<string, string>; sops: {age: {recipient: string; enc: string}[]; mac: string; lastmodified: string; encrypted_regex: string; version: string}}
  assert.is(doc.kind, 'Secret')
  assert.is(doc.metadata.name, 'db')
  assert.equal(doc.metadata.labels, {app: 'db'})
  assert.match(doc.stringData.password, /^ENC\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:[^,]+,type:str\]$/)
  assert.is(Buffer.from(/iv:([^,]+)/.exec(doc.stringData.password)![1], 'base64').length, 32, 'sops IVs are 32 bytes')
  assert.equal(doc.sops.age.map((a) => a.recipient), [k1.recipient, k2.recipient])
  assert.is(doc.sops.encrypted_regex, '^(data|stringData)$')
  assert.match(doc.sops.mac, /^ENC\[AES256_GCM,/)
  assert.match(doc.sops.lastmodified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  for (const k of [k1, k2]) {
    const d = (await sopsAgeDecrypt(out, k.identity)) as {stringData: Record<string, string>; metadata: {name: string}}
    assert.equal(d.stringData, {password: 'pw-Alpha-1', user: 'admin-Beta'})
    assert.is(d.metadata.name, 'db')
  }
  // the data key is an age file Debian's age decrypts: 32 bytes, the same for both recipients
  const keys = doc.sops.age.map((a, i) => {
    writeFileSync(join(dir, `enc${i}.age`), a.enc)
    return execFileSync('age', ['-d', '-i', [k1, k2][i].path, join(dir, `enc${i}.age`)])
  })
  assert.is(keys[0].length, 32)
  assert.ok(keys[0].equals(keys[1]))
  // a third key is not a recipient
  let refused = false
  try {
    await sopsAgeDecrypt(out, k3.identity)
  } catch {
    refused = true
  }
  assert.ok(refused, 'a key that is no recipient does not decrypt')
})

test('encrypt -i replaces the file; encrypting it again is refused (exit 2)', () => {
  writeFileSync(join(dir, 'inplace.yaml'), secretYaml('x', {token: 'tok-Gamma'}, 'stringData'))
  const r = run(['secret', 'encrypt', '-i', 'inplace.yaml'])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '')
  const text = readFileSync(join(dir, 'inplace.yaml'), 'utf8')
  assert.not.match(text, /tok-Gamma/)
  assert.match(text, /^sops:$/m)
  const again = run(['secret', 'encrypt', '-i', 'inplace.yaml'])
  assert.is(again.code, 2)
  assert.match(again.stderr, /already SOPS-encrypted/)
  assert.is(readFileSync(join(dir, 'inplace.yaml'), 'utf8'), text)
})

test('encrypt without recipients, or with a bad --age, is exit 2 and writes nothing', () => {
  const d2 = tempDir('tsctl-sops-norcpt-')
  writeFileSync(join(d2, 's.yaml'), plain)
  const r = tsctl(['secret', 'encrypt', '-i', 's.yaml'], {cwd: d2, env: keyEnv()})
  assert.is(r.code, 2)
  assert.match(r.stderr, /no age recipients/)
  assert.match(r.stderr, /secrets: \{age: \[age1/)
  assert.is(readFileSync(join(d2, 's.yaml'), 'utf8'), plain)
  const bad = tsctl(['secret', 'encrypt', '--age', 'age1nope', 's.yaml'], {cwd: d2, env: keyEnv()})
  assert.is(bad.code, 2)
  assert.match(bad.stderr, /not an age recipient/)
})

test('data values (base64) are encrypted as sops does and decrypt to the same base64', async () => {
  writeFileSync(join(dir, 'b64.yaml'), secretYaml('b', {cert: Buffer.from('cert-Delta').toString('base64')}, 'data'))
  const r = run(['secret', 'encrypt', '--age', k3.recipient, 'b64.yaml'])
  assert.is(r.code, 0, r.stderr)
  const d = (await sopsAgeDecrypt(r.stdout, k3.identity)) as {data: Record<string, string>}
  assert.is(Buffer.from(d.data.cert, 'base64').toString(), 'cert-Delta')
})

test("tsctl's own age decryption reads a file written by Debian's age -e", () => {
  const payload = Buffer.from('0123456789abcdef0123456789abcdef')
  writeFileSync(join(dir, 'dk.bin'), payload)
  const armored = execFileSync('age', ['-e', '-a', '-r', k3.recipient, '-r', k1.recipient, join(dir, 'dk.bin')], {encoding: 'utf8'})
  for (const k of [k1, k3]) assert.ok(ageDecrypt(armored, parseIdentities(readFileSync(k.path, 'utf8')).identities).equals(payload))
  let noMatch = false
  try {
    ageDecrypt(armored, parseIdentities(readFileSync(k2.path, 'utf8')).identities)
  } catch (e) {
    noMatch = (e as {noMatch?: boolean}).noMatch === true
  }
  assert.ok(noMatch, 'a key that is no recipient is told apart from a damaged file')
})

test('edit changes one value: the others keep their ciphertext, the MAC changes, sops-age reads the new value', async () => {
  writeFileSync(join(dir, 'ed.yaml'), run(['secret', 'encrypt', 'db.yaml']).stdout)
  const before = readFileSync(join(dir, 'ed.yaml'), 'utf8')
  const shmBefore = readdirSync('/dev/shm').filter((f) => f.startsWith('tsctl-secret-'))
  const r = run(['secret', 'edit', 'ed.yaml'], {...keyEnv(k2), EDITOR: 'sed -i s/pw-Alpha-1/pw-Epsilon-2/', VISUAL: ''})
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stderr, /re-encrypted/)
  const after = readFileSync(join(dir, 'ed.yaml'), 'utf8')
  assert.not.match(after, /pw-Alpha-1|pw-Epsilon-2|admin-Beta/)
  assert.is(encValue(after, 'user'), encValue(before, 'user'), 'an unchanged value keeps its ciphertext')
  assert.is.not(encValue(after, 'password'), encValue(before, 'password'))
  assert.is.not(encValue(after, 'mac'), encValue(before, 'mac'))
  const enc = (t: string) => (yaml.load(t) as {sops: {age: {enc: string}[]}}).sops.age.map((a) => a.enc)
  assert.equal(enc(after), enc(before), 'the data key and its wrapped forms stay')
  const d = (await sopsAgeDecrypt(after, k1.identity)) as {stringData: Record<string, string>}
  assert.equal(d.stringData, {password: 'pw-Epsilon-2', user: 'admin-Beta'})
  assert.equal(readdirSync('/dev/shm').filter((f) => f.startsWith('tsctl-secret-')), shmBefore, 'the plaintext for the editor is removed')
  // an editor that changes nothing writes nothing
  const same = run(['secret', 'edit', 'ed.yaml'], {...keyEnv(k1), EDITOR: 'true', VISUAL: ''})
  assert.is(same.code, 0, same.stderr)
  assert.match(same.stderr, /no change/)
  assert.is(readFileSync(join(dir, 'ed.yaml'), 'utf8'), after)
})

test('edit with a missing or wrong key, or of a tampered file, is exit 2 and leaves the file as it was', () => {
  const text = readFileSync(join(dir, 'ed.yaml'), 'utf8')
  const missing = run(['secret', 'edit', 'ed.yaml'], {...keyEnv(), EDITOR: 'sed -i s/admin/root/'})
  assert.is(missing.code, 2)
  assert.match(missing.stderr, /no age key/)
  const wrong = run(['secret', 'edit', 'ed.yaml'], {...keyEnv(k3), EDITOR: 'sed -i s/admin/root/'})
  assert.is(wrong.code, 2)
  assert.match(wrong.stderr, /none of the age keys found is a recipient/)
  assert.ok(wrong.stderr.includes(k1.recipient))
  writeFileSync(join(dir, 'tampered.yaml'), text.replace('app: db', 'app: evil'))
  const tampered = run(['secret', 'edit', 'tampered.yaml'], {...keyEnv(k1), EDITOR: 'sed -i s/admin/root/'})
  assert.is(tampered.code, 2)
  assert.match(tampered.stderr, /MAC mismatch/)
  assert.is(readFileSync(join(dir, 'ed.yaml'), 'utf8'), text)
  for (const r of [missing, wrong, tampered]) assert.not.match(r.stdout + r.stderr, /pw-|admin-Beta/)
})

test('secret --help documents both commands', () => {
  const h = run(['secret', 'encrypt', '--help'])
  assert.is(h.code, 0)
  assert.match(h.stdout, /--in-place/)
  assert.match(run(['secret', 'edit', '--help']).stdout, /\$EDITOR/)
})

test.run()
