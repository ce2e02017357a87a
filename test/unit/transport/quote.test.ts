import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {shJoin, shQuote} from '../../../src/transport/quote.js'

// Strings a remote shell must never interpret.
const hostile = [
  '', ' ', 'a b', '  lead', 'trail  ', 'tab\there', 'new\nline', '\n',
  "'", "''", "it's", "'\\''", '"', '"$HOME"', '\\', '\\n', '$HOME', '${HOME}', '$(touch PWNED)', '`touch PWNED`',
  '; touch PWNED', '&& touch PWNED', '| touch PWNED', '> PWNED', '< /etc/passwd', '*', '?', '[a-z]*', '~', '~root',
  '!', '!!', '#comment', '-n', '--', '-e \\x41', '{a,b}', 'a=b', '%s%n', 'ünïcödé ✓', '\x01\x02\x7f', 'x'.repeat(5000),
]

test('safe words stay readable', () => {
  assert.is(shQuote('/var/lib/tsctl/runtime/abc123'), '/var/lib/tsctl/runtime/abc123')
  assert.is(shQuote('--flag'), '--flag')
  assert.is(shQuote('a=b'), "'a=b'")
  assert.is(shQuote(''), "''")
  assert.is(shQuote('a b'), "'a b'")
  assert.is(shQuote("it's"), "'it'\\''s'")
  assert.is(shJoin(['echo', 'a b', '$x']), "echo 'a b' '$x'")
})

test('NUL is refused', () => {
  assert.throws(() => shQuote('a\0b'), /NUL/)
})

// The real proof: every shell the remote side may use gets back exactly the
// bytes, and nothing is executed (PWNED never appears in the cwd).
for (const shell of ['/bin/sh', '/bin/bash', '/bin/dash'].filter((s) => existsSync(s))) {
  test(`${shell} receives hostile strings literally and runs none of them`, () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tsctl-quote-'))
    try {
      const line = shJoin(['printf', '%s\\0', ...hostile])
      const out = execFileSync(shell, ['-c', line], {cwd, env: {HOME: '/home/nobody', PATH: process.env.PATH}})
      const got = out.toString('utf8').split('\0').slice(0, -1)
      assert.equal(got, hostile)
      assert.equal(readdirSync(cwd), [])
    } finally {
      rmSync(cwd, {recursive: true, force: true})
    }
  })
}

test.run()
