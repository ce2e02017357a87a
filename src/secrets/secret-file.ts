/**
 * `tsctl secret encrypt` and `tsctl secret edit` on a working-tree file
 * (as `sops -e` and `sops edit` are): recipients and rules from the
 * working tree's tsctl.yaml, `secrets:` (src/manifests/config-secrets.ts).
 *
 * `edit` decrypts in memory, writes the plaintext for $EDITOR into a fresh
 * 0700 directory on /dev/shm (tmpfs) when the machine has one, removes it
 * afterwards whatever happens, and re-encrypts keeping the data key, the
 * wrapped keys and the ciphertext of every unchanged value (sops' IV
 * stash), so the git diff of an edit shows only what changed.
 */
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import * as yaml from 'js-yaml'
import {ExitCode, UserError, type Diagnostic} from '../errors.js'
import {configFile, parseConfig} from '../manifests/config.js'
import {defaultEncryptedRegex, type SecretsConfig} from '../manifests/config-secrets.js'
import {parseYamlFile, type YamlDoc} from '../manifests/yaml.js'
import {writeFileAtomic} from '../state/atomic-write.js'
import {lookupAgeKeys} from './keyring.js'
import {checkMetadata, dataKeyMessage, decryptDocs, encryptDocs, MacMismatch, rulesOf, unwrapDataKey, type SopsMetadata} from './sops-file.js'
import {SopsValueError} from './sops-tree.js'

/** tsctl.yaml's `secrets:` from the working tree of REPO (not a commit: encrypting is done before committing). */
export async function workingTreeSecretsConfig(repo: string): Promise<SecretsConfig | undefined> {
  let text: string
  try {
    text = await readFile(join(repo, configFile), 'utf8')
  } catch {
    return undefined
  }
  const parsed = parseConfig(text)
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length) throw new UserError(`${configFile} has ${errors.length} error${errors.length === 1 ? '' : 's'}`, ExitCode.invalid, errors)
  return parsed.secrets
}

function parseDocs(path: string, text: string): YamlDoc[] {
  const {docs, diagnostics} = parseYamlFile(path, text)
  const bad: Diagnostic[] = [...diagnostics]
  for (const d of docs) {
    if (d.value === null || typeof d.value !== 'object' || Array.isArray(d.value)) bad.push({severity: 'error', ...d.pos, file: path, message: 'a document to encrypt must be a mapping'})
  }
  if (bad.some((d) => d.severity === 'error')) throw new UserError(`${path} cannot be read as YAML`, ExitCode.invalid, bad)
  if (docs.length === 0) throw new UserError(`${path} holds no YAML document`, ExitCode.invalid)
  return docs
}

export interface EncryptFileOptions {
  /** recipients given on the command line; default: tsctl.yaml's secrets.age */
  recipients?: string[]
  repo: string
  now?: Date
}

/** The encrypted text of the plaintext YAML file PATH. Throws UserError (exit 2). */
export async function encryptFile(path: string, o: EncryptFileOptions): Promise<string> {
  const cfg = await workingTreeSecretsConfig(o.repo)
  const recipients = o.recipients?.length ? o.recipients : (cfg?.age ?? [])
  if (recipients.length === 0) {
    throw new UserError(`no age recipients to encrypt ${path} for`, ExitCode.invalid, [], `list them in ${configFile}: secrets: {age: [age1…]} (age-keygen -y KEYFILE prints yours), or pass --age age1…`)
  }
  const text = await readText(path)
  const docs = parseDocs(path, text)
  const already = docs.find((d) => 'sops' in (d.value as object))
  if (already) throw new UserError(`${path} is already SOPS-encrypted`, ExitCode.invalid, [{severity: 'error', ...(already.positions.get('/sops') ?? already.pos), file: path, message: 'this document already has a sops: block'}], `change it with tsctl secret edit ${path}`)
  return encryptDocs(docs.map((d) => ({value: d.value, positions: d.positions})), {recipients, rules: {encrypted_regex: cfg?.encryptedRegex ?? defaultEncryptedRegex}, now: o.now ?? new Date()})
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`, ExitCode.invalid)
  }
}

/** Opens a SOPS file for editing: its plaintext documents, and what re-encryption keeps. */
async function openForEdit(path: string, repo: string) {
  const text = await readText(path)
  const docs = parseDocs(path, text)
  const first = docs[0]
  const at = (pointer: string) => ({...(first.positions.get(pointer) ?? first.pos), file: path})
  if (!docs.every((d) => 'sops' in (d.value as object))) throw new UserError(`${path} is not SOPS-encrypted`, ExitCode.invalid, [], `encrypt it first: tsctl secret encrypt -i ${path}`)
  const checked = checkMetadata((first.value as {sops: unknown}).sops)
  if ('problem' in checked) throw new UserError(`${path}: SOPS file ${checked.problem.message}`, ExitCode.invalid, [{severity: 'error', ...at('/sops'), message: checked.problem.message}], checked.problem.hint)
  const meta: SopsMetadata = checked.meta
  for (const d of docs) delete (d.value as {sops?: unknown}).sops
  const cfg = await workingTreeSecretsConfig(repo)
  const keys = lookupAgeKeys({keyFile: cfg?.keyFile, baseDir: repo})
  let key: Buffer
  try {
    key = unwrapDataKey(meta, keys.identities)
  } catch (e) {
    const m = dataKeyMessage(e, meta, path, keys.identities)
    throw new UserError(m.message, ExitCode.invalid, [], `${m.hint} (looked in: ${keys.missed.concat(keys.found).join(', ')})`)
  }
  try {
    const {values, cipher} = decryptDocs(docs.map((d) => ({value: d.value, positions: d.positions})), meta, key)
    return {values, cipher, key, meta}
  } catch (e) {
    if (e instanceof MacMismatch) throw new UserError(`${path}: MAC mismatch: the file was changed after it was encrypted`, ExitCode.invalid, [{severity: 'error', ...at('/sops/mac'), message: 'MAC mismatch'}], 'restore it from git history')
    if (e instanceof SopsValueError) throw new UserError(`${path}: ${e.path.join('.')} does not decrypt (${e.message})`, ExitCode.invalid, [{severity: 'error', ...at(e.pointer), field: e.path.join('.'), message: 'does not decrypt'}], 'restore it from git history')
    throw e
  }
}

/** A private directory for the plaintext an editor needs: tmpfs when there is one. */
async function privateDir(): Promise<string> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
  return mkdtemp(join(base, 'tsctl-secret-'))
}

export interface EditResult {
  changed: boolean
}

/**
 * `secret edit PATH`: runs EDITOR on the plaintext and writes PATH again
 * encrypted when it changed (atomically, keeping its mode). Throws
 * UserError (exit 2) on a missing/wrong key, a bad MAC, invalid YAML after
 * the edit, or an editor that fails.
 */
export async function editFile(path: string, o: {repo: string; editor: string; now?: Date}): Promise<EditResult> {
  const {values, cipher, key, meta} = await openForEdit(path, o.repo)
  const plain = values.map((v) => yaml.dump(v, {noRefs: true, lineWidth: -1})).join('---\n')
  const dir = await privateDir()
  let edited: string
  try {
    const file = join(dir, path.replace(/^.*\//, '') || 'secret.yaml')
    await writeFile(file, plain, {mode: 0o600})
    const r = spawnSync('/bin/sh', ['-c', `${o.editor} "$1"`, 'sh', file], {stdio: 'inherit'})
    if (r.status !== 0) throw new UserError(`the editor (${o.editor}) failed${r.status === null ? '' : ` with exit code ${r.status}`}; ${path} was not changed`, ExitCode.invalid)
    edited = await readFile(file, 'utf8')
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
  if (edited === plain) return {changed: false}
  const docs = parseDocs(path, edited)
  const out = await encryptDocs(docs.map((d) => ({value: d.value, positions: d.positions})), {
    recipients: (meta.age ?? []).map((a) => a.recipient),
    rules: rulesOf(meta),
    now: o.now ?? new Date(),
    previous: {key, cipher, meta},
  })
  const mode = (await stat(path)).mode & 0o777
  await writeFileAtomic(resolve(path), out, mode)
  return {changed: true}
}
