// Saved plans: written 0600, read back exactly, refused when damaged or stale (Terraform's rule).
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {ExitCode, UserError} from '../../../src/errors.js'
import {type PlanOrigin, canonicalJson, loadPlan, makeSavedPlan, planHash, savePlan, verifyPlan} from '../../../src/saved-plans/index.js'
import type {Plan} from '../../../src/reconcile/plan.js'
import {emptyState} from '../../../src/state/model.js'
import {assertOutput} from '../../cli/helpers/output-schema.js'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'tsctl-plan-'))
  dirs.push(d)
  return d
}
test.after(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

const sha = 'c0ffee'.padEnd(40, '0')
const origin = (serial: number | null): PlanOrigin => ({
  state: serial === null ? null : {lineage: 'L-1', serial},
  backend: 'git origin refs/tsctl/state',
  commit: {sha, subject: 'web: busybox 1.37', author: 'Ada <ada@example.com>', date: '2026-11-20T12:00:00Z'},
  ref: 'origin/main',
})
const plan: Plan = {
  actions: [
    {type: 'create', node: 'node-a', target: 'Pod/default/web-abc-xyz', reason: 'scale up', pod: {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web-abc-xyz', namespace: 'default', uid: 'u1'}, spec: {nodeName: 'node-a'}}, specHash: '0123456789abcdef'},
    {type: 'delete', node: 'node-b', target: 'Pod/default/web-old-1', reason: 'scale down', uid: 'u0', gracePeriodSeconds: 30},
  ],
}
const state = (serial: number, lineage = 'L-1') => ({...emptyState(lineage), serial})
const stale = (e: unknown, re: RegExp) => e instanceof UserError && e.exitCode === ExitCode.invalid && re.test(e.message)
function throws(fn: () => unknown, check: (e: unknown) => boolean): void {
  try {
    fn()
  } catch (e) {
    assert.ok(check(e), `unexpected error: ${(e as Error)?.message}`)
    return
  }
  assert.unreachable('expected an error')
}

test('save writes mode 0600 whatever the umask; load returns the same document; it follows schemas/output/saved-plan.json', async () => {
  const path = join(tmp(), 'sub', 'plan.json')
  const saved = makeSavedPlan(origin(12), plan, '2026-11-20T12:00:00.000Z')
  const old = process.umask(0)
  try {
    await savePlan(path, saved)
  } finally {
    process.umask(old)
  }
  assert.is(statSync(path).mode & 0o777, 0o600)
  assert.equal(await loadPlan(path), saved)
  assertOutput('saved-plan', saved)
  assert.match(saved.hash, /^sha256:[0-9a-f]{64}$/)
})

test('a fresh plan is accepted: same lineage, serial and commit', () => {
  const saved = makeSavedPlan(origin(12), plan, '2026-11-20T12:00:00.000Z')
  assert.equal(verifyPlan(saved, {state: state(12), commitSha: sha}), plan)
})

test('a plan made before any state exists is accepted while there still is none', () => {
  const saved = makeSavedPlan(origin(null), plan, '2026-11-20T12:00:00.000Z')
  assert.equal(verifyPlan(saved, {state: null, commitSha: sha}), plan)
})

test('stale: the state moved from serial 12 to 13', () => {
  const saved = makeSavedPlan(origin(12), plan, '2026-11-20T12:00:00.000Z')
  throws(() => verifyPlan(saved, {state: state(13), commitSha: sha}), (e) => e instanceof UserError && (e as Error).message === 'stale plan: the state moved from serial 12 to 13 since the plan was made; run tsctl diff --out again' && e.exitCode === 2)
})

test('stale: another lineage, a state created since, a state gone, the commit moved', () => {
  const saved = makeSavedPlan(origin(12), plan, '2026-11-20T12:00:00.000Z')
  throws(() => verifyPlan(saved, {state: state(12, 'L-2'), commitSha: sha}), (e) => stale(e, /^stale plan: the plan was made from state lineage L-1, this state is lineage L-2/))
  throws(() => verifyPlan(makeSavedPlan(origin(null), plan, 'x'), {state: state(1), commitSha: sha}), (e) => stale(e, /^stale plan: the plan was made before the state existed; it is at serial 1 now/))
  throws(() => verifyPlan(saved, {state: null, commitSha: sha}), (e) => stale(e, /^stale plan: the plan was made from serial 12 of a state that no longer exists/))
  throws(() => verifyPlan(saved, {state: state(12), commitSha: 'b'.repeat(40)}), (e) => stale(e, /^stale plan: the commit moved from c0ffee000000 to bbbbbbbbbbbb since the plan was made; run tsctl diff --out again$/))
})

test('an edited plan is refused (hash), in load and in verify', async () => {
  const path = join(tmp(), 'plan.json')
  const saved = makeSavedPlan(origin(12), plan, '2026-11-20T12:00:00.000Z')
  await savePlan(path, saved)
  const doc = JSON.parse(readFileSync(path, 'utf8'))
  doc.plan.actions[1].node = 'node-c'
  writeFileSync(path, JSON.stringify(doc))
  let err: unknown
  await loadPlan(path).catch((e) => (err = e))
  assert.ok(stale(err, /does not match its hash/), String(err))
  throws(() => verifyPlan({...saved, from: {...saved.from, state: {lineage: 'L-1', serial: 13}}}, {state: state(13), commitSha: sha}), (e) => stale(e, /does not match its hash/))
})

test('missing, not JSON, not a plan: exit 2 with a hint', async () => {
  const d = tmp()
  writeFileSync(join(d, 'bad.json'), '{')
  writeFileSync(join(d, 'other.json'), JSON.stringify({apiVersion: 'tsctl.io/v1', kind: 'Diff'}))
  for (const [p, re] of [[join(d, 'none.json'), /cannot read the plan \(ENOENT\)/], [join(d, 'bad.json'), /not valid JSON/], [join(d, 'other.json'), /not a tsctl saved plan: kind must be SavedPlan/]] as const) {
    let err: unknown
    await loadPlan(p).catch((e) => (err = e))
    assert.ok(stale(err, re), String(err))
  }
})

test('the hash does not depend on key order', () => {
  assert.is(canonicalJson({b: 1, a: {d: [1, {f: 2, e: 3}], c: null}}), '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}')
  const o = origin(1)
  const reordered = JSON.parse(JSON.stringify({ref: o.ref, commit: o.commit, backend: o.backend, state: o.state}))
  assert.is(planHash(reordered, plan), planHash(o, plan))
})

test.run()
