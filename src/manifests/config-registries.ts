/**
 * `registries:` in tsctl.yaml: per-registry settings for pulls, as
 * containerd's `hosts.toml` keeps them (one entry per registry host).
 *
 *     registries:
 *       registry.internal:5000:
 *         insecure: true            # plain HTTP (loopback registries need no entry: Docker's default)
 *       registry.example.com:
 *         ca: certs/registry-ca.pem # a PEM file in this commit (relative) or on the CLI machine (absolute)
 *       docker.io:
 *         mirrors: [mirror.example.com, "https://mirror2.example.com/v2-proxy"]
 *
 * Mirrors are tried in order for pulls, then the registry itself.
 */
import type {Diagnostic} from '../errors.js'

export interface RegistryConfig {
  insecure?: boolean
  /** the CA file as written (read by loadDesired into `caPem`) */
  caFile?: string
  /** PEM text of `caFile` */
  caPem?: string
  mirrors?: string[]
  /** where the entry is in tsctl.yaml, for errors about it */
  line?: number
}

const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]{1,5})?$|^\[[0-9a-fA-F:]+\](?::[0-9]{1,5})?$/
const MIRROR = /^(?:https?:\/\/)?[^\s/]+(?:\/[^\s]*)?$/

/**
 * Parses `registries:`. ERR reports a problem at a JSON pointer (tsctl.yaml
 * position); bad entries are left out of the result.
 */
export function parseRegistries(v: unknown, err: (pointer: string, message: string, hint?: string) => void, lineOf: (pointer: string) => number | undefined): Record<string, RegistryConfig> {
  const out: Record<string, RegistryConfig> = {}
  if (v === undefined || v === null) return out
  const example = 'e.g. `registries: {"registry.internal:5000": {insecure: true}}`'
  if (typeof v !== 'object' || Array.isArray(v)) {
    err('/registries', 'registries must be a mapping of registry host to settings', example)
    return out
  }
  for (const [host, raw] of Object.entries(v as Record<string, unknown>)) {
    const p = `/registries/${host.replace(/~/g, '~0').replace(/\//g, '~1')}`
    if (!HOST.test(host)) {
      err(p, `registries: ${JSON.stringify(host)} is not a registry host[:port]`, 'write the host as in the image reference, e.g. registry.example.com:5000 or docker.io')
      continue
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      err(p, `registries.${host} must be a mapping (insecure, ca, mirrors)`, example)
      continue
    }
    const o = raw as Record<string, unknown>
    const c: RegistryConfig = {}
    const line = lineOf(p)
    if (line !== undefined) c.line = line
    for (const k of Object.keys(o)) if (!['insecure', 'ca', 'mirrors'].includes(k)) err(`${p}/${k}`, `unknown field "${k}" in registries.${host}`, 'a registry has insecure, ca and mirrors')
    if (o.insecure !== undefined) {
      if (typeof o.insecure !== 'boolean') err(`${p}/insecure`, `registries.${host}.insecure must be true or false`)
      else if (o.insecure) c.insecure = true
    }
    if (o.ca !== undefined) {
      if (typeof o.ca !== 'string' || o.ca === '' || (!o.ca.startsWith('/') && o.ca.split('/').includes('..'))) err(`${p}/ca`, `registries.${host}.ca must be a path to a PEM file (relative to the repo root, or absolute)`)
      else c.caFile = o.ca
    }
    if (o.mirrors !== undefined) {
      if (!Array.isArray(o.mirrors)) err(`${p}/mirrors`, `registries.${host}.mirrors must be a list of hosts or URLs`)
      else {
        c.mirrors = []
        o.mirrors.forEach((m: unknown, i: number) => {
          if (typeof m !== 'string' || !MIRROR.test(m)) err(`${p}/mirrors/${i}`, `${JSON.stringify(m)} is not a mirror host or http(s) URL`)
          else c.mirrors!.push(m)
        })
      }
    }
    out[host] = c
  }
  return out
}

/** Diagnostics for CA files that could not be read, naming the registry and the file. */
export function caFileProblem(host: string, c: RegistryConfig, why: string): Diagnostic {
  return {
    severity: 'error',
    file: 'tsctl.yaml',
    ...(c.line !== undefined ? {line: c.line} : {}),
    field: `registries.${host}.ca`,
    message: `registries.${host}.ca: cannot read ${c.caFile}: ${why}`,
    hint: 'commit the PEM file at that path (relative to the repo root) or give an absolute path on the machine that runs tsctl',
  }
}
