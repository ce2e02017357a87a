// Random histories against the simulated fleet: partial applies (a host
// failing mid-plan), kill -9 between applying and writing the state,
// readiness flapping, hosts unreachable past their
// grace period and coming back, pods vanishing, new commits. Invariants at
// every step: no pod name runs on two hosts, at most one pod per
// StatefulSet identity; and once the chaos stops, a few rounds converge
// with every rollout done.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {simulateApply} from '../../../src/reconcile/converge.js'
import type {Observed} from '../../../src/reconcile/observed.js'
import type {Plan} from '../../../src/reconcile/plan.js'
import {reconcile} from '../../../src/reconcile/reconcile.js'
import {emptyState, type State} from '../../../src/state/model.js'
import {daemonset, deployment, desired, node, statefulset, T0} from './fixtures.js'

function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const nodes = ['a', 'b', 'c', 'd']
const manifests = (version: number, replicas: number) =>
  desired(
    [
      ...nodes.map((n) => node(n)),
      deployment('web').replicas(replicas).image(`web:${version}`).rolling(1, 1),
      statefulset('db').replicas(3).image(`db:${version % 2}`),
      daemonset('agent').image(`agent:${version % 3}`),
    ],
    String(version).padStart(40, '0'),
    `v${version}`,
  )

function invariants(observed: Observed, where: string) {
  const seen = new Map<string, string>()
  for (const n of Object.values(observed.nodes)) {
    if (!n.reachable) continue
    for (const p of n.pods) {
      assert.not.ok(seen.has(p.name), `${where}: ${p.name} on ${seen.get(p.name)} and ${n.name}`)
      seen.set(p.name, n.name)
    }
  }
}

test('random histories keep identities unique and converge once calm', () => {
  for (let seed = 1; seed <= Number(process.env.SEEDS ?? 8); seed++) {
    const r = rng(seed)
    let version = 1
    let replicas = 4
    let d = manifests(version, replicas)
    let state: State = emptyState('chaos')
    let now = T0
    // the hosts' truth, including unreachable ones (hidden from reconcile while down)
    let hosts: Observed = {nodes: Object.fromEntries(nodes.map((n) => [n, {name: n, reachable: true, observedAt: now, pods: []}]))}
    const down = new Set<string>()
    const view = (): Observed => ({
      nodes: Object.fromEntries(Object.entries(hosts.nodes).map(([n, x]) => [n, down.has(n) ? {name: n, reachable: false, observedAt: now, pods: []} : {...x, observedAt: now}])),
    })
    for (let step = 0; step < 40; step++) {
      const res = reconcile({desired: d, state, observed: view(), now})
      // now and then tsctl is killed after applying, before writing the state (kill -9)
      const crashed = r() < 0.1
      if (!crashed) state = res.state
      // apply only some hosts' actions now and then (a host failing mid-plan)
      const applied: Plan = {actions: res.plan.actions.filter((a) => !down.has(a.node) && r() > 0.15)}
      hosts = simulateApply(hosts, applied, res.state, now)
      for (const n of Object.values(hosts.nodes)) for (const p of n.pods) if (p.phase === 'Running' && r() < 0.2) p.ready = !p.ready
      invariants(view(), `seed ${seed} step ${step}`)
      const roll = r()
      if (roll < 0.1 && down.size === 0) down.add(nodes[Math.floor(r() * nodes.length)])
      else if (roll < 0.2) down.clear()
      else if (roll < 0.27) {
        const n = hosts.nodes[nodes[Math.floor(r() * nodes.length)]]
        n.pods = n.pods.filter(() => r() > 0.3) // pods vanish behind tsctl's back
      } else if (roll < 0.35) d = manifests(++version, replicas)
      else if (roll < 0.4) d = manifests(version, (replicas = 1 + Math.floor(r() * 6)))
      now += Math.floor(r() * 30_000)
    }
    // calm: every host back, every action applied, every pod ready
    down.clear()
    let last
    for (let round = 0; round < 60; round++) {
      last = reconcile({desired: d, state, observed: view(), now})
      state = last.state
      hosts = simulateApply(hosts, last.plan, state, now)
      for (const n of Object.values(hosts.nodes)) for (const p of n.pods) if (p.phase === 'Running') p.ready = true
      invariants(view(), `seed ${seed} calm ${round}`)
      now += 1000
      if (last.plan.actions.length === 0 && last.rollouts.every((x) => x.done)) break
    }
    assert.equal(last!.plan.actions, [], `seed ${seed}: still planning`)
    assert.equal(last!.rollouts.filter((x) => !x.done).map((x) => x.message), [], `seed ${seed}`)
    const running = Object.values(hosts.nodes).flatMap((n) => n.pods.map((p) => p.name))
    assert.is(running.filter((n) => n.startsWith('web-')).length, replicas, `seed ${seed}: web replicas`)
    assert.equal(running.filter((n) => n.startsWith('db-')).sort(), ['db-0', 'db-1', 'db-2'], `seed ${seed}`)
    assert.is(running.filter((n) => n.startsWith('agent-')).length, nodes.length, `seed ${seed}: one agent per node`)
  }
})

test.run()
