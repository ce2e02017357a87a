// The generated post-receive hook: constants quoted, pushed data only
// compared. Runs the script with sh and a stub tsctl that records its argv.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {hookScript} from '../../../src/gitops/hook-script.js'
import {shellQuote} from '../../../src/gitops/shell-quote.js'
import {checkBranch, isRemote} from '../../../src/gitops/tip-source.js'

const dirs: string[] = []
test.after(() => { for (const d of dirs) rmSync(d, {recursive: true, force: true}) })

/** A hook whose "node" is a stub writing its argv, one per line, to OUT. */
function setup(branch = 'main', repo = "/srv/it's a \"repo\" $(touch pwned)", withState = true) {
  const d = mkdtempSync(join(tmpdir(), 'tsctl-hook-'))
  dirs.push(d)
  const stub = join(d, 'node stub')
  writeFileSync(stub, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "$OUT"\necho "progress line" >&2\nexit "\${STUB_EXIT:-0}"\n`)
  chmodSync(stub, 0o755)
  const hook = join(d, 'post-receive')
  writeFileSync(hook, hookScript({node: stub, tsctl: '/opt/ts ctl/bin/run.js', repo, branch, ...(withState ? {state: join(d, 'state.json')} : {}), env: {TSCTL_ROOT: "/tmp/r o'ot"}}))
  chmodSync(hook, 0o755)
  const run = (stdin: string, env: Record<string, string> = {}) => {
    const r = spawnSync('sh', [hook], {cwd: d, input: stdin, encoding: 'utf8', env: {PATH: process.env.PATH!, OUT: join(d, 'out'), ...env}})
    const out = existsSync(join(d, 'out')) ? readFileSync(join(d, 'out'), 'utf8').split('\n').slice(0, -1) : null
    rmSync(join(d, 'out'), {force: true})
    return {code: r.status, stderr: r.stderr, argv: out}
  }
  return {d, run}
}

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)

test('the tracked branch runs tsctl hook run with the pushed sha, every argument intact', () => {
  const {d, run} = setup()
  const r = run(`${A} ${B} refs/heads/other\n${A} ${B} refs/heads/main\n`)
  assert.equal(r.code, 0)
  assert.equal(r.argv, ['/opt/ts ctl/bin/run.js', 'hook', 'run', '--repo', "/srv/it's a \"repo\" $(touch pwned)", '--branch', 'main', '--state', join(d, 'state.json'), '--sha', B])
  assert.not.ok(existsSync(join(d, 'pwned')))
})

test('without a state path the hook passes no --state: hook run resolves it (tsctl.yaml `state:`, e.g. etcd)', () => {
  const {run} = setup('main', '/srv/fleet.git', false)
  assert.equal(run(`${A} ${B} refs/heads/main\n`).argv, ['/opt/ts ctl/bin/run.js', 'hook', 'run', '--repo', '/srv/fleet.git', '--branch', 'main', '--sha', B])
})

test('other refs, deletions and hostile pushed data run nothing', () => {
  const {d, run} = setup()
  assert.equal(run(`${A} ${B} refs/heads/feature\n`).argv, null)
  assert.equal(run(`${A} ${'0'.repeat(40)} refs/heads/main\n`).argv, null)
  assert.equal(run(`${A} $(touch${'\t'}pwned) refs/heads/main\n`).argv, null)
  assert.equal(run(`${A} ${B};touch${'\t'}pwned refs/heads/main\n`).argv, null)
  assert.equal(run(`${A} ${B} refs/heads/main;touch pwned\n`).argv, null)
  assert.equal(run(`${A} ${B} refs/heads/m*\n`).argv, null)
  assert.equal(run(`${A} abc refs/heads/main\n`).argv, null)
  assert.not.ok(existsSync(join(d, 'pwned')))
})

test('a failed rollout is reported with tsctl\'s exit status', () => {
  const {run} = setup()
  const r = run(`${A} ${B} refs/heads/main\n`, {STUB_EXIT: '5'})
  assert.equal(r.code, 5)
  assert.match(r.stderr, /progress line/)
  assert.match(r.stderr, new RegExp(`rollout of ${B} FAILED \\(exit 5\\)`))
})

test('shellQuote round-trips through sh', () => {
  for (const s of ["plain", "it's", "$(id) `id` $HOME", "a\nb", "'", "", "\\"]) {
    const r = spawnSync('sh', ['-c', `printf %s ${shellQuote(s)}`], {encoding: 'utf8'})
    assert.equal(r.stdout, s)
  }
})

test('branch names: what git allows, nothing else', () => {
  for (const ok of ['main', 'release/1.2', 'feat_x-y']) assert.equal(checkBranch(ok), ok)
  for (const bad of ['-x', 'a..b', 'a b', 'x.lock', '/a', 'a/', '.hidden', 'a/.b', '$(id)', 'a*', '']) assert.throws(() => checkBranch(bad))
})

test('remote or local', () => {
  assert.ok(isRemote('https://example.com/r.git'))
  assert.ok(isRemote('ssh://git@host/r.git'))
  assert.ok(isRemote('git@host:team/r.git'))
  assert.ok(isRemote('file:///srv/r.git'))
  assert.not.ok(isRemote('/srv/r.git'))
  assert.not.ok(isRemote('./repo'))
})

test.run()
