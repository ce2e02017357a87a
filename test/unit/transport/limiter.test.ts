import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {Limiter} from '../../../src/transport/limiter.js'

const tick = () => new Promise((r) => setImmediate(r))

test('run holds at most `concurrency` tasks and grants slots in order', async () => {
  const l = new Limiter({concurrency: 2})
  let active = 0
  let peak = 0
  const order: number[] = []
  const gates: Array<() => void> = []
  const tasks = [0, 1, 2, 3, 4].map((i) => l.run(async () => {
    active++
    peak = Math.max(peak, active)
    order.push(i)
    await new Promise<void>((r) => gates.push(r))
    active--
  }))
  for (let i = 0; i < 5; i++) {
    await tick()
    gates.shift()?.()
  }
  await Promise.all(tasks)
  assert.is(peak, 2)
  assert.equal(order, [0, 1, 2, 3, 4])
  assert.equal(l.pending, {commands: 0, startups: 0})
})

test('a failing task releases its slot', async () => {
  const l = new Limiter({concurrency: 1})
  await l.run(async () => { throw new Error('x') }).catch(() => {})
  assert.is(await l.run(async () => 7), 7)
})

test('connect bounds set-ups in flight separately from commands', async () => {
  const l = new Limiter({concurrency: 10, maxStartups: 1, startIntervalMs: 0})
  let inFlight = 0
  let peak = 0
  await Promise.all([1, 2, 3].map(() => l.connect(async () => {
    inFlight++
    peak = Math.max(peak, inFlight)
    await tick()
    inFlight--
  })))
  assert.is(peak, 1)
})

test('bad sizes are refused', () => {
  assert.throws(() => new Limiter({concurrency: 0}), /concurrency/)
  assert.throws(() => new Limiter({maxStartups: 1.5}), /maxStartups/)
})

test.run()
