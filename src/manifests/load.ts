/**
 * load: a commit of a manifests repo → Desired (validated, defaulted,
 * sorted). The entry point of the manifests part; see README.md here.
 */
import {ExitCode, UserError, type Diagnostic} from '../errors.js'
import {configFile, defaultPodSecurity, parseConfig, selectFiles, type PodSecurityConfig} from './config.js'
import {applyDefaults} from './defaults.js'
import {caFileProblem, type RegistryConfig} from './config-registries.js'
import type {NetworkConfig} from '../net/config.js'
import {readFile} from 'node:fs/promises'
import type {CommitInfo, Desired, DesiredObject} from './desired.js'
import {openCommit, type GitFile} from './git.js'
import {keyOf, type KubeObject} from './object.js'
import {sortDiagnostics} from './report.js'
import {inlineLocalhostProfiles} from './seccomp-localhost.js'
import {validateDocuments} from './validate.js'
import {validateNetwork} from './validate-network.js'
import {parseYamlFile, type YamlDoc} from './yaml.js'
import {openSopsManifests, type SecretKeysNeed} from '../secrets/open-manifests.js'
import {useKeyFile} from '../secrets/keyring.js'

export interface LoadOptions {
  /** the repository (a work tree or a bare repo); default: the current directory */
  repo: string
  /** a branch, tag, sha or any git revision naming a commit; default HEAD */
  ref?: string
  /**
   * SOPS-encrypted Secrets (src/secrets/): `require` (sync) makes a missing
   * age key an error; `optional` (default: diff, validate) checks them only
   * when a key is found. A wrong key or a bad MAC is an error either way.
   */
  secrets?: SecretKeysNeed
}

/**
 * Reads `ref` of `repo` from git objects only (the working tree and index are
 * never looked at), validates every manifest, and applies Kubernetes'
 * defaults. Idempotent and read-only.
 *
 * Throws UserError (exit code 2) carrying every diagnostic when anything is
 * invalid, when `repo` is not a git repository, or when `ref` names no
 * commit. Warnings (skipped kinds, unsupported fields, LoadBalancer) are
 * returned in `desired.warnings`.
 */
export async function loadDesired(opts: LoadOptions): Promise<Desired> {
  const reader = await openCommit(opts.repo, opts.ref ?? 'HEAD')
  const diagnostics: Diagnostic[] = []
  const config = reader.entries.find((e) => e.path === configFile)
  let selection
  let podSecurity
  let registries: Record<string, RegistryConfig> | undefined
  let network: NetworkConfig | undefined
  let keyFile: string | undefined
  if (config) {
    const [{text}] = await reader.read([config])
    if (text === undefined) diagnostics.push({severity: 'error', file: configFile, message: 'tsctl.yaml is not UTF-8 text'})
    else {
      const parsed = parseConfig(text)
      diagnostics.push(...parsed.diagnostics)
      selection = parsed.selection
      podSecurity = parsed.podSecurity
      registries = parsed.registries
      network = parsed.network
      keyFile = parsed.secrets?.keyFile
    }
  }
  useKeyFile(keyFile, opts.repo)
  const selected = selectFiles(reader.entries.map((e) => e.path), selection)
  diagnostics.push(...selected.diagnostics)
  const wanted = new Set(selected.files)
  const files: GitFile[] = []
  for (const {entry, text} of await reader.read(reader.entries.filter((e) => wanted.has(e.path)))) {
    if (text === undefined) diagnostics.push({severity: 'error', file: entry.path, message: 'not UTF-8 text', hint: 'manifests are UTF-8 YAML'})
    else files.push({path: entry.path, text})
  }
  const byPath = new Map(reader.entries.map((e) => [e.path, e]))
  if (registries) {
    for (const [host, c] of Object.entries(registries)) {
      if (!c.caFile) continue
      if (c.caFile.startsWith('/')) {
        try {
          c.caPem = await readFile(c.caFile, 'utf8')
        } catch (e) {
          diagnostics.push(caFileProblem(host, c, String((e as NodeJS.ErrnoException).code ?? e)))
        }
        continue
      }
      const entry = byPath.get(c.caFile.replace(/^\.\//, ''))
      const text = entry ? (await reader.read([entry]))[0]?.text : undefined
      if (text === undefined) diagnostics.push(caFileProblem(host, c, entry ? 'not text' : 'no such file in the commit'))
      else c.caPem = text
    }
  }
  const desired = desiredFromFiles(files, reader.commit, diagnostics, podSecurity, opts.secrets)
  if (registries && Object.keys(registries).length) desired.registries = registries
  if (network) desired.network = network
  else {
    const svc = desired.objects.find((d) => d.object.kind === 'Service')
    if (svc) {
      desired.warnings.push({
        severity: 'warning', file: svc.source.file, line: svc.source.line, col: svc.source.col, object: keyOf(svc.object),
        message: 'Services have no effect: tsctl.yaml has no network: section, so pods have loopback only and no cluster IP or node port answers',
        hint: 'add `network: {}` to tsctl.yaml for the pod network with its defaults (docs/networking.md)',
      })
    }
  }
  const netProblems = network ? validateNetwork(desired.objects, network) : []
  const problems = netProblems.length ? netProblems : await inlineLocalhostProfiles(desired.objects, async (paths) => {
    const found = paths.map((p) => byPath.get(p)).filter((e): e is NonNullable<typeof e> => e !== undefined)
    const out = new Map<string, string | undefined>()
    for (const {entry, text} of await reader.read(found)) out.set(entry.path, text)
    return out
  })
  if (problems.length) {
    throw new UserError(`${problems.length} error${problems.length === 1 ? '' : 's'} in the manifests at ${reader.commit.sha.slice(0, 12)}; nothing was applied`, ExitCode.invalid, sortDiagnostics([...problems, ...desired.warnings]))
  }
  return desired
}

/**
 * The pure half of loadDesired: manifest files (path + text) of one commit
 * → Desired. For tests and for callers that already hold the files.
 * `earlier` are diagnostics found before parsing (e.g. in tsctl.yaml).
 * Throws UserError (exit 2) when any diagnostic is an error.
 */
export function desiredFromFiles(files: GitFile[], commit: CommitInfo, earlier: Diagnostic[] = [], podSecurity: PodSecurityConfig = defaultPodSecurity, secretKeys: SecretKeysNeed = 'optional'): Desired {
  const diagnostics = [...earlier]
  const docs: YamlDoc[] = []
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const parsed = parseYamlFile(f.path, f.text)
    diagnostics.push(...parsed.diagnostics)
    docs.push(...parsed.docs)
  }
  // SOPS Secrets lose their sops: block for validation and get it back below: the state keeps them encrypted
  const sops = openSopsManifests(docs, secretKeys)
  diagnostics.push(...sops.diagnostics)
  const sopsOf = new Map([...sops.metadata].map(([d, m]) => [`${d.file}\0${d.doc}`, m]))
  const validated = validateDocuments(docs, podSecurity)
  diagnostics.push(...validated.diagnostics)
  if (files.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    diagnostics.push({severity: 'warning', message: `no manifests in commit ${commit.sha.slice(0, 12)}`, hint: 'commit *.yaml files, or list them under manifests: in tsctl.yaml'})
  }
  const sorted = sortDiagnostics(diagnostics)
  const errors = sorted.filter((d) => d.severity === 'error')
  if (errors.length) {
    throw new UserError(
      `${errors.length} error${errors.length === 1 ? '' : 's'} in the manifests at ${commit.sha.slice(0, 12)}; nothing was applied`,
      ExitCode.invalid,
      sorted,
    )
  }
  const objects: DesiredObject[] = validated.objects.map((v) => {
    const object = applyDefaults(v.object)
    const meta = sopsOf.get(`${v.source.file}\0${v.source.doc}`)
    if (meta) (object as KubeObject & {sops?: unknown}).sops = meta
    return {object, source: v.source}
  })
  objects.sort((a, b) => {
    const ka = keyOf(a.object)
    const kb = keyOf(b.object)
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })
  return {commit, objects, warnings: sorted}
}
