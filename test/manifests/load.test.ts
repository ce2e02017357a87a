// loadDesired against real git repositories in temp dirs.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {cpSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {formatDiagnostic, UserError} from '../../src/errors.js'
import {loadDesired} from '../../src/manifests/load.js'
import {keyOf} from '../../src/manifests/object.js'
import {TempRepo} from './git-repo.js'

const cm = (name: string, value = 'v') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: "${value}"\n`

async function userError(p: Promise<unknown>): Promise<UserError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, UserError, String(e))
    return e as UserError
  }
  assert.unreachable('expected a UserError')
  throw new Error('unreachable')
}

const repos: TempRepo[] = []
const repo = () => {
  const r = new TempRepo()
  repos.push(r)
  return r
}
test.after.each(() => {
  for (const r of repos.splice(0)) r.remove()
})

test('reads the committed files with commit info from git', async () => {
  const r = repo()
  const sha = r.commit('first: add a', {'a.yaml': cm('a'), 'sub/b.yml': cm('b'), 'README.md': '# not yaml'})
  const d = await loadDesired({repo: r.dir})
  assert.equal(d.commit, {sha, subject: 'first: add a', author: 'Ada <ada@example.com>', date: '2026-01-02T03:04:05+00:00'})
  assert.equal(d.objects.map((o) => keyOf(o.object)), ['ConfigMap/default/a', 'ConfigMap/default/b'])
  assert.equal(d.objects[1].source, {file: 'sub/b.yml', doc: 0, line: 1, col: 1})
  assert.equal(d.warnings, [])
})

test('reads a ref that is not HEAD, and never the working tree', async () => {
  const r = repo()
  const first = r.commit('one', {'a.yaml': cm('a', 'one')})
  r.git('checkout', '-q', '-b', 'feature')
  r.commit('two', {'a.yaml': cm('a', 'two'), 'b.yaml': cm('b')})
  r.git('checkout', '-q', 'main')
  // uncommitted edits, a staged file and an untracked file must all be invisible
  r.write({'a.yaml': cm('a', 'dirty'), 'c.yaml': cm('c'), 'broken.yaml': 'x: [\n'})
  r.git('add', 'c.yaml')
  const head = await loadDesired({repo: r.dir})
  assert.equal(head.commit.sha, first)
  assert.equal(head.objects.map((o) => [keyOf(o.object), (o.object as unknown as {data: {k: string}}).data.k]), [['ConfigMap/default/a', 'one']])
  const feature = await loadDesired({repo: r.dir, ref: 'feature'})
  assert.equal(feature.commit.subject, 'two')
  assert.equal(feature.objects.map((o) => [keyOf(o.object), (o.object as unknown as {data: {k: string}}).data.k]), [['ConfigMap/default/a', 'two'], ['ConfigMap/default/b', 'v']])
  const bySha = await loadDesired({repo: r.dir, ref: first.slice(0, 10)})
  assert.equal(bySha.commit.sha, first)
})

test('a bad --ref is a clear UserError (exit 2), also one that looks like an option', async () => {
  const r = repo()
  r.commit('one', {'a.yaml': cm('a')})
  let e = await userError(loadDesired({repo: r.dir, ref: 'no-such-branch'}))
  assert.is(e.exitCode, 2)
  assert.match(e.message, /--ref "no-such-branch" does not name a commit/)
  e = await userError(loadDesired({repo: r.dir, ref: '--output=/tmp/x'}))
  assert.match(e.message, /does not name a commit/)
  // a tree is not a commit
  e = await userError(loadDesired({repo: r.dir, ref: 'HEAD^{tree}'}))
  assert.match(e.message, /does not name a commit/)
})

test('a directory that is not a git repository, or one with no commits, is a UserError', async () => {
  const plain = mkdtempSync(join(tmpdir(), 'tsctl-notgit-'))
  try {
    let e = await userError(loadDesired({repo: plain}))
    assert.is(e.exitCode, 2)
    assert.match(e.message, /is not a git repository/)
    e = await userError(loadDesired({repo: join(plain, 'missing')}))
    assert.match(e.message, /is not a git repository/)
  } finally {
    rmSync(plain, {recursive: true, force: true})
  }
  const r = repo()
  const e = await userError(loadDesired({repo: r.dir}))
  assert.match(e.hint!, /no commits/)
})

test('tsctl.yaml manifests: selects directories and files; a path matching nothing is an error at its line', async () => {
  const r = repo()
  r.commit('sel', {
    'tsctl.yaml': 'manifests:\n  - deploy/\n  - extra/one.yaml\n',
    'deploy/a.yaml': cm('a'),
    'deploy/nested/b.yaml': cm('b'),
    'extra/one.yaml': cm('one'),
    'extra/two.yaml': cm('two'),
    'ci/pipeline.yaml': 'steps: [build]\n',
  })
  const d = await loadDesired({repo: r.dir})
  assert.equal(d.objects.map((o) => o.object.metadata.name), ['a', 'b', 'one'])
  r.commit('typo', {'tsctl.yaml': 'manifests:\n  - deploy/\n  - extras/\n'})
  const e = await userError(loadDesired({repo: r.dir}))
  const msg = e.diagnostics.map(formatDiagnostic)
  assert.ok(msg.some((m) => m.startsWith('error: tsctl.yaml:3:5: manifests: "extras" matches no file')), msg.join('\n'))
})

test('without tsctl.yaml: every YAML file outside hidden directories', async () => {
  const r = repo()
  r.commit('all', {'a.yaml': cm('a'), '.github/workflows/ci.yml': 'on: push\n', 'x/y/z.YML': cm('z')})
  const d = await loadDesired({repo: r.dir})
  assert.equal(d.objects.map((o) => o.object.metadata.name), ['a', 'z'])
})

test('errors from several files are all reported together, with file:line:col', async () => {
  const r = repo()
  r.commit('bad', {'a.yaml': cm('Bad_Name'), 'b.yaml': 'a: 1\na: 2\n', 'c.yaml': cm('ok')})
  const e = await userError(loadDesired({repo: r.dir}))
  const msg = e.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)
  assert.ok(msg.some((m) => m.startsWith('error: a.yaml:4:3: ConfigMap/default/Bad_Name: metadata.name: invalid name')), msg.join('\n'))
  assert.ok(msg.some((m) => m.startsWith('error: b.yaml:2:1: a: duplicate key "a"')), msg.join('\n'))
})

test('hundreds of files load in one pass and match their contents', async () => {
  const r = repo()
  const files: Record<string, string> = {}
  for (let i = 0; i < 300; i++) files[`m/${String(i).padStart(3, '0')}-é.yaml`] = cm(`cm-${i}`, `value-${i}-ü`)
  r.commit('many', files)
  const d = await loadDesired({repo: r.dir})
  assert.is(d.objects.length, 300)
  const byName = new Map(d.objects.map((o) => [o.object.metadata.name, (o.object as unknown as {data: {k: string}}).data.k]))
  for (let i = 0; i < 300; i++) assert.is(byName.get(`cm-${i}`), `value-${i}-ü`)
})

test('a bare repository works (e.g. in a post-receive hook)', async () => {
  const r = repo()
  r.commit('one', {'a.yaml': cm('a')})
  const bare = mkdtempSync(join(tmpdir(), 'tsctl-bare-'))
  try {
    r.git('clone', '-q', '--bare', r.dir, join(bare, 'r.git'))
    const d = await loadDesired({repo: join(bare, 'r.git'), ref: 'main'})
    assert.equal(d.objects.map((o) => o.object.metadata.name), ['a'])
  } finally {
    rmSync(bare, {recursive: true, force: true})
  }
})

test('the example app in manifests/ validates with no errors and no warnings', async () => {
  const r = repo()
  cpSync(join(process.cwd(), 'manifests'), join(r.dir, 'manifests'), {recursive: true})
  cpSync(join(process.cwd(), 'tsctl.yaml'), join(r.dir, 'tsctl.yaml'))
  r.commit('example', {})
  const d = await loadDesired({repo: r.dir})
  assert.equal(d.warnings.map(formatDiagnostic), [])
  const kinds = new Set(d.objects.map((o) => o.object.kind))
  for (const k of ['Node', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Service', 'ConfigMap', 'Secret']) assert.ok(kinds.has(k), k)
  // every file of the example was read
  const files = new Set(d.objects.map((o) => o.source.file))
  assert.equal([...files].sort(), readdirSync(join(process.cwd(), 'manifests')).map((f) => `manifests/${f}`).sort())
})

const localhostPod = (path: string) => `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: oci:images/busybox
      securityContext:
        seccompProfile:
          type: Localhost
          localhostProfile: ${path}
`
const profile = JSON.stringify({defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO'}]})

test('seccomp Localhost: the profile is read from the same commit and carried on the pod template', async () => {
  const r = repo()
  r.commit('profile', {'seccomp/no-mkdir.json': profile, 'pod.yaml': localhostPod('seccomp/no-mkdir.json')})
  const d = await loadDesired({repo: r.dir})
  const ann = d.objects[0].object.metadata.annotations?.['seccomp.tsctl.dev/localhost-profiles']
  assert.equal(JSON.parse(ann!), {'seccomp/no-mkdir.json': profile})
  // a later commit that changes the profile changes the template (pods roll)
  r.commit('stricter', {'seccomp/no-mkdir.json': profile.replace('"mkdirat"', '"mkdirat","rmdir"')})
  const d2 = await loadDesired({repo: r.dir})
  assert.is.not(d2.objects[0].object.metadata.annotations?.['seccomp.tsctl.dev/localhost-profiles'], ann)
})

test('seccomp Localhost: a missing or malformed profile is an error at the manifest field naming the profile', async () => {
  const r = repo()
  r.commit('missing', {'pod.yaml': localhostPod('seccomp/none.json')})
  const e = await userError(loadDesired({repo: r.dir}))
  assert.is(e.exitCode, 2)
  assert.equal(e.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.field}: ${d.message}`), ['pod.yaml:containers[0].securityContext.seccompProfile.localhostProfile: seccomp profile seccomp/none.json is not in this commit'])
  r.commit('malformed', {'seccomp/none.json': JSON.stringify({defaultAction: 'SCMP_ACT_NOPE', syscalls: []})})
  const e2 = await userError(loadDesired({repo: r.dir}))
  assert.match(e2.diagnostics.map(formatDiagnostic).join('\n'), /seccomp\/none\.json: defaultAction: unknown action "SCMP_ACT_NOPE"/)
  r.commit('outside', {'pod.yaml': localhostPod('../etc/x.json')})
  const e3 = await userError(loadDesired({repo: r.dir}))
  assert.match(e3.diagnostics.map(formatDiagnostic).join('\n'), 'must be a path inside the repository')
})

test.run()
