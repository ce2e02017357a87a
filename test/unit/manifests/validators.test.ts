import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {buildKindSchemas, readSchemaFiles, schemaDir} from '../../../src/manifests/schemas.js'
import * as precompiled from '../../../src/manifests/compiled/validators.js'

// The validators tsctl uses are generated ahead of time (gen-validators.mjs);
// these tests keep them equal to what ajv compiles from schemas/ at run time.

const root = fileURLToPath(new URL('../../../..', import.meta.url))

test('the generated validators match schemas/ (else run npm run build && node scripts/gen-validators.mjs)', () => {
  assert.is(precompiled.schemasHash, readSchemaFiles(schemaDir()).hash)
  execFileSync(process.execPath, ['scripts/gen-validators.mjs', '--check'], {cwd: root, stdio: 'pipe'})
})

const docs: [string, unknown][] = [
  ['Pod', {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p'}, spec: {serviceAccountName: 'x', hostPID: true, containers: [{name: 'a', image: 'x', securityContext: {privileged: true}}]}}],
  ['Pod', {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p', labels: {a: 1}}, spec: {containres: [], containers: [{name: 'a', image: 3, ports: [{containerPort: 70000}]}]}}],
  ['Deployment', {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'd'}, spec: {selector: {matchLabels: {a: 'b'}}, strategy: {type: 'Recreat'}, template: {metadata: {labels: {a: 'b'}}, spec: {serviceAccountName: 's', containers: [{name: 'a', image: 'x', resources: {requests: {cpu: true}}}]}}}}],
  ['Service', {apiVersion: 'v1', kind: 'Service', metadata: {name: 's'}, spec: {ports: [{port: 'x'}], type: 'LoadBalancer'}}],
  ['ConfigMap', {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'c'}, data: {a: 1}}],
]

test('precompiled and run-time compiled validators give the same results, errors and unsupported fields', () => {
  const pre = buildKindSchemas()
  const now = buildKindSchemas({compile: true})
  assert.equal([...pre.validators.keys()].sort(), [...now.validators.keys()].sort())
  assert.equal([...pre.apiVersions].sort(), [...now.apiVersions].sort())
  let hits = 0
  let errors = 0
  for (const [kind, doc] of docs) {
    const a = pre.validators.get(kind)!
    const b = now.validators.get(kind)!
    pre.unsupported.length = 0
    now.unsupported.length = 0
    assert.is(a(doc), b(doc), kind)
    assert.equal(a.errors, b.errors, kind)
    assert.equal(pre.unsupported, now.unsupported, kind)
    hits += now.unsupported.length
    errors += b.errors?.length ?? 0
  }
  // the documents above do exercise both: unsupported fields and shape errors
  assert.ok(hits >= 2, `unsupported hits: ${hits}`)
  assert.ok(errors >= 5, `errors: ${errors}`)
})

test.run()
