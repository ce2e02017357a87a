// The git state backend against real repositories: a bare "remote" and two
// clones acting as two CI runners that keep no disk, racing each other.
import {type ChildProcessWithoutNullStreams, execFileSync, spawn} from 'node:child_process'
import {readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {ExitCode, LockedError, UserError} from '../../src/errors.js'
import {GitStateBackend, lockRefFor} from '../../src/state/git-backend.js'
import {maskUrl} from '../../src/state/git-run.js'
import {emptyState} from '../../src/state/model.js'
import {tempDirs} from '../fixtures/tmp-dirs.js'

const runnerJs = fileURLToPath(new URL('./fixtures/runner.js', import.meta.url))
const tmp = tempDirs('tsctl-state-git-', test)
const children = new Set<ChildProcessWithoutNullStreams>()
test.after.each(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  children.clear()
})

const gitEnv = {...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com'}
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {cwd, encoding: 'utf8', env: gitEnv, stdio: ['ignore', 'pipe', 'pipe']}).trim()
}

/** A bare remote with one commit on main, and `n` fresh clones of it. */
function fleetRepos(n = 2): {remote: string; clones: string[]} {
  const d = tmp()
  const remote = join(d, 'remote.git')
  git(d, 'init', '-q', '--bare', '-b', 'main', remote)
  const seed = join(d, 'seed')
  git(d, 'init', '-q', '-b', 'main', seed)
  git(seed, 'commit', '-q', '--allow-empty', '-m', 'manifests')
  git(seed, 'push', '-q', remote, 'main')
  const clones = Array.from({length: n}, (_, i) => {
    const c = join(d, `runner-${i}`)
    git(d, 'clone', '-q', remote, c)
    return c
  })
  return {remote, clones}
}

/** A runner child process with line-based control. */
class Runner {
  readonly child: ChildProcessWithoutNullStreams
  private readonly out: AsyncIterator<string>
  stderr = ''
  constructor(mode: string, repo: string, remote: string, name: string) {
    this.child = spawn(process.execPath, [runnerJs, mode, repo, remote, name], {stdio: ['pipe', 'pipe', 'pipe']})
    children.add(this.child)
    this.child.stderr.on('data', (d) => (this.stderr += d))
    this.child.stdin.on('error', () => {}) // a runner that was refused has exited: nothing to tell it
    this.out = createInterface({input: this.child.stdout})[Symbol.asyncIterator]()
  }
  async line(): Promise<string> {
    const r = await this.out.next()
    if (r.done) throw new Error(`runner ended without output; stderr: ${this.stderr}`)
    return r.value
  }
  send(s: string): void {
    this.child.stdin.write(s + '\n')
  }
  async done(): Promise<number> {
    if (this.child.exitCode !== null) return this.child.exitCode
    return new Promise((r) => this.child.on('exit', (c) => r(c ?? -1)))
  }
}

/** Asserts that `fn` rejects with an error `check` accepts (uvu 0.5 has no assert.rejects). */
async function rejects(fn: () => Promise<unknown>, check: (e: unknown) => boolean): Promise<void> {
  try {
    await fn()
  } catch (e) {
    assert.ok(check(e), `unexpected error: ${(e as Error)?.message}`)
    return
  }
  assert.unreachable('expected a rejection')
}

const stateOf = (repo: string, remote?: string) => new GitStateBackend({repo, remote, renew: false}).read()

for (const where of ['remote', 'local'] as const) {
  test(`${where}: two runners racing to sync: each round exactly one takes the lock and writes, the other gets exit 3; serial and lineage kept`, async () => {
    const {remote, clones} = fleetRepos()
    // local: both runners work on the bare repo itself (update-ref), as a post-receive hook does
    const repos = where === 'remote' ? clones : [remote, remote]
    const remoteArg = where === 'remote' ? 'origin' : '.'
    const rounds = 5
    let lineage: string | undefined
    for (let round = 1; round <= rounds; round++) {
      const rs = repos.map((r, i) => new Runner('sync', r, remoteArg, `r${i}`))
      for (const r of rs) r.send('go')
      const first = await Promise.all(rs.map((r) => r.line()))
      const won = first.filter((l) => l.startsWith('won '))
      const busy = first.filter((l) => l.startsWith('busy '))
      assert.is(won.length, 1, `round ${round}: ${first.join(' | ')}`)
      assert.is(busy.length, 1, `round ${round}: ${first.join(' | ')}`)
      assert.is(won[0], `won ${round}`)
      assert.match(busy[0], `busy ${ExitCode.locked} state is locked by "tsctl sync" by `)
      assert.match(busy[0], /expires \d{4}-/)
      rs[first.indexOf(won[0])].send('release')
      for (const r of rs) assert.is(await r.done(), 0)
      const s = await stateOf(repos[0], remoteArg)
      assert.ok(s)
      assert.is(s.serial, round)
      lineage ??= s.lineage
      assert.is(s.lineage, lineage)
      assert.is(Object.keys(s.objects).length, round, 'no write was lost or overwritten')
    }
    // the lock is gone after the rounds
    assert.is(await new GitStateBackend({repo: repos[0], remote: remoteArg}).lockInfo(), null)
  })

  test(`${where}: two runners writing without a lock from the same serial: the compare-and-swap lets exactly one through`, async () => {
    const {remote, clones} = fleetRepos()
    const repos = where === 'remote' ? clones : [remote, remote]
    const remoteArg = where === 'remote' ? 'origin' : '.'
    for (let round = 1; round <= 4; round++) {
      const rs = repos.map((r, i) => new Runner('cas', r, remoteArg, `r${i}`))
      const reads = await Promise.all(rs.map((r) => r.line()))
      assert.equal(reads, [`read ${round - 1}`, `read ${round - 1}`])
      for (const r of rs) r.send('go')
      const res = await Promise.all(rs.map((r) => r.line()))
      const wrote = res.filter((l) => l.startsWith('wrote '))
      const conflict = res.filter((l) => l.startsWith('conflict '))
      assert.is(wrote.length, 1, res.join(' | '))
      assert.is(conflict.length, 1, res.join(' | '))
      assert.match(conflict[0], new RegExp(`conflict 2 refusing to write git .* (the state moved from (serial ${round - 1}|nothing) to serial ${round}|serial ${round} is not newer)`))
      const s = await stateOf(repos[0], remoteArg)
      assert.is(s?.serial, round)
      assert.is(Object.keys(s!.objects).length, round)
    }
  })
}

test('a fresh clone reads the state another runner wrote; state objects on disk are 0400 (owner only)', async () => {
  const {remote, clones} = fleetRepos(1)
  const a = new GitStateBackend({repo: clones[0], renew: false})
  assert.is(a.describe(), 'git origin refs/tsctl/state')
  const s = emptyState('L-fresh')
  s.serial = 1
  s.objects['Secret/default/db'] = {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db', namespace: 'default'}, data: {password: 'aHVudGVyMg=='}}
  await a.write(s)
  const fresh = join(tmp(), 'fresh')
  git(tmp(), 'clone', '-q', remote, fresh)
  assert.equal(await stateOf(fresh), s)
  // the state commit is parentless: a runner fetches the tip only
  assert.is(git(remote, 'rev-list', '--count', 'refs/tsctl/state'), '1')
  assert.match(git(remote, 'log', '-1', '--format=%B', 'refs/tsctl/state'), 'lineage: L-fresh')
  const blob = git(remote, 'rev-parse', 'refs/tsctl/state:state.json')
  for (const repo of [join(clones[0], '.git'), remote]) {
    const loose = join(repo, 'objects', blob.slice(0, 2), blob.slice(2))
    const packs = readdirSync(join(repo, 'objects', 'pack'))
    const mode = statSync(loose, {throwIfNoEntry: false})?.mode ?? statSync(join(repo, 'objects', 'pack', packs.find((p) => p.endsWith('.pack'))!)).mode
    assert.is(mode & 0o077, 0, `${repo}: state object mode ${(mode & 0o777).toString(8)}`)
  }
})

test('serial and lineage are enforced like the file backend', async () => {
  const {clones} = fleetRepos(1)
  const b = new GitStateBackend({repo: clones[0], renew: false})
  const s = emptyState('L1')
  s.serial = 3
  await b.write(s)
  await rejects(() => b.write({...s, serial: 3}), (e: unknown) => e instanceof UserError && e.exitCode === 2 && /serial 3 is not newer than the stored serial 3/.test(e.message))
  await rejects(() => b.write({...s, lineage: 'L2', serial: 4}), (e: unknown) => e instanceof UserError && /lineage L1/.test(e.message))
  assert.is((await stateOf(clones[0]))?.serial, 3)
})

test('a lock past its expiry is taken over with a warning; one within it is exit 3 naming holder, commit and expiry', async () => {
  const {clones} = fleetRepos(2)
  let t = Date.parse('2026-11-20T12:00:00Z')
  const now = () => t
  const a = new GitStateBackend({repo: clones[0], host: 'ci-7', now, lockTtlMs: 60_000, renew: false})
  const warnings: string[] = []
  const b = new GitStateBackend({repo: clones[1], host: 'ci-8', now, lockTtlMs: 60_000, renew: false, warn: (m) => warnings.push(m)})
  const held = await a.lock('tsctl sync', {commit: 'a'.repeat(40)})
  assert.is(held.expires, '2026-11-20T12:01:00.000Z')
  const info = await b.lockInfo()
  assert.is(info?.id, held.id)
  assert.is(info?.commit, 'a'.repeat(40))
  t += 59_000
  await rejects(() => b.lock('tsctl sync'), (e: unknown) => e instanceof LockedError && e.exitCode === 3 && /by .*@ci-7 .*applying aaaaaaaaaaaa, expires 2026-11-20T12:01:00.000Z/.test(e.message))
  t += 2_000
  const mine = await b.lock('tsctl sync')
  assert.is(warnings.length, 1)
  assert.match(warnings[0], /took over the state lock from "tsctl sync" by .*@ci-7 .*: it expired at 2026-11-20T12:01:00.000Z/)
  assert.is((await a.lockInfo())?.id, mine.id)
  // the old holder can no longer write: its lease on the lock fails
  const s = emptyState('L')
  s.serial = 1
  await rejects(() => a.write(s), (e: unknown) => e instanceof UserError && /locked by|taken over/.test(e.message))
  await b.write(s)
  assert.is((await stateOf(clones[0]))?.serial, 1)
  await b.unlock()
  assert.is(await a.lockInfo(), null)
})

test('a held lock is renewed in the background (every third of its TTL) until unlocked', async () => {
  const {clones} = fleetRepos(1)
  const a = new GitStateBackend({repo: clones[0], lockTtlMs: 3000})
  const held = await a.lock('tsctl watch')
  let seen = held.expires
  // eventually (the timer fires after 1 s; a loaded machine may take longer)
  for (let i = 0; i < 100 && seen === held.expires; i++) {
    await new Promise((r) => setTimeout(r, 100))
    seen = (await a.lockInfo())?.expires
  }
  assert.ok(seen && seen > held.expires!, `renewed: ${held.expires} → ${seen}`)
  assert.is((await a.lockInfo())?.id, held.id, 'same lock, later expiry')
  await a.unlock()
  assert.is(await a.lockInfo(), null)
})

test('a write renews the lock it holds (same atomic update)', async () => {
  const {clones} = fleetRepos(1)
  let t = Date.parse('2026-11-20T12:00:00Z')
  const a = new GitStateBackend({repo: clones[0], now: () => t, lockTtlMs: 60_000, renew: false})
  await a.lock('tsctl sync')
  t += 50_000
  const s = emptyState('L')
  s.serial = 1
  await a.write(s)
  assert.is((await a.lockInfo())?.expires, '2026-11-20T12:01:50.000Z')
  await a.unlock()
})

test('a lock left by a killed runner on this host is taken over (its pid is gone); tsctl-style unlock removes a foreign one only with force', async () => {
  const {clones} = fleetRepos(2)
  const holder = new Runner('hold', clones[0], 'origin', 'r0')
  const line = await holder.line()
  assert.match(line, /^locked /)
  holder.child.kill('SIGKILL')
  await holder.done()
  const warnings: string[] = []
  const b = new GitStateBackend({repo: clones[1], warn: (m) => warnings.push(m), renew: false})
  const info = await b.lock('tsctl sync')
  assert.match(warnings[0] ?? '', /no longer runs on/)
  assert.is((await b.lockInfo())?.id, info.id)
  // someone else (another host, not expired) cannot unlock it without force
  const c = new GitStateBackend({repo: clones[0], host: 'elsewhere', renew: false})
  await rejects(() => c.unlock(), (e: unknown) => e instanceof LockedError && /tsctl state unlock --force/.test(e.message))
  const removed = await c.unlock({force: true})
  assert.is(removed?.id, info.id)
  assert.is(await b.lockInfo(), null)
})

test("another git process's ref transaction (its .lock file) is waited out, not taken for a conflict; a lock file that stays is an error naming it", async () => {
  const {remote} = fleetRepos(0)
  const b = new GitStateBackend({repo: remote, remote: '.', renew: false})
  const s = emptyState('L-lockfile')
  s.serial = 1
  await b.write(s)
  const lockFile = join(remote, 'refs', 'tsctl', 'state.lock')
  writeFileSync(lockFile, '')
  // released shortly after the write starts, as a concurrent git would
  setTimeout(() => rmSync(lockFile, {force: true}), 30)
  await b.write({...s, serial: 2})
  assert.is((await stateOf(remote, '.'))?.serial, 2)
  writeFileSync(lockFile, '')
  try {
    await rejects(() => b.write({...s, serial: 3}), (e) => e instanceof UserError && /cannot write the state to .*state\.lock': File exists/.test((e as Error).message))
  } finally {
    rmSync(lockFile, {force: true})
  }
  assert.is((await stateOf(remote, '.'))?.serial, 2)
})

test('lock refs and URL masking', () => {
  assert.is(lockRefFor('refs/tsctl/state'), 'refs/tsctl/lock')
  assert.is(lockRefFor('refs/tsctl/prod'), 'refs/tsctl/prod-lock')
  assert.is(maskUrl('fatal: unable to access https://x-access-token:ghs_secret@github.com/a/b.git/'), 'fatal: unable to access https://***@github.com/a/b.git/')
  assert.throws(() => new GitStateBackend({repo: '.', ref: 'refs/x/../y'}), /not a usable ref name/)
})

test.run()
