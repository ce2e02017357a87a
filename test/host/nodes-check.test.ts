// `tsctl nodes check local` on this machine: installs the runtime under
// --root, reports the facts, finds nothing missing (root, overlay, cgroups).
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {Ajv} from 'ajv'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'

test('nodes check local: ready, exit 0, runtime installed once per content hash', () => {
  const root = mkdtempSync('/tmp/tsctl-nodecheck-')
  try {
    const run = () => spawnSync(process.execPath, [join(process.cwd(), 'bin/run.js'), 'nodes', 'check', 'local', '--root', root, '-o', 'json'], {encoding: 'utf8'})
    const r = run()
    assert.is(r.status, 0, r.stderr)
    const doc = JSON.parse(r.stdout) as {kind: string; items: {problems: string[]; facts: Record<string, string>}[]}
    const schema = JSON.parse(readFileSync(join(process.cwd(), 'schemas/output/nodes-check.json'), 'utf8'))
    const validate = new Ajv({strict: false}).compile(schema)
    const valid = validate(doc)
    assert.ok(valid, JSON.stringify(validate.errors))
    assert.is(doc.kind, 'NodeCheckList')
    assert.equal(doc.items[0].problems, [])
    assert.is(doc.items[0].facts.overlay, 'yes')
    assert.ok(['v1', 'hybrid', 'v2'].includes(doc.items[0].facts.cgroup_mode))
    const installed = doc.items[0].facts.runtime as string
    assert.ok(existsSync(join(installed, 'tsctl-runtime')))
    assert.is(JSON.parse(run().stdout).items[0].facts.runtime, installed, 'the same install is reused')
  } finally {
    rmSync(root, {recursive: true, force: true})
  }
})

test.run()
