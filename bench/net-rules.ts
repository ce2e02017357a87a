// The rule update time for a Service with many endpoints (issue 11): one
// ClusterIP + NodePort Service whose N endpoints run on 10 other nodes, on a
// real runtime host in a network namespace of its own (test/host/_net.ts:
// bridge, routes, the `tsctl` nftables table, dnsmasq). One update is what
// the next sync pass does on a host when one of the N pods was replaced:
//   render_ms: the CLI renders the node's network files (src/net/, pure)
//   update_ms: `net-apply` of them on the host until it returns (transport,
//              tar, the host's #lb rendering, one `nft -f` transaction, the
//              idempotent bridge/route/dnsmasq checks); the local transport
//              stands in for SSH (add one command round trip, bench:ssh)
//   nft_ms:    the reference, measured side by side: plain `nft -f` of the
//              very file the host loaded (the same table replaced in one
//              transaction), which is the floor any tool pays for this table
// Prints one line per size, medians of BENCH_N (default 9) updates:
//   bench net endpoints=N update_ms=… render_ms=… nft_ms=… vs_nft=… rules_lines=…
// Env: BENCH_NET_ENDPOINTS (default 10,100,1000), BENCH_N.
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {nodeNetworkFiles} from '../src/net/node-files.js'
import type {NetEndpoints, NetNode, NetService} from '../src/net/types.js'
import {netConfig} from '../test/unit/net/builders.js'
import {makeNetns, netHost, netSkipReason, removeNetns, type NetHost} from '../test/host/_net.js'

const skip = netSkipReason()
if (skip) {
  console.log(`SKIP: ${skip}`)
  process.exit(0)
}
const SIZES = (process.env.BENCH_NET_ENDPOINTS ?? '10,100,1000').split(',').map(Number)
const N = Number(process.env.BENCH_N ?? 9)
const REMOTE_NODES = 10

const config = netConfig()
const self: NetNode = {name: 'bench-self', podCIDR: '198.19.0.0/24', address: '198.18.0.1'}
const nodes: NetNode[] = [self, ...Array.from({length: REMOTE_NODES}, (_, i) => ({name: `bench-n${i + 1}`, podCIDR: `198.19.${i + 1}.0/24`, address: `198.18.0.${i + 2}`}))]
const service: NetService = {
  metadata: {name: 'web', namespace: 'default', uid: 'uid-svc-web'},
  spec: {type: 'NodePort', selector: {app: 'web'}, clusterIP: '198.18.128.10', ports: [{name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080}]},
}

/** N endpoints spread over the remote nodes; `generation` replaces the last one (a rolled pod: new name, new IP). */
function endpoints(n: number, generation: number): NetEndpoints {
  const addresses = Array.from({length: n}, (_, i) => {
    const node = i % REMOTE_NODES
    const slot = Math.floor(i / REMOTE_NODES)
    const last = i === n - 1
    const host = last ? 2 + slot + (generation % 2) * 120 : 2 + slot
    const name = last ? `web-${i}-g${generation}` : `web-${i}`
    return {ip: `198.19.${node + 1}.${host}`, nodeName: nodes[node + 1].name, targetRef: {kind: 'Pod', namespace: 'default', name, uid: `uid-${name}`}}
  })
  return {metadata: {name: 'web', namespace: 'default'}, subsets: [{addresses, ports: [{name: 'http', port: 8080, protocol: 'TCP'}]}]}
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const NS = `tsctl-bnr-${process.pid}`
let host: NetHost | undefined
try {
  makeNetns(NS, `${self.address}/24`)
  host = await netHost(NS, self.address!)
  for (const n of SIZES) {
    if (n > REMOTE_NODES * 118) throw new Error(`BENCH_NET_ENDPOINTS: at most ${REMOTE_NODES * 118} endpoints`)
    const render: number[] = []
    const update: number[] = []
    const nft: number[] = []
    // generation 0 is the first apply (bridge, dnsmasq): not timed
    for (let g = 0; g <= N; g++) {
      const t0 = process.hrtime.bigint()
      const files = nodeNetworkFiles({config, node: self, nodes, services: [service], endpoints: [endpoints(n, g)], pods: []})
      const tRender = ms(t0)
      const t1 = process.hrtime.bigint()
      await host.client.netApply(files.hash, files.files)
      const tUpdate = ms(t1)
      const loaded = join(host.root, 'net', 'rules.loaded')
      const t2 = process.hrtime.bigint()
      const r = spawnSync('nsenter', [`--net=/run/netns/${NS}`, '--', 'nft', '-f', loaded], {encoding: 'utf8'})
      const tNft = ms(t2)
      if (r.status !== 0) throw new Error(`nft -f ${loaded}: ${r.stderr}`)
      if (g === 0) continue
      render.push(tRender)
      update.push(tUpdate)
      nft.push(tNft)
    }
    // The rules must hold every endpoint: a bench of an empty table proves nothing.
    const table = host.ns(['nft', 'list', 'table', 'ip', 'tsctl'])
    const seps = new Set(table.match(/chain sep-[a-z0-9-]+/g) ?? []).size
    if (seps !== n) throw new Error(`the loaded table has ${seps} endpoint chains, not ${n}`)
    const lines = readFileSync(join(host.root, 'net', 'rules.loaded'), 'utf8').split('\n').length
    const u = median(update)
    const f = median(nft)
    console.log(`bench net endpoints=${n} update_ms=${u.toFixed(1)} render_ms=${median(render).toFixed(2)} nft_ms=${f.toFixed(1)} vs_nft=${(u / f).toFixed(2)} rules_lines=${lines} updates=${N}`)
  }
} finally {
  if (host) {
    const left = await host.cleanup()
    if (left.length) console.error(`left behind: ${left.join(', ')}`)
  }
  removeNetns(NS)
}
