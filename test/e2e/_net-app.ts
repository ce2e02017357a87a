// Shared pieces of the pod-network fleet tests and benches (e2e/network*,
// bench/net.ts, bench/endpoints.ts): the skip reason, the tsctl.yaml whose
// ranges stay inside 198.18.0.0/15 (hosts 198.19.25x.0/24, pods
// 198.19.0.0/17, services 198.18.128.0/17), a web Deployment of busybox
// httpd pods, commands inside a host's namespaces, and a reading of the
// host's `tsctl` table.
import {accessSync} from 'node:fs'
import type {Fleet, FleetHost} from '../fleet/fleet.js'
import {NsenterTransport, e2eSkipReason} from './_fleet-app.js'

const NET_TOOLS: Record<string, string> = {
  '/usr/lib/cni/bridge': 'containernetworking-plugins',
  '/usr/lib/cni/host-local': 'containernetworking-plugins',
  '/usr/lib/cni/portmap': 'containernetworking-plugins',
  '/usr/sbin/nft': 'nftables',
  '/usr/sbin/dnsmasq': 'dnsmasq-base',
}

/** Why the pod network cannot be tested here (no fleet, a missing part; EXTRA: more binaries → package), or undefined. */
export function netSkipReason(extra: Record<string, string> = {}): string | undefined {
  const r = e2eSkipReason()
  if (r) return r
  const tools = {...NET_TOOLS, ...extra}
  for (const [tool, pkg] of Object.entries(tools)) {
    try {
      accessSync(tool)
    } catch {
      return `${tool} is missing (apt-get install ${[...new Set(Object.values(tools))].join(' ')}; this one is in ${pkg})`
    }
  }
  return undefined
}

/** tsctl.yaml with the pod network on, inside the benchmarking range; EXTRA is appended as is. */
export function netConfig(extra = ''): string {
  return `manifests:\n  - manifests/\nnetwork:\n  pods: 198.19.0.0/17\n  services: 198.18.128.0/17\n${extra}`
}

/**
 * A web Deployment of busybox httpd pods spread one per host: each serves its
 * hostname (or `ok`) at / and is ready while /w/ready exists (httpGet probe,
 * `periodMs`, failureThreshold 1), so a test fails its readiness with `rm /w/ready`.
 */
export function webDeploymentYaml(o: {replicas?: number; periodMs?: number; body?: 'hostname' | 'ok'} = {}): string {
  const body = o.body === 'ok' ? 'echo ok' : 'hostname'
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${o.replicas ?? 3}
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}
      containers:
        - name: web
          image: oci:images/busybox
          command: [sh, -c, 'mkdir -p /w && ${body} > /w/index.html && echo ok > /w/ready && exec httpd -f -p 8080 -h /w']
          ports:
            - {name: http, containerPort: 8080}
          readinessProbe:
            httpGet: {path: /ready, port: http}
            periodSeconds: ${(o.periodMs ?? 1000) / 1000}
            failureThreshold: 1
`
}

/** stdout of ARGV inside host H's namespaces (no SSH). */
export async function onHost(fleet: Fleet, h: FleetHost, argv: string[]): Promise<string> {
  const t = new NsenterTransport(fleet, h)
  try {
    return (await t.exec(argv)).stdout.toString()
  } finally {
    await t.close()
  }
}

/** Host H's `tsctl` nftables table, as `nft list` prints it. */
export function tsctlTable(fleet: Fleet, h: FleetHost): Promise<string> {
  return onHost(fleet, h, ['nft', 'list', 'table', 'ip', 'tsctl'])
}

/**
 * Whether a host's load-balancing rules send traffic to IP: the endpoint
 * chains that DNAT to it stay defined while the pod is not ready; only the
 * `numgen … vmap` rules (what the runtime renders from its `#lb` lines)
 * leave them out.
 */
export function inRotation(table: string, ip: string): boolean {
  const seps = table.split(/\n\s*chain /).filter((c) => c.includes(`dnat to ${ip}:`)).map((c) => c.split(/\s/)[0])
  return table.split('\n').some((l) => l.includes('numgen') && seps.some((sep) => l.includes(`goto ${sep}`)))
}
