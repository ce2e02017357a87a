// A 3-member etcd cluster with one member killed (its raft leader, the worst
// case) keeps working for tsctl: reads, guarded writes, and a held lease
// lock that stays alive through the other members past its TTL.
import {Etcd3} from 'etcd3'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {LockedError} from '../../src/errors.js'
import type {EtcdStateBackend} from '../../src/state/etcd-backend.js'
import {etcdHooks, etcdSkipReason} from '../fixtures/etcd.js'
import {backend, bigState, clone, freshPrefix} from './_helpers.js'

const skip = etcdSkipReason()
const etcd = skip ? undefined : etcdHooks(test, {members: 3})
const opened: EtcdStateBackend[] = []
test.after(() => {
  for (const b of opened) b.close()
})

/** Index of the member that is raft leader now. */
async function raftLeader(endpoints: string[]): Promise<number> {
  for (let i = 0; i < endpoints.length; i++) {
    const c = new Etcd3({hosts: [endpoints[i]]})
    try {
      const s = await c.maintenance.status()
      if (s.leader === s.header.member_id) return i
    } catch {
      // down
    } finally {
      c.close()
    }
  }
  throw new Error('no raft leader')
}

if (!etcd) {
  console.log(`SKIP: ${skip}`)
  test.skip('3-member etcd')
} else {
  test('the raft leader of 3 members killed: reads, writes and the held lease lock go on through the others', async () => {
    const cluster = etcd()
    const p = freshPrefix()
    const a = backend(cluster.endpoints, p)
    const b = backend(cluster.endpoints, p)
    opened.push(a, b)
    const lock = await a.lock('tsctl sync')
    const s = bigState(500)
    s.serial = 1
    await a.write(s)
    const dead = await raftLeader(cluster.endpoints)
    await cluster.kill(dead)
    // past the lock's TTL (2 s): its keep-alive must have moved to a live member
    await new Promise((r) => setTimeout(r, 3000))
    const t = clone(s)
    t.serial = 2
    ;(t.objects['Pod/default/web-00001'] as unknown as {status: {phase: string}}).status.phase = 'Succeeded'
    await a.write(t)
    const back = await b.read()
    assert.is(back?.serial, 2)
    assert.is(JSON.stringify(back), JSON.stringify(t))
    try {
      await b.lock('tsctl sync')
      assert.unreachable('the lock is still held')
    } catch (e) {
      assert.instance(e, LockedError)
      assert.match((e as Error).message, new RegExp(`lock id ${lock.id}`))
    }
    // only the live members, as a user would list them after losing one
    const live = backend(cluster.endpoints.filter((_, i) => i !== dead), p)
    opened.push(live)
    assert.is((await live.read())?.serial, 2)
    await a.unlock()
    const next = await b.lock('tsctl sync')
    await b.unlock({id: next.id})
    await cluster.restart(dead)
    assert.is((await backend([cluster.endpoints[dead]], p).read())?.serial, 2, 'the restarted member caught up')
  })
}

test.run()
