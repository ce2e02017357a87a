// The GitOps commands' user errors: exit 2 with a message and a hint, never a stack.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {cleanup, tempDir, tsctl} from '../cli/helpers/run.js'
import {TempRepo} from '../manifests/git-repo.js'

test.after(() => cleanup())

test('watch: not a repository, no such directory, a bad branch name', () => {
  const d = tempDir()
  const a = tsctl(['watch', '--repo', d], {cwd: d})
  assert.is(a.code, 2)
  assert.match(a.stderr, /is not a git repository/)
  const b = tsctl(['watch', '--repo', `${d}/nope`], {cwd: d})
  assert.is(b.code, 2)
  assert.match(b.stderr, /no such directory/)
  const c = tsctl(['watch', '--branch', '-x'], {cwd: d})
  assert.is(c.code, 2)
  assert.not.match(a.stderr + b.stderr + c.stderr, /\n\s+at /, 'no stack trace')
})

test('hook install: not a repository, not bare, a foreign hook kept', () => {
  const d = tempDir()
  assert.match(tsctl(['hook', 'install', '--repo', d], {cwd: d}).stderr, /not a git repository/)
  const repo = new TempRepo()
  try {
    const r = tsctl(['hook', 'install', '--repo', repo.dir], {cwd: d})
    assert.is(r.code, 2)
    assert.match(r.stderr, /not a bare repository/)
  } finally {
    repo.remove()
  }
})

test('rollout undo/pause/status: unknown object, wrong kind, -A', () => {
  const repo = new TempRepo()
  try {
    repo.commit('empty', {'README': 'x'})
    const u = tsctl(['rollout', 'undo', 'deploy/web'], {cwd: repo.dir})
    assert.is(u.code, 2)
    assert.match(u.stderr, /deployments "web" not found in namespace default/)
    const p = tsctl(['rollout', 'pause', 'sts/db'], {cwd: repo.dir})
    assert.is(p.code, 2)
    assert.match(p.stderr, /works on deployments, not statefulsets/)
    const s = tsctl(['rollout', 'status', 'pod/x'], {cwd: repo.dir})
    assert.is(s.code, 2)
    const a = tsctl(['rollout', 'restart', 'deploy/web', '-A'], {cwd: repo.dir})
    assert.is(a.code, 2)
    assert.match(a.stderr, /-A makes no sense/)
  } finally {
    repo.remove()
  }
})

test.run()
