// Runs scripts/gen-types.mjs --check: against the committed output (must pass)
// and against a schema copy with one more field (must fail, naming the file).
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const root = process.cwd()
const script = join(root, 'scripts', 'gen-types.mjs')

test('the committed generated types are up to date', () => {
  const r = spawnSync(process.execPath, [script, '--check'], {encoding: 'utf8'})
  assert.is(r.status, 0, r.stderr)
})

test('--check exits 1 naming the stale file when a schema changes', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tsctl-gen-'))
  try {
    cpSync(join(root, 'schemas'), join(tmp, 'schemas'), {recursive: true})
    cpSync(join(root, 'src', 'manifests', 'generated'), join(tmp, 'generated'), {recursive: true})
    const env = {...process.env, TSCTL_SCHEMA_DIR: join(tmp, 'schemas'), TSCTL_GENERATED_DIR: join(tmp, 'generated')}
    assert.is(spawnSync(process.execPath, [script, '--check'], {env, encoding: 'utf8'}).status, 0)
    const p = join(tmp, 'schemas', 'configmap.json')
    const s = JSON.parse(readFileSync(p, 'utf8'))
    s.properties.extraField = {type: 'string'}
    writeFileSync(p, JSON.stringify(s))
    const r = spawnSync(process.execPath, [script, '--check'], {env, encoding: 'utf8'})
    assert.is(r.status, 1)
    assert.match(r.stderr, /stale: .*kinds\.ts/)
    // and writing brings it back in line
    assert.is(spawnSync(process.execPath, [script], {env, encoding: 'utf8'}).status, 0)
    assert.is(spawnSync(process.execPath, [script, '--check'], {env, encoding: 'utf8'}).status, 0)
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
})

test.run()
