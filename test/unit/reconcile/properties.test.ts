import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {KubeObject} from '../../../src/manifests/object.js'
import {observedFromState} from '../../../src/reconcile/assume.js'
import {converge, simulateApply} from '../../../src/reconcile/converge.js'
import {reconcile, type ReconcileInput} from '../../../src/reconcile/reconcile.js'
import {emptyState} from '../../../src/state/model.js'
import type {Action} from '../../../src/reconcile/plan.js'
import {configMap, cronjob, daemonset, deployment, desired, job, node, pod, service, statefulset, T0} from './fixtures.js'

/** A small deterministic PRNG for generating scenarios (the code under test never sees it). */
function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

function scenario(seed: number): KubeObject[] {
  const r = rng(seed)
  const pick = <T,>(xs: T[]) => xs[Math.floor(r() * xs.length)]
  const objs: KubeObject[] = []
  const nodeCount = 2 + Math.floor(r() * 4)
  for (let i = 0; i < nodeCount; i++) {
    let n = node(`n${i}`).label('zone', pick(['a', 'b']))
    if (r() < 0.25) n = n.taint('dedicated', 'batch')
    objs.push(n.build())
  }
  objs.push(configMap('shared', {k: String(seed)}))
  for (let i = 0; i < 1 + Math.floor(r() * 3); i++) {
    objs.push(deployment(`web${i}`).replicas(1 + Math.floor(r() * 6)).rolling(pick([0, 1, '25%']), pick([1, '25%'])).configVolume('shared').image(pick(['a:1', 'b:2'])).build())
    if (r() < 0.5) objs.push(service(`web${i}`, {app: `web${i}`}).build())
  }
  if (r() < 0.7) objs.push(statefulset('db').replicas(1 + Math.floor(r() * 3)).claim('data').build())
  if (r() < 0.7) objs.push(daemonset('agent').build())
  if (r() < 0.5) objs.push(job('once').completions(2).parallelism(2).build())
  if (r() < 0.5) objs.push(cronjob('tick').schedule('*/10 * * * *').build())
  if (r() < 0.5) objs.push(pod('tool').build())
  return objs
}

function input(objs: KubeObject[], sha = 'a'.repeat(40)): ReconcileInput {
  return {desired: desired(objs, sha), state: emptyState('lineage'), observed: {nodes: {}}, now: T0}
}

function shuffle<T>(xs: T[], seed: number): T[] {
  const r = rng(seed)
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

const seeds = Array.from({length: Number(process.env.SEEDS ?? 12)}, (_, i) => i + 1)

test('same inputs → byte-identical JSON, and the inputs are not modified', () => {
  for (const seed of seeds) {
    const inp = input(scenario(seed))
    const before = JSON.stringify(inp)
    const a = JSON.stringify(reconcile(inp))
    const b = JSON.stringify(reconcile(structuredClone(inp)))
    assert.is(a, b, `seed ${seed}`)
    assert.is(JSON.stringify(inp), before, `seed ${seed}: input modified`)
    // and again from the middle of a rollout
    const c = converge(inp, {maxPasses: 3})
    const mid = {...inp, state: c.final.state, observed: simulateApply({nodes: {}}, c.first.plan, c.first.state, T0)}
    assert.is(JSON.stringify(reconcile(mid)), JSON.stringify(reconcile(structuredClone(mid))), `seed ${seed} mid`)
    // and with a node lost past its grace period
    const lost = structuredClone(mid)
    lost.observed.nodes.n0 = {name: 'n0', reachable: false, observedAt: T0, pods: []}
    const later = {...lost, state: reconcile(lost).state, now: T0 + 60_000}
    const before2 = JSON.stringify(later)
    assert.is(JSON.stringify(reconcile(later)), JSON.stringify(reconcile(structuredClone(later))), `seed ${seed} lost node`)
    assert.is(JSON.stringify(later), before2, `seed ${seed}: input modified (lost node)`)
  }
})

test('shuffling the order of manifests changes nothing', () => {
  for (const seed of seeds) {
    const objs = scenario(seed)
    const a = JSON.stringify(converge(input(objs)).final)
    const b = JSON.stringify(converge(input(shuffle(objs, seed * 7))).final)
    assert.is(a, b, `seed ${seed}`)
  }
})

test('a pass run again on its own output (nothing applied) plans the same actions, no new ones', () => {
  for (const seed of seeds) {
    const inp = input(scenario(seed))
    const r1 = reconcile(inp)
    const r2 = reconcile({...inp, state: r1.state})
    assert.equal(r2.plan, r1.plan, `seed ${seed}`)
    const names = (r: typeof r1) => Object.keys(r.state.objects).filter((k) => k.startsWith('Pod/') || k.startsWith('ReplicaSet/') || k.startsWith('Job/'))
    assert.equal(names(r2), names(r1), `seed ${seed}: no new objects`)
  }
})

test('after its plan is applied, the next pass never repeats an action of it', () => {
  const id = (a: Action) => `${a.type} ${a.node} ${a.target} ${'specHash' in a ? a.specHash : ''} ${'uid' in a ? a.uid : ''}`
  for (const seed of seeds) {
    const inp = input(scenario(seed))
    let state = inp.state
    let observed = inp.observed
    for (let pass = 0; pass < 6; pass++) {
      const r = reconcile({...inp, state, observed})
      observed = simulateApply(observed, r.plan, r.state, inp.now)
      state = r.state
      const next = reconcile({...inp, state, observed})
      const done = new Set(r.plan.actions.map(id))
      const repeated = next.plan.actions.map(id).filter((x) => done.has(x))
      assert.equal(repeated, [], `seed ${seed} pass ${pass}`)
    }
  }
})

test('converge reaches a fixpoint; after it a pass (online or offline) plans nothing', () => {
  for (const seed of seeds) {
    const inp = input(scenario(seed))
    const c = converge(inp)
    assert.is(c.final.plan.actions.length, 0, `seed ${seed}: ${c.stuck.join('; ')}`)
    assert.ok(c.passes < 100, `seed ${seed}: ${c.passes} passes`)
    const offline = reconcile({...inp, state: c.final.state, observed: observedFromState(c.final.state, T0 + 3_600_000), now: c.final.state.events.length ? Date.parse(c.final.state.events.at(-1)!.time) : T0})
    assert.equal(offline.plan.actions, [], `seed ${seed}: offline plan after convergence`)
  }
})

test('a lost state is rebuilt from the hosts: from an empty state, the next pass plans nothing', () => {
  for (const seed of seeds) {
    const objs = scenario(seed).filter((o) => o.kind !== 'CronJob') // CronJob history lives only in the state
    const c = converge(input(objs))
    if (c.stuck.length) continue
    const hosts = observedFromState(c.final.state, T0)
    const rebuilt = reconcile({...input(objs), observed: hosts})
    assert.equal(rebuilt.plan.actions.map((a) => `${a.type} ${a.target}`), [], `seed ${seed}`)
    const pods = (s: typeof c.final.state) => Object.values(s.objects).filter((o) => o.kind === "Pod").map((p) => `${p.metadata.name}@${(p as unknown as {spec: {nodeName?: string}}).spec.nodeName}`).sort()
    assert.equal(pods(rebuilt.state), pods(c.final.state), `seed ${seed}`)
  }
})

/** maxSurge / maxUnavailable as numbers (deployment util ResolveFenceposts: surge rounds up, unavailable down, both 0 → 1 unavailable). */
function fenceposts(d: KubeObject): {surge: number; unavailable: number; replicas: number} {
  const spec = (d as never as {spec: {replicas: number; strategy?: {rollingUpdate?: {maxSurge?: number | string; maxUnavailable?: number | string}}}}).spec
  const r = spec.replicas
  const of = (v: number | string | undefined, dflt: string, up: boolean) => {
    const x = v ?? dflt
    if (typeof x === 'number') return x
    const f = (Number(x.slice(0, -1)) * r) / 100
    return up ? Math.ceil(f) : Math.floor(f)
  }
  const surge = of(spec.strategy?.rollingUpdate?.maxSurge, '25%', true)
  let unavailable = of(spec.strategy?.rollingUpdate?.maxUnavailable, '25%', false)
  if (surge === 0 && unavailable === 0) unavailable = 1
  return {surge, unavailable, replicas: r}
}

/** The Deployment a pod belongs to, through its ReplicaSet's owner reference. */
function deploymentOf(podObj: KubeObject | undefined, objects: Record<string, KubeObject>): string | undefined {
  const rs = podObj?.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')
  if (!rs) return undefined
  const owner = objects[`ReplicaSet/${podObj!.metadata.namespace ?? 'default'}/${rs.name}`]?.metadata.ownerReferences?.find((o) => o.kind === 'Deployment')
  return owner?.name
}

test('a new commit converges from a converged state, and its first plan respects the rollout bounds', () => {
  let checked = 0
  for (const seed of seeds) {
    const objs = scenario(seed)
    const c1 = converge(input(objs))
    const observed = observedFromState(c1.final.state, T0)
    // The same Deployments (strategy included) with a new image: a rollout of every one.
    const changed = objs.map((o) => {
      if (o.kind !== 'Deployment') return o
      const c = structuredClone(o) as never as {spec: {template: {spec: {containers: {image: string}[]}}}}
      c.spec.template.spec.containers[0].image = 'c:3'
      return c as never as KubeObject
    })
    const next = desired(changed, 'b'.repeat(40))
    // a fleet where some pods fit nowhere cannot finish a rollout (all nodes tainted, say)
    if (!c1.stuck.length) {
      // The first pass of the new commit: old pods are all ready, new ones not yet.
      const first = reconcile({desired: next, state: c1.final.state, observed, now: T0})
      const before = c1.final.state.objects
      for (const d of changed.filter((o) => o.kind === 'Deployment')) {
        const name = d.metadata.name
        const {surge, unavailable, replicas} = fenceposts(d)
        const old = Object.values(before).filter((o) => o.kind === 'Pod' && deploymentOf(o, before) === name).map((o) => `Pod/${o.metadata.namespace ?? 'default'}/${o.metadata.name}`)
        assert.is(old.length, replicas, `seed ${seed} ${name}: converged with every replica`)
        const mine = (a: Action) => (a.type === 'create' ? deploymentOf(a.pod, first.state.objects) === name : old.includes(a.target))
        const acts = first.plan.actions.filter(mine)
        const created = acts.filter((a) => a.type === 'create').length
        const stopped = acts.filter((a) => a.type === 'delete').length
        assert.ok(created + stopped > 0, `seed ${seed} ${name}: the first pass starts the rollout`)
        assert.ok(replicas - stopped + created <= replicas + surge, `seed ${seed} ${name}: ${replicas} - ${stopped} + ${created} pods exceeds replicas ${replicas} + maxSurge ${surge}`)
        assert.ok(replicas - stopped >= replicas - unavailable, `seed ${seed} ${name}: ${replicas - stopped} available is below replicas ${replicas} - maxUnavailable ${unavailable}`)
        checked++
      }
    }
    const c2 = converge({desired: next, state: c1.final.state, observed, now: T0})
    assert.is(c2.final.plan.actions.length, 0, `seed ${seed}`)
    if (c1.stuck.length) continue
    for (const d of changed.filter((o) => o.kind === 'Deployment')) {
      const key = `Deployment/default/${d.metadata.name}`
      const st = (c2.final.state.objects[key] as never as {status: {updatedReplicas: number}}).status
      assert.is(st.updatedReplicas, (d as never as {spec: {replicas: number}}).spec.replicas, `seed ${seed} ${key}`)
    }
  }
  assert.ok(checked >= seeds.length, `the bounds were checked on ${checked} deployments`)
})

test.run()
