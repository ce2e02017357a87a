/**
 * `tsctl.yaml` at the repo root: which files hold the manifests.
 *
 *     manifests:          # a path or a list of paths, relative to the repo root
 *       - manifests/      # a directory: every *.yaml / *.yml below it
 *       - extra/web.yaml  # one file
 *
 * Without `tsctl.yaml` (or without `manifests:` in it) every *.yaml / *.yml
 * of the commit is read, except under hidden directories (`.github/`, …).
 * Other top-level keys belong to other parts of tsctl and are not read here.
 */
import type {PodSecurityLevel} from './pod-security.js'
import type {Diagnostic} from '../errors.js'
import {parseYamlFile} from './yaml.js'
import {parseRegistries, type RegistryConfig} from './config-registries.js'
import {parseNetwork} from './config-network.js'
import type {NetworkConfig} from '../net/config.js'
import {parseSecrets, type SecretsConfig} from './config-secrets.js'
import {parseStateSection} from '../state/etcd-config.js'

export const configFile = 'tsctl.yaml'

/** The parsed `manifests:` selection, or undefined when absent (read everything). */
export interface ManifestSelection {
  paths: {path: string; line?: number; col?: number}[]
}

const isYaml = (p: string) => /\.ya?ml$/i.test(p)
const hidden = (p: string) => p.split('/').some((s) => s.startsWith('.'))

/**
 * `podSecurity:` in tsctl.yaml: the Pod Security Standards level of a
 * namespace without `pod-security.kubernetes.io/enforce` (Kubernetes'
 * default is privileged; tsctl's is baseline), and the hostPath prefixes
 * a pod may mount at all.
 */
export interface PodSecurityConfig {
  default: PodSecurityLevel
  /** when set, a hostPath outside every prefix is refused at any level, and one inside passes baseline */
  hostPaths?: string[]
}

export const defaultPodSecurity: PodSecurityConfig = {default: 'baseline'}
const levels: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted']

/** Parses tsctl.yaml's text. Problems come back as diagnostics naming the file and line. */
export function parseConfig(text: string): {selection?: ManifestSelection; podSecurity?: PodSecurityConfig; registries?: Record<string, RegistryConfig>; network?: NetworkConfig; secrets?: SecretsConfig; diagnostics: Diagnostic[]} {
  const {docs, diagnostics} = parseYamlFile(configFile, text)
  if (diagnostics.length || docs.length === 0) return {diagnostics}
  const doc = docs[0]
  const value = doc.value
  const err = (pointer: string, message: string, hint?: string) =>
    diagnostics.push({severity: 'error', ...(doc.positions.get(pointer) ?? doc.pos), file: configFile, field: pointer.slice(1), message, ...(hint ? {hint} : {})})
  if (docs.length > 1) err('', 'tsctl.yaml must hold one document')
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    err('', 'tsctl.yaml must be a mapping', 'e.g. `manifests: [manifests/]`')
    return {diagnostics}
  }
  const podSecurity = parsePodSecurity((value as Record<string, unknown>).podSecurity, err)
  const registries = parseRegistries((value as Record<string, unknown>).registries, err, (p) => doc.positions.get(p)?.line)
  const network = parseNetwork((value as Record<string, unknown>).network, err)
  parseStateSection((value as Record<string, unknown>).state, err) // `state:` is used by the state backends (src/state/etcd-config.ts); checked here so validate reports it
  const secrets = parseSecrets((value as Record<string, unknown>).secrets, err)
  const m = (value as Record<string, unknown>).manifests
  if (m === undefined || m === null) return {podSecurity, registries, network, secrets, diagnostics}
  const list = typeof m === 'string' ? [m] : m
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string')) {
    err('/manifests', 'manifests must be a path or a list of paths', 'e.g. `manifests: [manifests/]`')
    return {podSecurity, registries, network, secrets, diagnostics}
  }
  const paths: ManifestSelection['paths'] = []
  list.forEach((raw: string, i: number) => {
    const pointer = typeof m === 'string' ? '/manifests' : `/manifests/${i}`
    const path = raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '')
    if (raw.startsWith('/') || path.split('/').includes('..')) {
      err(pointer, `${JSON.stringify(raw)} must be a path inside the repository`, 'write it relative to the repo root, e.g. manifests/')
      return
    }
    const pos = doc.positions.get(pointer)
    paths.push({path, ...(pos ? {line: pos.line, col: pos.col} : {})})
  })
  return {selection: {paths}, podSecurity, registries, network, secrets, diagnostics}
}

function parsePodSecurity(v: unknown, err: (pointer: string, message: string, hint?: string) => void): PodSecurityConfig {
  const out: PodSecurityConfig = {...defaultPodSecurity}
  if (v === undefined || v === null) return out
  if (typeof v !== 'object' || Array.isArray(v)) {
    err('/podSecurity', 'podSecurity must be a mapping', 'e.g. `podSecurity: {default: baseline, hostPaths: [/srv/data]}`')
    return out
  }
  const o = v as Record<string, unknown>
  for (const k of Object.keys(o)) if (k !== 'default' && k !== 'hostPaths') err(`/podSecurity/${k}`, `unknown field "${k}" in podSecurity`, 'podSecurity has default and hostPaths')
  if (o.default !== undefined) {
    if (levels.includes(o.default as PodSecurityLevel)) out.default = o.default as PodSecurityLevel
    else err('/podSecurity/default', `podSecurity.default must be one of ${levels.join(', ')}, not ${JSON.stringify(o.default)}`)
  }
  if (o.hostPaths !== undefined) {
    if (!Array.isArray(o.hostPaths)) err('/podSecurity/hostPaths', 'podSecurity.hostPaths must be a list of absolute paths', 'e.g. `hostPaths: [/srv/data, /var/log]`')
    else {
      out.hostPaths = []
      o.hostPaths.forEach((h: unknown, i: number) => {
        if (typeof h !== 'string' || !h.startsWith('/') || h.split('/').includes('..')) err(`/podSecurity/hostPaths/${i}`, `${JSON.stringify(h)} must be an absolute path without ".."`)
        else out.hostPaths!.push(h.length > 1 ? h.replace(/\/+$/, '') : h)
      })
    }
  }
  return out
}

/**
 * The manifest files of a commit: `selection`'s files and directories, or
 * every YAML file outside hidden directories. A selected path that matches
 * nothing is an error (a typo would otherwise read no manifests at all).
 */
export function selectFiles(allPaths: string[], selection: ManifestSelection | undefined): {files: string[]; diagnostics: Diagnostic[]} {
  const diagnostics: Diagnostic[] = []
  if (!selection) {
    return {files: allPaths.filter((p) => isYaml(p) && !hidden(p) && p !== configFile), diagnostics}
  }
  const chosen = new Set<string>()
  for (const s of selection.paths) {
    const prefix = s.path === '' ? '' : s.path + '/'
    const hits = allPaths.filter((p) => p === s.path || (p.startsWith(prefix) && isYaml(p) && !hidden(p.slice(prefix.length))))
    if (hits.length === 0) {
      diagnostics.push({severity: 'error', file: configFile, line: s.line, col: s.col, field: 'manifests', message: `${JSON.stringify(s.path)} matches no file in this commit`, hint: 'is it committed? paths are relative to the repo root'})
    }
    for (const h of hits) {
      if (h === s.path && !isYaml(h)) {
        diagnostics.push({severity: 'error', file: configFile, line: s.line, col: s.col, field: 'manifests', message: `${JSON.stringify(h)} is not a .yaml or .yml file`})
        continue
      }
      if (h !== configFile) chosen.add(h)
    }
  }
  return {files: [...chosen].sort(), diagnostics}
}
