// The host runtime's own rules (src/host/shipped/tsctl-runtime, its header):
// no eval, no JSON, no interpreter beyond POSIX sh and the coreutils it
// already needs, so a user string can never be re-parsed as code on a host
// and the host needs no JSON tool. Checked on the code, comments left out.
import {readFileSync} from 'node:fs'
import {test} from 'uvu'
import * as assert from 'uvu/assert'

const runtime = new URL('../../../../src/host/shipped/tsctl-runtime', import.meta.url)

/** The script's lines without comments (a # starting a word, outside quotes is close enough for this file's style). */
export function codeLines(text: string): {n: number; code: string}[] {
  return text.split('\n').map((l, i) => ({n: i + 1, code: l.replace(/(^|\s)#.*$/, '')})).filter((l) => l.code.trim() !== '')
}

/** What the rules forbid, each with why. */
export const forbidden: [RegExp, string][] = [
  [/(^|[\s;&|(`])eval\b/, 'eval re-parses a string as shell code'],
  [/json/i, 'the host parses no JSON: the CLI sends plain files'],
  [/(^|[;&|(`]|\$\()\s*(exec\s+)?(jq|python3?|perl|node|ruby)(\s|$)/, 'no interpreter beyond sh on the host'],
  [/(^|[\s;&|(])(\.|source)\s+["$]/, 'sourcing a file runs its contents as code'],
  [/\bsh\s+-c\s+"\$/, 'sh -c with an expanded string is eval'],
]

export function violations(text: string): string[] {
  const out: string[] = []
  for (const {n, code} of codeLines(text)) for (const [re, why] of forbidden) if (re.test(code)) out.push(`tsctl-runtime:${n}: ${why}: ${code.trim()}`)
  return out
}

test('the checker finds each forbidden construct', () => {
  for (const bad of ['eval "$x"', 'x=$(jq .a f)', 'printf %s "$j" | python3 -c 1', '. "$ROOT/env"', 'sh -c "$cmd"', 'read_json "$f"', 'a; eval "$b"']) assert.is(violations(bad).length, 1, bad)
  for (const ok of ['# eval is not used here', 'printf "%s\\n" "$evaluated"', 'cat "$f"', "case $x in *.json) ;; esac # no"]) assert.equal(violations(ok.replace(/\*\.json\).*/, '*) ;; esac')), [], ok)
})

test('tsctl-runtime has no eval, parses no JSON and runs no other interpreter', () => {
  assert.equal(violations(readFileSync(runtime, 'utf8')), [])
})

test.run()
