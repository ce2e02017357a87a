// The loop on a real git repo: chokidar on the branch's refs, three
// commits pushed in quick succession into a bare repo each get their own
// pass, in order (the sync is a recording fake: this test is about the
// watching and the ordering; test/gitops/push.test.ts runs the real sync).
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {GitCommitLog} from '../../src/gitops/commit-log.js'
import {LocalTipSource, RemoteTipSource} from '../../src/gitops/tip-source.js'
import {watchLoop, type WatchRecord} from '../../src/gitops/watch-loop.js'
import {RecordingSync, nullBackend} from '../unit/gitops/fakes.js'

const dirs: string[] = []
const running: AbortController[] = []
test.after.each(() => { for (const ac of running.splice(0)) ac.abort() })
test.after(() => { for (const d of dirs) rmSync(d, {recursive: true, force: true}) })

const env = {...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com'}
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, env, encoding: 'utf8'}).trim()

function repos() {
  const d = mkdtempSync(join(tmpdir(), 'tsctl-watch-'))
  dirs.push(d)
  const bare = join(d, 'origin.git')
  const work = join(d, 'work')
  git(d, 'init', '-q', '--bare', '-b', 'main', bare)
  git(d, 'init', '-q', '-b', 'main', work)
  git(work, 'remote', 'add', 'origin', bare)
  const commit = (subject: string) => {
    writeFileSync(join(work, 'f.txt'), subject)
    git(work, 'add', '-A')
    git(work, 'commit', '-q', '-m', subject)
    return git(work, 'rev-parse', 'HEAD')
  }
  return {d, bare, work, commit}
}

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** The loop on `bare`'s main with a recording sync, started and watching. */
async function watchBare(bare: string, applied: string) {
  const s = new RecordingSync()
  const ac = new AbortController()
  running.push(ac)
  const records: WatchRecord[] = []
  const done = watchLoop({source: new LocalTipSource(bare, 'main'), order: new GitCommitLog(bare), sync: s.fn, backend: nullBackend, applied, resyncMs: 0, signal: ac.signal, emit: (r) => records.push(r)})
  await until(() => records.some((r) => r.event === 'watch.start'), 'start')
  return {s, ac, records, done}
}

test('three commits pushed in quick succession each get their own pass, in order', async () => {
  const {bare, commit, work} = repos()
  const c0 = commit('initial')
  git(work, 'push', '-q', 'origin', 'main')
  const {s, ac, records, done} = await watchBare(bare, c0)
  const shas: string[] = []
  for (const subject of ['one', 'two', 'three']) {
    shas.push(commit(subject))
    git(work, 'push', '-q', 'origin', 'main')
  }
  await until(() => s.passes.length === 3 && records.filter((r) => r.event === 'pass.end').length === 3, 'three passes')
  ac.abort()
  await done
  assert.equal(s.passes.map((p) => p.ref), shas)
  assert.equal(records.filter((r) => r.event === 'commit').map((r) => r.subject), ['one', 'two', 'three'])
})

test('a merge is one pass (first-parent order); packed refs are seen too', async () => {
  const {bare, commit, work} = repos()
  const c0 = commit('initial')
  git(work, 'push', '-q', 'origin', 'main')
  const {s, ac, records, done} = await watchBare(bare, c0)
  git(work, 'checkout', '-q', '-b', 'feature')
  commit('feature a')
  commit('feature b')
  git(work, 'checkout', '-q', 'main')
  git(work, 'merge', '-q', '--no-ff', '-m', 'Merge feature', 'feature')
  const merge = git(work, 'rev-parse', 'HEAD')
  git(work, 'push', '-q', 'origin', 'main')
  await until(() => s.passes.length === 1 && records.some((r) => r.event === 'pass.end'), 'the merge pass')
  // move the branch only in packed-refs
  const next = commit('after pack')
  git(work, 'push', '-q', 'origin', 'HEAD:refs/tmp/next')
  git(bare, 'update-ref', 'refs/heads/main', next)
  git(bare, 'pack-refs', '--all', '--prune')
  await until(() => s.passes.length === 2 && records.filter((r) => r.event === 'pass.end').length === 2, 'the packed pass')
  ac.abort()
  await done
  assert.equal(s.passes.map((p) => p.ref), [merge, next])
})

test('a remote URL is polled with git fetch into a mirror', async () => {
  const {d, bare, commit, work} = repos()
  commit('initial')
  git(work, 'push', '-q', 'origin', 'main')
  const s = new RecordingSync()
  const ac = new AbortController()
  running.push(ac)
  const records: WatchRecord[] = []
  const source = new RemoteTipSource(`file://${bare}`, 'main', join(d, 'mirror.git'), 20)
  const done = watchLoop({source, order: new GitCommitLog(join(d, 'mirror.git')), sync: s.fn, backend: nullBackend, applied: null, resyncMs: 0, signal: ac.signal, emit: (r) => records.push(r)})
  await until(() => s.passes.length === 1, 'the first pass')
  const c1 = commit('remote one')
  const c2 = commit('remote two')
  git(work, 'push', '-q', 'origin', 'main')
  await until(() => s.passes.length === 3 && records.filter((r) => r.event === 'pass.end').length === 3, 'two more passes')
  ac.abort()
  await done
  assert.equal(s.passes.slice(1).map((p) => p.ref), [c1, c2])
})

test.run()
