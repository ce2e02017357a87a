// npm run bench:runtime, second part — what the pod network adds to one pod
// (issue 11), on a runtime host in a network namespace of its own with the
// network applied (test/host/_net.ts: bridge, routes, the `tsctl` table):
//   pod_apply_ms / pod_apply_net_ms: `apply` of a one-container pod until its
//     exit is in `status`, without and with meta/net/ip (the supervisor's
//     CNI bridge ADD: veth, IP from host-local, routes); the same host, so
//     the difference (net_setup_ms) is the network alone
//   pod_remove_ms / pod_remove_net_ms: `remove` of that pod (CNI DEL: veth
//     and reservation gone); net_teardown_ms the difference
//   cni_direct_ms / cni_direct_del_ms: the reference, side by side: what a
//     kubelet's runtime pays with the same plugin and config — `ip netns add`
//     and the CNI bridge plugin's ADD run by hand; then DEL and `ip netns del`
// Prints medians of BENCH_N (default 10) pods:
//   bench runtime-net pod_apply_ms=… pod_apply_net_ms=… net_setup_ms=… pod_remove_ms=… pod_remove_net_ms=… net_teardown_ms=… cni_direct_ms=… cni_direct_del_ms=…
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {pod} from '../test/host/_host.js'
import {makeNetns, netFiles, netHost, netSkipReason, removeNetns, rulesTable, type NetHost} from '../test/host/_net.js'

const skip = netSkipReason()
if (skip) {
  console.log(`SKIP: bench runtime-net: ${skip}`)
  process.exit(0)
}
const N = Number(process.env.BENCH_N ?? 10)
const CIDR = '198.19.7.0/24'
const NODE = '198.18.0.1'
const NS = `tsctl-brn-${process.pid}`
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (x: number) => x.toFixed(1)

function run(argv: string[], env: NodeJS.ProcessEnv = process.env, input?: string): string {
  const r = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', env, input})
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`)
  return r.stdout
}

let host: NetHost | undefined
const work = mkdtempSync('/tmp/tsctl-brn-')
const refNs: string[] = []
try {
  makeNetns(NS, `${NODE}/24`)
  host = await netHost(NS, NODE)
  await host.client.netApply('bench', netFiles({podCIDR: CIDR, gateway: '198.19.7.1', nodeIP: NODE, rules: rulesTable(CIDR)}))

  const once = async (i: number, net: boolean) => {
    const p = pod(`once${i}${net ? 'n' : ''}`, [{command: ['/bin/true']}], {restartPolicy: 'Never', terminationGracePeriodSeconds: 1})
    const t0 = process.hrtime.bigint()
    const uid = await host!.applyNet(p, net ? `198.19.7.${10 + i}` : undefined)
    // polled back to back, as bench/runtime.ts does (waitPod's 100 ms tick would round both up)
    for (let k = 0; ; k++) {
      const s = await host!.pod(uid)
      if (s?.containers[0]?.state === 'terminated') break
      if (k > 3000) throw new Error(`pod ${uid} did not exit: ${JSON.stringify(s)}`)
      await new Promise((r) => setTimeout(r, 2))
    }
    const apply = ms(t0)
    // the veth goes with the infra's netns once the pod has exited: the runtime's record of the ADD stays until remove
    if (net && !existsSync(join(host!.root, 'pods', uid, 'net', 'ip'))) throw new Error(`pod ${uid} got no network (no CNI ADD recorded)`)
    const t1 = process.hrtime.bigint()
    await host!.client.remove(uid, 0)
    return {apply, remove: ms(t1)}
  }
  const plain: {apply: number; remove: number}[] = []
  const withNet: {apply: number; remove: number}[] = []
  // interleaved, so that load drifting during the run falls on both alike
  for (let i = 0; i < N; i++) {
    plain.push(await once(i, false))
    withNet.push(await once(i, true))
  }

  // the reference: the same plugin and config, driven by hand as a kubelet's runtime would
  const conf = JSON.parse(netFiles({podCIDR: CIDR, gateway: '198.19.7.1', rules: ''}).get('cni/bridge.conf')!)
  conf.ipam.dataDir = join(work, 'ipam')
  const confFile = join(work, 'bridge.conf')
  writeFileSync(confFile, JSON.stringify(conf))
  const cni = (command: string, id: string, netns: string, ip: string) =>
    run(['nsenter', `--net=/run/netns/${NS}`, '--', '/usr/lib/cni/bridge'], {
      ...process.env,
      CNI_COMMAND: command,
      CNI_CONTAINERID: id,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/usr/lib/cni',
      CNI_ARGS: `IgnoreUnknown=1;IP=${ip}`,
    }, JSON.stringify(conf))
  const add: number[] = []
  const del: number[] = []
  for (let i = 0; i < N; i++) {
    const id = `bench-ref-${process.pid}-${i}`
    const ns = `tsctl-brn-${process.pid}-r${i}`
    const ip = `198.19.7.${100 + i}`
    const t0 = process.hrtime.bigint()
    run(['ip', 'netns', 'add', ns])
    refNs.push(ns)
    cni('ADD', id, `/run/netns/${ns}`, ip)
    add.push(ms(t0))
    const t1 = process.hrtime.bigint()
    cni('DEL', id, `/run/netns/${ns}`, ip)
    run(['ip', 'netns', 'del', ns])
    refNs.pop()
    del.push(ms(t1))
  }

  const pa = median(plain.map((x) => x.apply))
  const pan = median(withNet.map((x) => x.apply))
  const pr = median(plain.map((x) => x.remove))
  const prn = median(withNet.map((x) => x.remove))
  console.log(
    `bench runtime-net pod_apply_ms=${fmt(pa)} pod_apply_net_ms=${fmt(pan)} net_setup_ms=${fmt(pan - pa)} pod_remove_ms=${fmt(pr)} pod_remove_net_ms=${fmt(prn)} net_teardown_ms=${fmt(prn - pr)} cni_direct_ms=${fmt(median(add))} cni_direct_del_ms=${fmt(median(del))} pods=${N}`,
  )
} finally {
  for (const ns of refNs) removeNetns(ns)
  if (host) {
    const left = await host.cleanup()
    if (left.length) console.error(`left behind: ${left.join(', ')}`)
  }
  removeNetns(NS)
  rmSync(work, {recursive: true, force: true})
}
