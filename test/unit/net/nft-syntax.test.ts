// The real check of rules.nft: the kernel's nftables accepts the script
// serviceRules writes, once the host has rendered its #lb lines the way
// docs/networking.md says. Runs `nft -c -f` (the kernel validates and
// aborts) and then really applies it twice (a fresh table, then the
// atomic replace of an existing one), inside a network namespace of its
// own, so the machine's rules are never touched.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {serviceRules} from '../../../src/net/service-rules.js'
import {testUnless} from '../../fixtures/skip.js'
import {addr, endpoints, netConfig, nodeA, renderLb, svc} from './builders.js'

function why(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)'
  for (const tool of ['nft', 'ip', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install nftables iproute2 util-linux)`
  }
  return undefined
}
const maybe = testUnless(why(), 'nft accepts rules.nft')

const port = (name: string, p: number, extra: object = {}) => ({name, port: p, targetPort: p + 8000, ...extra})
const services = [
  svc('web', '198.18.128.10', {ports: [port('http', 80), port('dns', 53, {protocol: 'UDP'})]}),
  svc('sticky', '198.18.128.11', {type: 'NodePort', sessionAffinity: 'ClientIP', ports: [port('http', 80, {nodePort: 30080})]}),
  svc('local', '198.18.128.12', {type: 'LoadBalancer', externalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: 30}}, ports: [port('http', 80, {nodePort: 30081}), port('sctp', 9, {protocol: 'SCTP', nodePort: 30082})]}),
  svc('noeps', '198.18.128.13', {type: 'NodePort', ports: [port('http', 80, {nodePort: 30083})]}),
  svc('db', 'None'),
]
const webPorts = [{name: 'http', port: 8080}, {name: 'dns', port: 8053, protocol: 'UDP' as const}]
const eps = [
  endpoints('web', [addr('198.19.0.2', 'node-a', 'web-a'), addr('198.19.1.2', 'node-b', 'web-b')], [addr('198.19.0.3', 'node-a', 'web-a2')], webPorts),
  endpoints('sticky', [addr('198.19.0.4', 'node-a', 'sticky-a'), addr('198.19.2.4', 'node-c', 'sticky-c')], [], [{name: 'http', port: 8080}]),
  endpoints('local', [addr('198.19.0.5', 'node-a', 'local-a'), addr('198.19.1.5', 'node-b', 'local-b')], [], [{name: 'http', port: 8080}, {name: 'sctp', port: 8009, protocol: 'SCTP'}]),
  endpoints('db', [addr('198.19.0.6', 'node-a', 'db-0')]),
]
const script = serviceRules({config: netConfig(), node: nodeA, services, endpoints: eps})

let dir = ''
let ns = ''
function nft(file: string, check: boolean): {status: number | null; stderr: string} {
  const r = spawnSync('nsenter', [`--net=/run/netns/${ns}`, 'nft', ...(check ? ['-c'] : []), '-f', file], {encoding: 'utf8'})
  return {status: r.status, stderr: r.stderr}
}

test.before(() => {
  if (why()) return
  dir = mkdtempSync(join(tmpdir(), 'tsctl-nft-'))
  ns = `tsctl-nft-${process.pid}`
  execFileSync('ip', ['netns', 'add', ns])
})

test.after(() => {
  if (ns) spawnSync('ip', ['netns', 'delete', ns])
  if (dir) rmSync(dir, {recursive: true, force: true})
})

maybe('every local endpoint ready: nft -c accepts the rendered script', () => {
  const text = renderLb(script, () => true)
  assert.match(text, /numgen random mod 2 vmap/)
  assert.match(text, /ip saddr @aff-[0-9a-f]{16} goto sep-[0-9a-f]{16}/)
  const file = join(dir, 'ready.nft')
  writeFileSync(file, text)
  const r = nft(file, true)
  assert.is(r.status, 0, r.stderr)
})

maybe('no local endpoint ready: the `reject` the host writes is accepted too', () => {
  const text = renderLb(script, () => false)
  assert.match(text, /^\t\treject$/m)
  const file = join(dir, 'unready.nft')
  writeFileSync(file, text)
  const r = nft(file, true)
  assert.is(r.status, 0, r.stderr)
})

maybe('applied for real twice: the first creates the table, the second replaces it in one transaction', () => {
  const file = join(dir, 'apply.nft')
  writeFileSync(file, renderLb(script, () => true))
  for (let i = 0; i < 2; i++) {
    const r = nft(file, false)
    assert.is(r.status, 0, r.stderr)
  }
  const listed = execFileSync('nsenter', [`--net=/run/netns/${ns}`, 'nft', 'list', 'table', 'ip', 'tsctl'], {encoding: 'utf8'})
  assert.match(listed, /198\.18\.128\.10 \. tcp \. 80 : goto svc-/)
  assert.match(listed, /udp \. 30080|tcp \. 30080/)
  const tables = execFileSync('nsenter', [`--net=/run/netns/${ns}`, 'nft', 'list', 'tables'], {encoding: 'utf8'})
  assert.is(tables.trim(), 'table ip tsctl')
})

maybe('an unrendered #lb line is only a comment: the script stays valid before the host touches it', () => {
  const file = join(dir, 'raw.nft')
  writeFileSync(file, script)
  const r = nft(file, true)
  assert.is(r.status, 0, r.stderr)
})

test.run()
