import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {parseImageRef} from '../../../src/images/reference.js'
import {UserError} from '../../../src/errors.js'

const D = 'sha256:' + 'ab'.repeat(32)

const table: [string, string][] = [
  ['busybox', 'docker.io/library/busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36'],
  ['library/busybox:1.36', 'docker.io/library/busybox:1.36'],
  ['docker.io/busybox', 'docker.io/library/busybox:latest'],
  ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
  ['bitnami/redis:7.2', 'docker.io/bitnami/redis:7.2'],
  ['ghcr.io/org/team/app:v1.2.3', 'ghcr.io/org/team/app:v1.2.3'],
  ['localhost/app', 'localhost/app:latest'],
  ['localhost:5000/app:dev', 'localhost:5000/app:dev'],
  ['registry.example.com:8443/a/b', 'registry.example.com:8443/a/b:latest'],
  ['Registry/app', 'Registry/app:latest'],
  ['[::1]:5000/app:x', '[::1]:5000/app:x'],
  [`busybox@${D}`, `docker.io/library/busybox@${D}`],
  [`busybox:1.36@${D}`, `docker.io/library/busybox:1.36@${D}`],
  [`r.io:5000/a/b:t@${D}`, `r.io:5000/a/b:t@${D}`],
  ['a__b/c-d.e_f', 'docker.io/a__b/c-d.e_f:latest'],
  ['oci:images/busybox', 'oci:images/busybox'],
  ['oci:images/busybox:1.35', 'oci:images/busybox:1.35'],
  ['oci:./images//busybox/:1.35', 'oci:images/busybox:1.35'],
  [`oci:images/busybox@${D}`, `oci:images/busybox@${D}`],
  ['oci:a/../images/x', 'oci:images/x'],
  ['oci:dir with spaces/$(touch x):t', 'oci:dir with spaces/$(touch x):t'],
]

for (const [input, canonical] of table) {
  test(`${input} → ${canonical}`, () => {
    assert.is(parseImageRef(input).canonical, canonical)
  })
}

test('parts of a registry reference', () => {
  assert.equal(parseImageRef('localhost:5000/team/app:v2'), {
    kind: 'registry', original: 'localhost:5000/team/app:v2', registry: 'localhost:5000', repository: 'team/app', tag: 'v2', canonical: 'localhost:5000/team/app:v2',
  })
  const d = parseImageRef(`busybox@${D}`)
  assert.is(d.kind, 'registry')
  assert.is(d.tag, undefined, 'a digest alone gets no default tag')
  assert.is(d.digest, D)
})

test('parts of an oci reference', () => {
  assert.equal(parseImageRef('oci:images/busybox:1.35'), {kind: 'oci', original: 'oci:images/busybox:1.35', path: 'images/busybox', tag: '1.35', canonical: 'oci:images/busybox:1.35'})
  const r = parseImageRef('oci:images/busybox')
  assert.is(r.kind === 'oci' && r.tag, undefined)
})

const bad: [string, RegExp][] = [
  ['', /empty/],
  ['Busybox', /lowercase/],
  ['busybox:', /invalid tag/],
  ['busybox:-x', /invalid tag/],
  ['busybox:' + 'a'.repeat(129), /invalid tag/],
  ['busybox@sha256:abc', /malformed digest/],
  ['busybox@sha512:' + 'a'.repeat(128), /unsupported digest algorithm/],
  ['a//b', /component ""/],
  ['a/-b', /component "-b"/],
  ['a/b_/c', /component "b_"/],
  ['a b', /whitespace/],
  ['$(touch /tmp/pwned)', /whitespace/],
  ['$(id)', /component/],
  ['`id`:x', /component/],
  ['host:99999/a', /port/],
  ['-bad.io/a', /registry host/],
  ['registry.io/', /missing repository/],
  ['oci:', /missing layout/],
  ['oci::tag', /missing layout/],
  ['oci:/srv/images/x', /relative/],
  ['oci:../outside', /leaves the repository/],
  ['oci:a/../../x', /leaves the repository/],
  ['oci:images/x:', /empty or malformed tag/],
  ['oci:images/x@sha256:zz', /malformed digest/],
]

for (const [input, re] of bad) {
  test(`rejects ${JSON.stringify(input.slice(0, 40))}`, () => {
    try {
      parseImageRef(input, {file: 'manifests/web.yaml', line: 9, col: 16, field: 'spec.containers[0].image'})
      assert.unreachable('should have thrown')
    } catch (e) {
      assert.instance(e, UserError)
      const u = e as UserError
      assert.match(u.message, re)
      assert.is(u.exitCode, 2)
      assert.is(u.diagnostics[0].file, 'manifests/web.yaml', 'the diagnostic carries the position')
      assert.is(u.diagnostics[0].line, 9)
      assert.is(u.diagnostics[0].field, 'spec.containers[0].image')
    }
  })
}

test.run()
