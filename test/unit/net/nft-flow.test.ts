// Packets through rules.nft, for real: one node (a network namespace with
// the bridge, two pods on it and an uplink to an outside client), the rules
// serviceRules writes for it applied with their #lb lines rendered as
// docs/networking.md says, and TCP connections whose answers show where
// they landed and with which source address. Everything lives in network
// namespaces this file creates and deletes.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {serviceRules} from '../../../src/net/service-rules.js'
import {testUnless} from '../../fixtures/skip.js'
import {addr, endpoints, netConfig, nodeA, renderLb, svc} from './builders.js'

function why(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)'
  for (const tool of ['nft', 'ip', 'bridge']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install nftables iproute2)`
  }
  return undefined
}
const maybe = testUnless(why(), 'packets through rules.nft')

const tag = `tsctl-flow-${process.pid}`
const NODE = `${tag}-node`, OUT = `${tag}-out`, PA = `${tag}-pa`, PB = `${tag}-pb`

// pod A (198.19.0.2) serves web and loc
const services = [
  svc('web', '198.18.128.10', {type: 'NodePort', ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}),
  svc('none', '198.18.128.11', {type: 'NodePort', ports: [{port: 80, nodePort: 30081}]}),
  svc('loc', '198.18.128.12', {type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{port: 80, targetPort: 8080, nodePort: 30082}]}),
]
const eps = ['web', 'loc'].map((n) => endpoints(n, [addr('198.19.0.2', 'node-a', 'pod-a')], [], [{port: 8080}]))

function rendered(): string {
  return renderLb(serviceRules({config: netConfig(), node: nodeA, services, endpoints: eps}))
}

const SETUP = `set -e
ex() { ip netns exec "$@"; }
for n in ${NODE} ${OUT} ${PA} ${PB}; do ip netns add $n; ex $n ip link set lo up; done
ex ${NODE} sysctl -qw net.ipv4.ip_forward=1
ex ${NODE} ip link add tsctl0 type bridge
ex ${NODE} ip addr add 198.19.0.1/24 dev tsctl0
ex ${NODE} ip link set tsctl0 up
i=2
for p in ${PA} ${PB}; do
  v=v$i
  ex ${NODE} ip link add $v type veth peer name eth0 netns $p
  ex ${NODE} ip link set $v master tsctl0 up
  ex ${NODE} bridge link set dev $v hairpin on
  ex $p ip addr add 198.19.0.$i/24 dev eth0
  ex $p ip link set eth0 up
  ex $p ip route add default via 198.19.0.1
  i=$((i+1))
done
ex ${NODE} ip link add up0 type veth peer name eth0 netns ${OUT}
ex ${NODE} ip addr add 198.18.0.10/24 dev up0
ex ${NODE} ip link set up0 up
ex ${NODE} ip route add default via 198.18.0.99
ex ${OUT} ip addr add 198.18.0.99/24 dev eth0
ex ${OUT} ip link set eth0 up
ex ${OUT} ip route add default via 198.18.0.10
`

const SERVER = `const [name, port] = process.argv.slice(1)
require('net').createServer((c) => c.end(name + ' ' + c.remoteAddress.replace('::ffff:', '') + '\\n')).listen(Number(port), '0.0.0.0', () => console.log('ready'))`
const CLIENT = `const [host, port] = process.argv.slice(1)
const s = require('net').connect({host, port: Number(port), timeout: 1500})
let out = ''
s.on('data', (d) => (out += d)).on('end', () => console.log(out.trim()))
s.on('timeout', () => { console.log('timeout'); s.destroy() })
s.on('error', (e) => console.log(e.code === 'ECONNREFUSED' ? 'refused' : e.code))`

const servers: ChildProcess[] = []
let dir = ''

function serve(ns: string, name: string, port: number): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, name, String(port)], {stdio: ['ignore', 'pipe', 'inherit']})
  servers.push(child)
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`server ${name} exited ${code}`)))
  })
}

/** What a TCP client in `ns` gets from host:port: the server's `NAME SOURCE-IP`, `refused` or `timeout`. */
function connect(ns: string, host: string, port: number): string {
  return execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', CLIENT, host, String(port)], {encoding: 'utf8'}).trim()
}

test.before(async () => {
  if (why()) return
  execFileSync('sh', ['-c', SETUP])
  dir = mkdtempSync(join(tmpdir(), 'tsctl-flow-'))
  writeFileSync(join(dir, 'rules.nft'), rendered())
  execFileSync('ip', ['netns', 'exec', NODE, 'nft', '-f', join(dir, 'rules.nft')])
  await serve(PA, 'A', 8080)
  await serve(PB, 'B', 7000)
  await serve(OUT, 'X', 9000)
  // a host process on a node port: kube-proxy rejects before it sees a connection
  await serve(NODE, 'N', 30081)
})

test.after(() => {
  for (const s of servers) if (s.pid && s.exitCode === null) s.kill()
  for (const n of [NODE, OUT, PA, PB]) spawnSync('ip', ['netns', 'delete', n])
  if (dir) rmSync(dir, {recursive: true, force: true})
})

maybe('pod → cluster IP: DNAT to the endpoint, the client’s address kept', () => {
  assert.is(connect(PB, '198.18.128.10', 80), 'A 198.19.0.3')
})

maybe('pod → its own Service (hairpin): masqueraded to the gateway, so the answer comes back', () => {
  assert.is(connect(PA, '198.18.128.10', 80), 'A 198.19.0.1')
})

maybe('pod → pod: no NAT', () => {
  assert.is(connect(PA, '198.19.0.3', 7000), 'B 198.19.0.2')
})

maybe('pod → outside: masqueraded to the node’s address', () => {
  assert.is(connect(PA, '198.18.0.99', 9000), 'X 198.18.0.10')
})

maybe('rejected, not dropped: no endpoint, an unknown port, an unallocated cluster IP', () => {
  assert.is(connect(PB, '198.18.128.11', 80), 'refused')
  assert.is(connect(PB, '198.18.128.10', 81), 'refused')
  assert.is(connect(PB, '198.18.128.50', 80), 'refused')
  assert.is(connect(NODE, '198.18.128.11', 80), 'refused')
})

maybe('the node itself → cluster IP and node port', () => {
  assert.is(connect(NODE, '198.18.128.10', 80), 'A 198.19.0.1')
  assert.is(connect(NODE, '198.18.0.10', 30080), 'A 198.19.0.1')
})

maybe('node port, externalTrafficPolicy Cluster: masqueraded; without endpoints: refused, even with a host process on it', () => {
  assert.is(connect(OUT, '198.18.0.10', 30080), 'A 198.19.0.1')
  assert.is(connect(OUT, '198.18.0.10', 30081), 'refused')
  assert.is(connect(NODE, '198.18.0.10', 30081), 'refused')
})

maybe('node port, externalTrafficPolicy Local: the client’s address reaches the pod', () => {
  assert.is(connect(OUT, '198.18.0.10', 30082), 'A 198.18.0.99')
  assert.is(connect(PB, '198.18.0.10', 30082), 'A 198.19.0.3')
})

test.run()
