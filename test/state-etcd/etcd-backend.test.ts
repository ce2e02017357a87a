// The etcd state backend against a real etcd (Debian's etcd-server, one
// member at free ports): the state as many keys, writes that send only what
// changed under a serial guard, split writes above etcd's limits, torn
// writes, the lease lock (busy, kill -9, --force), 10 racers, errors.
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import {Etcd3} from 'etcd3'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {ExitCode, LockedError, UserError} from '../../src/errors.js'
import {EtcdStateBackend} from '../../src/state/etcd-backend.js'
import {K} from '../../src/state/etcd-keys.js'
import {etcdHooks, etcdSkipReason, freePort} from '../fixtures/etcd.js'
import {backend, bigState, clone, freshPrefix} from './_helpers.js'

const skip = etcdSkipReason()
const etcd = skip ? () => ({endpoints: [] as string[]}) : etcdHooks(test)
const holderJs = fileURLToPath(new URL('./fixtures/holder.js', import.meta.url))
const racerJs = fileURLToPath(new URL('./fixtures/racer.js', import.meta.url))
const children = new Set<ChildProcessWithoutNullStreams>()
const opened: EtcdStateBackend[] = []
let raw: Etcd3 | undefined
test.after.each(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  children.clear()
  for (const b of opened.splice(0)) b.close()
})
test.after(() => raw?.close())

const open = (prefix: string, warn?: (m: string) => void) => {
  const b = backend(etcd().endpoints, prefix, {}, warn)
  opened.push(b)
  return b
}
const client = () => (raw ??= new Etcd3({hosts: etcd().endpoints}))

/** Keys of PREFIX whose mod_revision is the newest revision: what the last transaction wrote. */
async function lastTxnKeys(prefix: string): Promise<string[]> {
  const r = await client().getAll().prefix(prefix + '/').exec()
  const top = String(Math.max(...r.kvs.map((kv) => Number(kv.mod_revision))))
  return r.kvs.filter((kv) => kv.mod_revision === top).map((kv) => kv.key.toString().slice(prefix.length + 1)).sort()
}

if (skip) {
  console.log(`SKIP: ${skip}`)
  test.skip('etcd backend')
} else {
  test('round trip: what is written reads back byte-identical; an empty prefix reads null', async () => {
    const p = freshPrefix()
    const a = open(p)
    assert.is(await a.read(), null)
    const s = bigState(50)
    s.serial = 1
    s.appliedCommit = {sha: 'a'.repeat(40), subject: 'first', author: 'Ada', date: '2026-12-07T00:00:00Z'}
    await a.write(s)
    const back = await open(p).read()
    assert.is(JSON.stringify(back, null, 2), JSON.stringify(s, null, 2))
    assert.match(a.describe(), /^etcd 127\.0\.0\.1:\d+ \/tsctl\/test-/)
    const keys = (await client().getAll().prefix(p + '/').keys()).map((k) => k.slice(p.length + 1))
    assert.ok(keys.includes('pods/Pod/default/web-00049') && keys.includes('revisions/ReplicaSet/default/web-5cd8c6484d') && keys.includes('objects/Deployment/default/web') && keys.includes('nodes/node-0') && keys.includes('events/000000000001') && keys.includes(K.serial))
  })

  test('a write sends only what changed: one pod and one event are 4 keys (with serial and write id), not the state', async () => {
    const p = freshPrefix()
    const a = open(p)
    const s = bigState(200)
    s.serial = 1
    await a.write(s)
    const t = clone(s)
    t.serial = 2
    ;(t.objects['Pod/default/web-00007'] as unknown as {status: {phase: string}}).status.phase = 'Failed'
    t.events.push({time: '2026-12-07T01:00:00.000Z', type: 'Warning', reason: 'BackOff', object: 'Pod/default/web-00007', message: 'x'})
    await a.write(t)
    assert.equal(await lastTxnKeys(p), ['events/000000000006', K.serial, K.write, 'pods/Pod/default/web-00007'].sort())
    // the same with a hint naming the pod; trimming the oldest event deletes its key
    const u = clone(t)
    u.serial = 3
    delete (u.objects['Pod/default/web-00008'] as {status?: unknown}).status
    u.events.shift()
    await a.write(u, {changed: ['Pod/default/web-00008']})
    assert.equal(await lastTxnKeys(p), [K.serial, K.write, 'pods/Pod/default/web-00008'].sort())
    assert.is((await client().getAll().prefix(p + '/events/').keys()).length, 5)
    // a removed object is a deleted key
    const v = clone(u)
    v.serial = 4
    delete v.objects['Pod/default/web-00009']
    await a.write(v)
    assert.is(await client().get(`${p}/pods/Pod/default/web-00009`).string(), null)
    assert.is(JSON.stringify(await open(p).read()), JSON.stringify(v))
  })

  test('never backwards: an older serial, another lineage, a state that moved since it was read are refused (exit 2, nothing written)', async () => {
    const p = freshPrefix()
    const a = open(p)
    const b = open(p)
    const s = bigState(3)
    s.serial = 5
    await a.write(s)
    const old = clone(s)
    old.serial = 5
    try {
      await a.write(old)
      assert.unreachable()
    } catch (e) {
      assert.instance(e, UserError)
      assert.is((e as UserError).exitCode, ExitCode.invalid)
      assert.match((e as Error).message, /serial 5 is not newer than the stored serial 5/)
    }
    const other = bigState(3, 'another-fleet')
    other.serial = 9
    await rejects(() => a.write(other), /belongs to lineage lineage-test, this state to another-fleet/)
    // b reads serial 5, a writes 6, b's write of 6 fails its compare
    const seen = (await b.read())!
    const six = clone(s)
    six.serial = 6
    await a.write(six)
    seen.serial = 6
    seen.objects['ConfigMap/default/late'] = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'late', namespace: 'default'}}
    await rejects(() => b.write(seen), /the state moved from serial 5 to serial 6 since it was read \(compare failed\); nothing was written/)
    assert.is((await open(p).read())!.objects['ConfigMap/default/late'], undefined)
  })

  test('10,000 objects: the first write is split into guarded transactions under etcd\'s limits and reads back whole; a torn split write is never read', async () => {
    const p = freshPrefix()
    const a = open(p)
    const s = bigState(10_000)
    s.serial = 1
    await a.write(s)
    const back = await open(p).read()
    assert.is(Object.keys(back!.objects).length, 10_002)
    assert.is(JSON.stringify(back), JSON.stringify(s))
    // a writer killed between its parts leaves a pending marker and some new keys: readers see the last whole write
    const c = client()
    await c.put(`${p}/${K.pending}`).value(JSON.stringify({serial: 2, from: 1, write: 'dead', part: 1, parts: 3})).exec()
    await c.put(`${p}/pods/Pod/default/orphan`).value(JSON.stringify({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'orphan'}})).exec()
    const warnings: string[] = []
    const r = open(p, (m) => warnings.push(m))
    const torn = await r.read()
    assert.is(torn!.objects['Pod/default/orphan'], undefined)
    assert.is(torn!.serial, 1)
    assert.match(warnings.join('\n'), /in progress or was interrupted/)
    // the next write diffs against what is really there: the orphan key goes, the marker goes
    torn!.serial = 2
    await r.write(torn!)
    assert.is(await c.get(`${p}/pods/Pod/default/orphan`).string(), null)
    assert.is(await c.get(`${p}/${K.pending}`).string(), null)
    assert.is(Object.keys((await open(p).read())!.objects).length, 10_002)
  })

  test('lock: a second locker gets exit 3 naming the holder; its write is refused; unlock of another\'s lock needs --force; a forced-out holder writes nothing', async () => {
    const p = freshPrefix()
    const a = open(p)
    const b = open(p)
    const info = await a.lock('tsctl sync', {commit: 'f'.repeat(40)})
    assert.is(info.ttlSeconds, 2)
    try {
      await b.lock('tsctl sync')
      assert.unreachable()
    } catch (e) {
      assert.instance(e, LockedError)
      assert.is((e as LockedError).exitCode, ExitCode.locked)
      assert.match((e as Error).message, new RegExp(`state is locked by "tsctl sync" by \\S+ \\(pid ${process.pid} on \\S+\\) since .*, lock id ${info.id}, applying ffffffffffff, lease TTL 2s`))
    }
    const s = bigState(1)
    s.serial = 1
    await rejects(() => b.write(s), /the state is locked by "tsctl sync"/)
    await a.write(s)
    await rejects(() => b.unlock(), /state unlock --force/)
    assert.is((await b.lockInfo())?.id, info.id)
    const removed = await b.unlock({force: true})
    assert.is(removed?.id, info.id)
    const t = clone(s)
    t.serial = 2
    await rejects(() => a.write(t), /our state lock was removed .*nothing was written/)
    assert.is((await open(p).read())!.serial, 1)
    // our own lock: unlock by id, then it is free
    const again = await b.lock('tsctl sync')
    assert.is((await b.unlock({id: again.id}))?.id, again.id)
    assert.is(await b.lockInfo(), null)
  })

  test('a holder killed with kill -9 frees the lock when its lease runs out (TTL 2 s)', async () => {
    const p = freshPrefix()
    const c = spawn(process.execPath, [holderJs, etcd().endpoints.join(','), p, '2'], {stdio: ['pipe', 'pipe', 'pipe']})
    children.add(c)
    const line = await firstLine(c)
    assert.match(line, /^locked /)
    const b = open(p)
    await rejects(() => b.lock('tsctl sync'), new RegExp(`pid ${c.pid} .*applying c0ffeec0ffee`))
    c.kill('SIGKILL')
    const killed = Date.now()
    for (;;) {
      try {
        await b.lock('tsctl sync')
        break
      } catch (e) {
        if (!(e instanceof LockedError)) throw e
        if (Date.now() - killed > 6000) throw new Error('the lock of the killed holder never expired')
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    const took = Date.now() - killed
    assert.ok(took <= 2000 + 1500, `freed after ${took} ms`)
    await b.unlock()
  })

  test('10 racers at once: exactly one writes, the other 9 exit 3 naming it, nothing lost', async () => {
    const p = freshPrefix()
    const seed = bigState(2, 'lineage-race')
    seed.serial = 10
    await open(p).write(seed)
    const racers = Array.from({length: 10}, (_, i) => {
      const c = spawn(process.execPath, [racerJs, etcd().endpoints.join(','), p, `r${i}`], {stdio: ['pipe', 'pipe', 'pipe']})
      children.add(c)
      return {c, lines: createInterface({input: c.stdout})[Symbol.asyncIterator]()}
    })
    for (const r of racers) assert.is((await r.lines.next()).value, 'ready')
    for (const r of racers) r.c.stdin.write('go\n')
    const said = await Promise.all(racers.map(async (r) => String((await r.lines.next()).value)))
    const winners = said.filter((l) => l.startsWith('won '))
    assert.is(winners.length, 1, said.join('\n'))
    assert.is(winners[0], 'won 11')
    const winner = racers[said.indexOf(winners[0])]
    for (const l of said.filter((x) => !x.startsWith('won '))) assert.match(l, new RegExp(`^busy 3 state is locked by "tsctl sync" by \\S+ \\(pid ${winner.c.pid} on `))
    winner.c.stdin.write('release\n')
    await new Promise((r) => winner.c.once('exit', r))
    const s = (await open(p).read())!
    assert.is(s.serial, 11)
    assert.ok(s.objects[`ConfigMap/default/r${said.indexOf(winners[0])}`], 'the winner\'s write is there')
    assert.is(Object.keys(s.objects).length, 5, 'the seed\'s objects and the winner\'s, nothing else, nothing lost')
  })

  test('errors name the endpoint: unreachable is exit 4, never a stack or a password', async () => {
    const port = await freePort()
    const b = new EtcdStateBackend({config: {endpoints: [`http://127.0.0.1:${port}`], prefix: '/tsctl/x', ttlSeconds: 2, timeoutMs: 800, auth: {user: 'u', password: 'hunter2-secret', passwordEnv: 'P'}}})
    try {
      await b.read()
      assert.unreachable()
    } catch (e) {
      assert.instance(e, UserError)
      assert.is((e as UserError).exitCode, ExitCode.hosts)
      assert.match((e as Error).message, new RegExp(`^etcd 127\\.0\\.0\\.1:${port} /tsctl/x: cannot reach etcd while reading the state`))
      assert.not.match((e as Error).message, /hunter2/)
    } finally {
      b.close()
    }
  })
}

/** FN rejects with a message matching RE. */
async function rejects(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await fn()
  } catch (e) {
    assert.match((e as Error).message, re)
    return
  }
  assert.unreachable(`expected a rejection matching ${re}`)
}

async function firstLine(c: ChildProcessWithoutNullStreams): Promise<string> {
  let err = ''
  c.stderr.on('data', (d) => (err += d))
  const r = await createInterface({input: c.stdout})[Symbol.asyncIterator]().next()
  if (r.done) throw new Error(`child ended: ${err}`)
  return String(r.value)
}

test.run()
