#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own Node
// process, so a test that leaves a handle open or crashes cannot hide the
// others, and sums uvu's per-file totals into the one line CI reads:
// "N passed, N failed". Unit tests (test/unit) run 3 at a time; everything
// else touches the kernel, git or the network and runs one at a time.
//
// Usage: node test/run.mjs [substring ...]   (only files whose path matches)
import {spawn} from 'node:child_process'
import {readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'

const root = new URL('..', import.meta.url).pathname
const distTest = join(root, 'dist', 'test')
const filters = process.argv.slice(2)
// Printed hook errors and failing after hooks (see test/fixtures/uvu-hooks.ts).
const hooks = new URL('../dist/test/fixtures/uvu-hooks.js', import.meta.url).href
const FILE_TIMEOUT_MS = Number(process.env.TSCTL_TEST_FILE_TIMEOUT_MS ?? 15 * 60 * 1000)

function walk(dir) {
  let out = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out = out.concat(walk(p))
    else if (name.endsWith('.test.js')) out.push(p)
  }
  return out
}

const files = walk(distTest).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '')

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['--enable-source-maps', '--import', hooks, file], {
      cwd: root,
      // SSH masters shared across runs (src/transport/README.md) are off for the suite: fleets come and go
      // at the same addresses; the tests of sharing turn it on for themselves.
      env: {TSCTL_SSH_PERSIST: '0', ...process.env, NO_COLOR: '1', FORCE_COLOR: '0'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => {
      out += `\n[test/run] ${relative(root, file)} timed out after ${FILE_TIMEOUT_MS} ms; killed\n`
      child.kill('SIGKILL')
    }, FILE_TIMEOUT_MS)
    child.on('close', (code) => {
      clearTimeout(timer)
      const text = strip(out)
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? 0)
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? 0)
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0)
      // uvu's Total counts only the tests that ran; skipped ones are not in it.
      let failed = total - passed
      // A file that exits non-zero without counting a failure crashed
      // outside a test (import error, unhandled rejection): count it once.
      if (code !== 0 && failed === 0) failed = 1
      // A file that registers no test (a typo'd filter, tests behind a
      // condition that is never true) proves nothing: a failure, not "ok".
      let note = ''
      if (code === 0 && total === 0 && skipped === 0) {
        failed = 1
        note = `\n[test/run] ${relative(root, file)} registered no test\n`
      }
      resolve({file, code, passed, failed, skipped, text: text + note, ms: Date.now() - started})
    })
  })
}

async function pool(items, n, fn) {
  const results = []
  let i = 0
  await Promise.all(Array.from({length: Math.min(n, items.length)}, async () => {
    while (i < items.length) {
      const item = items[i++]
      results.push(await fn(item))
    }
  }))
  return results
}

function report(r) {
  const name = relative(distTest, r.file)
  const status = r.failed ? 'FAIL' : 'ok  '
  process.stdout.write(`${status} ${name} (${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped, ${r.ms} ms)\n`)
  // Print the whole output of failing files, and skip reasons always.
  if (r.failed) process.stdout.write(r.text.split('\n').map((l) => '     | ' + l).join('\n') + '\n')
  else for (const line of r.text.split('\n')) if (/^SKIP\b/.test(line.trim())) process.stdout.write(`     ${line.trim()}\n`)
}

const unit = files.filter((f) => f.includes(`${join('dist', 'test', 'unit')}/`))
const serial = files.filter((f) => !unit.includes(f))
const results = []
for (const r of await pool(unit, 3, async (f) => { const r = await runFile(f); report(r); return r })) results.push(r)
for (const f of serial) { const r = await runFile(f); report(r); results.push(r) }

// SSH control directories never pile up (src/transport/control-dir.ts): after
// the run, none may belong to a process that has gone (a transport that was
// not closed, or a killed run that no later run swept), and none may be in
// the old /tmp/tsc-* place.
const ctlRoot = process.env.TSCTL_SSH_CONTROL_DIR || `/tmp/tsctl-${process.getuid?.() ?? 'user'}`
const alive = (pid) => { try { process.kill(pid, 0); return true } catch (e) { return e.code === 'EPERM' } }
let leftDirs = []
try { leftDirs = readdirSync(ctlRoot).filter((n) => { const pid = Number(/^(\d+)-/.exec(n)?.[1]); return pid && !alive(pid) }).map((n) => join(ctlRoot, n)) } catch {}
leftDirs.push(...readdirSync('/tmp').filter((n) => /^tsc-/.test(n)).map((n) => join('/tmp', n)))
if (files.length > 1 && leftDirs.length) {
  process.stdout.write(`FAIL SSH control directories left behind by the tests:\n${leftDirs.map((d) => `     | ${d}`).join('\n')}\n`)
  results.push({passed: 0, failed: 1, skipped: 0})
}

const passed = results.reduce((a, r) => a + r.passed, 0)
const failed = results.reduce((a, r) => a + r.failed, 0)
const skipped = results.reduce((a, r) => a + r.skipped, 0)
if (files.length === 0) process.stdout.write('no test files found under dist/test\n')
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
process.exit(failed > 0 || files.length === 0 ? 1 : 0)
