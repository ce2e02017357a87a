// npm run bench:state-git — what the git state backend costs per operation,
// against a bare repo on this machine (a network remote adds its round trip
// to read, write and lock). Prints one line per figure (medians, ms):
//   bench state-git where=remote|local objects=N read_ms=… write_ms=… write_locked_ms=… lock_unlock_ms=… state_kb=…
// remote: a clone pushing to a bare "origin" (push --force-with-lease);
// local: the bare repo itself (update-ref --stdin).
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {GitStateBackend} from '../src/state/git-backend.js'
import {emptyState, type State} from '../src/state/model.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (x: number) => x.toFixed(1)
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b'}})

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

function bigState(n: number): State {
  const s = emptyState('bench')
  for (let i = 0; i < n; i++) {
    s.objects[`Pod/default/web-${i}`] = {apiVersion: 'v1', kind: 'Pod', metadata: {name: `web-${i}`, namespace: 'default', uid: `uid-${i}`, labels: {app: 'web'}}, spec: {nodeName: `node-${i % 100}`, containers: [{name: 'web', image: 'busybox:1.36'}]}, status: {phase: 'Running'}}
  }
  return s
}

const dir = mkdtempSync(join(tmpdir(), 'tsctl-bench-state-git-'))
try {
  const remote = join(dir, 'remote.git')
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote)
  const clone = join(dir, 'clone')
  git(dir, 'clone', '-q', remote, clone)
  git(clone, 'commit', '-q', '--allow-empty', '-m', 'x')
  git(clone, 'push', '-q', 'origin', 'HEAD:main')
  for (const [where, repo, remoteArg] of [['remote', clone, 'origin'], ['local', remote, '.']] as const) {
    for (const objects of [100, 10_000]) {
      const b = new GitStateBackend({repo, remote: remoteArg, ref: `refs/tsctl/bench-${where}-${objects}`, renew: false})
      const state = bigState(objects)
      const reads: number[] = []
      const writes: number[] = []
      const lockedWrites: number[] = []
      const locks: number[] = []
      for (let r = 0; r < ROUNDS; r++) {
        state.serial++
        writes.push(await time(() => b.write(state)))
        reads.push(await time(() => b.read()))
        locks.push(await time(async () => {
          await b.lock('bench')
          await b.unlock()
        }))
      }
      await b.lock('bench')
      for (let r = 0; r < ROUNDS; r++) {
        state.serial++
        lockedWrites.push(await time(() => b.write(state)))
      }
      await b.unlock()
      const kb = JSON.stringify(state, null, 2).length / 1024
      process.stdout.write(`bench state-git where=${where} objects=${objects} read_ms=${fmt(median(reads))} write_ms=${fmt(median(writes))} write_locked_ms=${fmt(median(lockedWrites))} lock_unlock_ms=${fmt(median(locks))} state_kb=${kb.toFixed(0)}\n`)
    }
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
