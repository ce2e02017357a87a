// npm run bench:ssh — what the SSH transport costs on a real local fleet.
// Prints one line per figure (medians, ms):
//   bench ssh connect_ms=…            a fresh master connection (key exchange + auth)
//   bench ssh command_ms=…            one command over an existing master
//   bench fanout hosts=N ms=… ratio_vs_1=…        one command on N hosts at once, masters warm
//   bench fanout_cold hosts=N ms=… ratio_vs_1=…   the same from nothing (connections included)
// The fleet (20 hosts, prefix tsb) is brought up and removed by this script.
import {Limiter} from '../src/transport/limiter.js'
import {SshTransport} from '../src/transport/ssh.js'
import {type Fleet, fleetSkipReason, fleetUp} from '../test/fleet/fleet.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (x: number) => x.toFixed(1)

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

async function main(fleet: Fleet): Promise<void> {
  const opts = fleet.transportOptions()
  const make = (i: number, limiter: Limiter) => new SshTransport(fleet.target(i), {...opts, limiter})

  const connect: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const t = make(1, new Limiter())
    connect.push(await time(() => t.exec(['true'])))
    await t.close()
  }
  console.log(`bench ssh connect_ms=${fmt(median(connect))}`)

  const warm = make(1, new Limiter())
  await warm.exec(['true'])
  const cmd: number[] = []
  for (let r = 0; r < ROUNDS * 3; r++) cmd.push(await time(() => warm.exec(['true'])))
  await warm.close()
  console.log(`bench ssh command_ms=${fmt(median(cmd))}`)

  const sizes = [1, 5, 20].filter((n) => n <= fleet.hosts.length)
  let base = 0
  let coldBase = 0
  for (const n of sizes) {
    const cold: number[] = []
    const hot: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const limiter = new Limiter({concurrency: 32})
      const ts = fleet.hosts.slice(0, n).map((h) => make(h.index, limiter))
      cold.push(await time(() => Promise.all(ts.map((t) => t.exec(['true'])))))
      for (let k = 0; k < 3; k++) hot.push(await time(() => Promise.all(ts.map((t) => t.exec(['true'])))))
      await Promise.all(ts.map((t) => t.close()))
    }
    const ms = median(hot)
    const coldMs = median(cold)
    if (n === 1) { base = ms; coldBase = coldMs }
    console.log(`bench fanout hosts=${n} ms=${fmt(ms)} ratio_vs_1=${(ms / base).toFixed(2)}`)
    console.log(`bench fanout_cold hosts=${n} ms=${fmt(coldMs)} ratio_vs_1=${(coldMs / coldBase).toFixed(2)}`)
  }
}

const skip = fleetSkipReason()
if (skip) {
  console.log(`SKIP: ${skip}`)
} else {
  const t0 = performance.now()
  const fleet = await fleetUp(Number(process.env.BENCH_HOSTS ?? 20), 'tsb')
  console.log(`bench fleet up hosts=${fleet.hosts.length} ms=${fmt(performance.now() - t0)}`)
  try {
    await main(fleet)
  } finally {
    await fleet.down()
  }
}
