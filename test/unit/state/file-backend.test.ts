import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {ExitCode, LockedError, UserError} from '../../../src/errors.js'
import {FileStateBackend} from '../../../src/state/file-backend.js'
import {emptyState} from '../../../src/state/model.js'
import {newState} from '../../../src/state/lineage.js'

const locker = fileURLToPath(new URL('./fixtures/locker.js', import.meta.url))
const dirs: string[] = []
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tsctl-state-'))
  dirs.push(d)
  return d
}
test.after(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0'])
  return r.pid!
}

test('read of a missing state is null; write then read round-trips', async () => {
  const b = new FileStateBackend(join(tmp(), '.tsctl', 'state.json'))
  assert.is(await b.read(), null)
  const s = emptyState('L1')
  s.serial = 1
  await b.write(s)
  assert.equal(await b.read(), s)
})

test('a new state has serial 0 and a fresh UUID lineage', () => {
  const a = newState()
  const b = newState()
  assert.is(a.serial, 0)
  assert.match(a.lineage, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  assert.is.not(a.lineage, b.lineage)
})

test('state file and lock file are mode 0600 even with umask 0', async () => {
  const old = process.umask(0)
  try {
    const p = join(tmp(), '.tsctl', 'state.json')
    const b = new FileStateBackend(p)
    await b.lock('test')
    await b.write({...emptyState('L'), serial: 1})
    assert.is(statSync(p).mode & 0o777, 0o600)
    assert.is(statSync(p + '.lock').mode & 0o777, 0o600)
    await b.write({...emptyState('L'), serial: 2})
    assert.is(statSync(p).mode & 0o777, 0o600)
    await b.unlock()
    assert.not.ok(existsSync(p + '.lock'))
  } finally {
    process.umask(old)
  }
})

test('a write whose serial is not newer, or of another lineage, is refused', async () => {
  const p = join(tmp(), 'state.json')
  const b = new FileStateBackend(p)
  await b.write({...emptyState('A'), serial: 5})
  for (const bad of [{...emptyState('A'), serial: 5}, {...emptyState('A'), serial: 4}, {...emptyState('B'), serial: 9}]) {
    try {
      await b.write(bad)
      assert.unreachable('write should be refused')
    } catch (err) {
      assert.instance(err, UserError)
      assert.match((err as Error).message, /refusing to write/)
    }
  }
  assert.is((await b.read())!.serial, 5)
})

test('a state from a newer tsctl is refused with a clear message', async () => {
  const p = join(tmp(), 'state.json')
  writeFileSync(p, JSON.stringify({...emptyState('A'), version: 99}))
  try {
    await new FileStateBackend(p).read()
    assert.unreachable()
  } catch (err) {
    assert.instance(err, UserError)
    assert.match((err as Error).message, /version 99 was written by a newer tsctl/)
  }
})

test('damaged JSON is a user error naming the file', async () => {
  const p = join(tmp(), 'state.json')
  writeFileSync(p, '{"version": 1, "serial": ')
  try {
    await new FileStateBackend(p).read()
    assert.unreachable()
  } catch (err) {
    assert.instance(err, UserError)
    assert.ok((err as Error).message.startsWith(p))
  }
})

test('a second locker gets LockedError (exit 3) naming the holder; the holder can write, the other cannot', async () => {
  const p = join(tmp(), 'state.json')
  const a = new FileStateBackend(p)
  const b = new FileStateBackend(p)
  const info = await a.lock('tsctl sync')
  try {
    await b.lock('tsctl diff')
    assert.unreachable()
  } catch (err) {
    assert.instance(err, LockedError)
    assert.is((err as LockedError).exitCode, ExitCode.locked)
    assert.match((err as Error).message, `"tsctl sync" by ${info.holder} (pid ${process.pid} on ${hostname()})`)
    assert.match((err as Error).message, info.id)
  }
  await a.write({...emptyState('L'), serial: 1})
  try {
    await b.write({...emptyState('L'), serial: 2})
    assert.unreachable()
  } catch (err) {
    assert.match((err as Error).message, /locked by/)
  }
  try {
    await b.unlock()
    assert.unreachable()
  } catch (err) {
    assert.instance(err, LockedError)
  }
  assert.equal(await b.unlock({force: true}), info)
  assert.is(await a.lockInfo(), null)
})

test('a stale lock (this host, dead pid) is taken over with a warning', async () => {
  const p = join(tmp(), 'state.json')
  const pid = deadPid()
  writeFileSync(p + '.lock', JSON.stringify({operation: 'tsctl sync', holder: 'ghost@' + hostname(), pid, host: hostname(), created: '2026-01-01T00:00:00Z', id: 'old'}))
  const warnings: string[] = []
  const b = new FileStateBackend(p, {warn: (m) => warnings.push(m)})
  const info = await b.lock('tsctl sync')
  assert.is(info.pid, process.pid)
  assert.is((await b.lockInfo())!.id, info.id)
  assert.is(warnings.length, 1)
  assert.match(warnings[0]!, `process ${pid} no longer runs`)
  assert.not.ok(existsSync(p + '.lock.takeover'))
})

test('a lock from another host is never stale', async () => {
  const p = join(tmp(), 'state.json')
  writeFileSync(p + '.lock', JSON.stringify({operation: 'tsctl sync', holder: 'bob@elsewhere', pid: deadPid(), host: 'elsewhere', created: '2026-01-01T00:00:00Z', id: 'x1'}))
  try {
    await new FileStateBackend(p).lock('tsctl sync')
    assert.unreachable()
  } catch (err) {
    assert.instance(err, LockedError)
    assert.match((err as Error).message, 'bob@elsewhere')
  }
})

function run(args: string[], stdinOpen = false): {child: ReturnType<typeof spawn>; out: Promise<string>; firstLine: Promise<string>} {
  const child = spawn(process.execPath, [locker, ...args], {stdio: ['pipe', 'pipe', 'inherit']})
  if (!stdinOpen) child.stdin!.end()
  let buf = ''
  let resolveLine!: (s: string) => void
  const firstLine = new Promise<string>((r) => (resolveLine = r))
  child.stdout!.on('data', (d) => {
    buf += d
    if (buf.includes('\n')) resolveLine(buf.split('\n')[0]!)
  })
  const out = new Promise<string>((r) => child.on('close', () => {
    resolveLine(buf.split('\n')[0]!)
    r(buf)
  }))
  return {child, out, firstLine}
}

test('concurrent lockers in separate processes: exactly one wins, the others are told who', async () => {
  const p = join(tmp(), 'state.json')
  const kids = Array.from({length: 6}, () => run(['hold', p], true))
  const lines = await Promise.all(kids.map((k) => k.firstLine))
  const winners = lines.filter((l) => l.startsWith('locked '))
  assert.is(winners.length, 1, lines.join('\n'))
  const winnerId = winners[0]!.split(' ')[1]!
  for (const l of lines.filter((l) => !l.startsWith('locked '))) {
    assert.ok(l.startsWith('busy 3 state is locked by "test hold"'), l)
    assert.match(l, winnerId)
  }
  for (const k of kids) k.child.stdin!.end()
  await Promise.all(kids.map((k) => k.out))
  assert.not.ok(existsSync(p + '.lock'))
})

test('lock/unlock cycles in 4 processes never overlap', async () => {
  const d = tmp()
  const p = join(d, 'state.json')
  const log = join(d, 'log')
  writeFileSync(log, '')
  const kids = Array.from({length: 4}, () => run(['critical', p, log, '15']))
  await Promise.all(kids.map((k) => k.out))
  for (const k of kids) assert.is(k.child.exitCode, 0)
  const lines = readFileSync(log, 'utf8').trim().split('\n')
  assert.is(lines.length, 4 * 15 * 2)
  for (let i = 0; i < lines.length; i += 2) {
    const [e, pidE] = lines[i]!.split(' ')
    const [x, pidX] = lines[i + 1]!.split(' ')
    assert.is(e, 'E', `line ${i}`)
    assert.is(x, 'X', `line ${i + 1}`)
    assert.is(pidE, pidX, `critical sections interleaved at line ${i}`)
  }
})

for (const mode of ['write', 'write-raw']) test(`kill -9 during writes never leaves a half-written state (${mode})`, async () => {
  const d = tmp()
  const p = join(d, 'state.json')
  for (let round = 0; round < 4; round++) {
    const k = run([mode, p])
    let seen = 0
    await new Promise<void>((resolve) => {
      let buf = ''
      k.child.stdout!.on('data', (chunk) => {
        buf += chunk
        const serials = buf.trim().split('\n').map(Number)
        seen = serials[serials.length - 1]!
        // kill while the next write is under way (the writer loops without pause)
        if (seen >= 2 + round) {
          k.child.kill('SIGKILL')
          resolve()
        }
      })
    })
    await k.out
    const text = readFileSync(p, 'utf8')
    const parsed = JSON.parse(text) // throws on a half file
    assert.ok(parsed.serial >= seen, `serial ${parsed.serial} older than acknowledged ${seen}`)
    assert.is(Object.keys(parsed.objects).length, 4000)
    assert.is(statSync(p).mode & 0o777, 0o600)
    // the next writer starts over from serial 1: clear the file
    rmSync(p)
  }
  // killed writers may leave their temp file; never the state itself
  for (const f of readdirSync(d)) assert.ok(f === 'log' || f.startsWith('.state.json.tmp-'), f)
})

test('the file is JSON.stringify(state, null, 2) + newline, also when a hint lets unchanged objects keep their cached text', async () => {
  const p = join(tmp(), 'state.json')
  const b = new FileStateBackend(p)
  const s = emptyState('L')
  s.serial = 1
  for (const n of ['a', 'b']) s.objects[`Pod/default/${n}`] = {apiVersion: 'v1', kind: 'Pod', metadata: {name: n, namespace: 'default'}, status: {phase: 'Pending'}}
  await b.write(s)
  assert.is(readFileSync(p, 'utf8'), JSON.stringify(s, null, 2) + '\n')
  // in place, as recordOutcome does, and named in the hint
  ;(s.objects['Pod/default/a'] as unknown as {status: {phase: string}}).status.phase = 'Running'
  s.events.push({time: 't', type: 'Normal', reason: 'Started', object: 'Pod/default/a', message: 'm'})
  await b.write({...s, serial: 2}, {changed: ['Pod/default/a']})
  assert.is(readFileSync(p, 'utf8'), JSON.stringify({...s, serial: 2}, null, 2) + '\n')
  assert.equal(await b.read(), {...s, serial: 2})
})

async function refused(write: Promise<void>, message: RegExp): Promise<void> {
  try {
    await write
    assert.unreachable('write should be refused')
  } catch (err) {
    assert.instance(err, UserError)
    assert.match((err as Error).message, message)
  }
}

test('overlapping writes on one backend object each write their own state (the output buffer is reused)', async () => {
  const p = join(tmp(), 'state.json')
  const b = new FileStateBackend(p)
  const big = (serial: number, fill: string) => {
    const s = {...emptyState('L'), serial}
    for (let i = 0; i < 200; i++) s.objects[`ConfigMap/default/c-${i}`] = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: `c-${i}`, namespace: 'default'}, data: {v: fill.repeat(1000)}}
    return s
  }
  const [one, two] = [big(1, 'a'), big(2, 'b')]
  await Promise.all([b.write(one), b.write(two)])
  assert.is(readFileSync(p, 'utf8'), JSON.stringify(two, null, 2) + '\n')
})

test('a second writer between two writes is seen: another process, another backend object, or an edit in place', async () => {
  const p = join(tmp(), 'state.json')
  const b = new FileStateBackend(p)
  await b.write({...emptyState('L'), serial: 1})
  // another backend object (another process's): a new file over ours
  await new FileStateBackend(p).write({...emptyState('L'), serial: 5})
  await refused(b.write({...emptyState('L'), serial: 2}), /serial 2 is not newer than the stored serial 5/)
  await b.write({...emptyState('L'), serial: 6})
  // in place, the same size, at once (likely the same timestamp tick): the head tells
  writeFileSync(p, readFileSync(p, 'utf8').replace('"serial": 6', '"serial": 8'))
  await refused(b.write({...emptyState('L'), serial: 7}), /serial 7 is not newer than the stored serial 8/)
  // another lineage, and damage: refused as without the cache
  await b.write({...emptyState('L'), serial: 9})
  writeFileSync(p, readFileSync(p, 'utf8').replace('"lineage": "L"', '"lineage": "M"'))
  await refused(b.write({...emptyState('L'), serial: 10}), /belongs to lineage M/)
  writeFileSync(p, JSON.stringify({...emptyState('L'), serial: 9}, null, 2) + '\n')
  await b.write({...emptyState('L'), serial: 10})
  writeFileSync(p, readFileSync(p, 'utf8').slice(0, -3))
  await refused(b.write({...emptyState('L'), serial: 11}), /not valid JSON/)
  // and removed: written afresh, as before
  rmSync(p)
  await b.write({...emptyState('L'), serial: 1})
  assert.is(JSON.parse(readFileSync(p, 'utf8')).serial, 1)
})

// Deterministic where the test above is a race: the writer is killed while
// its one big write is on disk but unfinished (seen growing), so a writer
// that overwrote the state in place would leave a half file here.
test('a write killed half-way leaves the previous state whole', async () => {
  const d = tmp()
  const p = join(d, 'state.json')
  const before = emptyState('lineage-kill-test')
  before.serial = 1
  before.objects['ConfigMap/default/keep'] = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'keep', namespace: 'default'}, data: {a: 'b'}}
  await new FileStateBackend(p).write(before)
  const original = readFileSync(p, 'utf8')
  let caught = false
  for (let attempt = 0; attempt < 3 && !caught; attempt++) {
    const k = run(['write-big', p])
    await k.firstLine
    // Poll (bounded: 20 s) until some file of the directory holds part of the new state.
    const end = Date.now() + 20_000
    while (Date.now() < end && k.child.exitCode === null) {
      const growing = readdirSync(d).some((f) => {
        const st = statSync(join(d, f), {throwIfNoEntry: false})
        return st !== undefined && st.size > 1_000_000
      })
      const touched = statSync(p, {throwIfNoEntry: false})?.size !== original.length
      if (growing || touched) {
        k.child.kill('SIGKILL')
        break
      }
      await new Promise((r) => setImmediate(r))
    }
    await k.out
    caught = k.child.signalCode === 'SIGKILL'
    if (caught) {
      const text = readFileSync(p, 'utf8')
      assert.is(text, original, 'the state file is the previous state, byte for byte')
      assert.is(JSON.parse(text).serial, 1)
    } else {
      // The write finished before the poll saw it: start again from the small state.
      rmSync(p)
      await new FileStateBackend(p).write(before)
    }
  }
  assert.ok(caught, 'the writer was killed in the middle of its write in one of 3 attempts')
})

test.run()
