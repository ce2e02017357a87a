/**
 * SOPS-encrypted Secret manifests in a commit (called by loadDesired
 * before validation).
 *
 * Each document with a `sops:` key loses it before validation (the schema
 * knows no such field) and gets it back on its object afterwards, so the
 * Desired object, and therefore the state, keeps the Secret exactly as
 * encrypted in git: `ENC[…]` values plus the `sops:` block. Nothing
 * decrypted is kept.
 *
 * With age keys at hand (keyring.ts) every SOPS file is decrypted in memory
 * and its MAC checked, so a wrong key or a tampered file is refused before
 * anything is applied; the plaintext is dropped at once. Without keys,
 * `require` (sync) is an error and `optional` (diff, validate) skips the
 * check: a pull request's diff needs no key. With keys that are no
 * recipient, `optional` warns and skips the check too.
 */
import type {Diagnostic} from '../errors.js'
import type {YamlDoc} from '../manifests/yaml.js'
import {processKeys, type KeyLookup} from './keyring.js'
import {checkMetadata, DataKeyError, dataKeyMessage, decryptDocs, MacMismatch, rulesOf, unwrapDataKey, type SopsMetadata} from './sops-file.js'
import {isEncryptedValue, shouldEncrypt, SopsValueError} from './sops-tree.js'

export type SecretKeysNeed = 'require' | 'optional'

type Loose = Record<string, unknown>
const isMap = (v: unknown): v is Loose => v !== null && typeof v === 'object' && !Array.isArray(v)
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function objectName(v: Loose): string | undefined {
  const m = isMap(v.metadata) ? v.metadata : undefined
  if (typeof v.kind !== 'string' || typeof m?.name !== 'string' || isEncryptedValue(v.kind) || isEncryptedValue(m.name)) return undefined
  const ns = typeof m.namespace === 'string' && !isEncryptedValue(m.namespace) ? m.namespace : 'default'
  return `${v.kind}/${ns}/${m.name}`
}

const keyHelp = (k: KeyLookup) => `looked in: ${k.missed.concat(k.found).join(', ')}`

/**
 * Finds the SOPS documents among `docs` (all files of a commit), checks and
 * (with keys) verifies them, strips their `sops:` keys. Returns the
 * metadata by document, for the caller to put back on the objects.
 */
export function openSopsManifests(docs: YamlDoc[], need: SecretKeysNeed, keys: () => KeyLookup = processKeys): {diagnostics: Diagnostic[]; metadata: Map<YamlDoc, SopsMetadata>} {
  const diagnostics: Diagnostic[] = []
  const metadata = new Map<YamlDoc, SopsMetadata>()
  const byFile = new Map<string, YamlDoc[]>()
  for (const d of docs) if (isMap(d.value) && 'sops' in d.value) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d])
  for (const [file, sopsDocs] of byFile) {
    const all = docs.filter((d) => d.file === file)
    const first = sopsDocs[0]
    const at = (d: YamlDoc, pointer: string) => ({...(d.positions.get(pointer) ?? d.pos), file: d.file})
    const report = (severity: Diagnostic['severity']) => (d: YamlDoc, pointer: string, message: string, hint: string, field?: string) => {
      const name = objectName(d.value as Loose)
      diagnostics.push({severity, ...at(d, pointer), ...(name ? {object: name} : {}), ...(field ? {field} : {}), message, hint})
    }
    const err = report('error')
    const warn = report('warning')
    if (sopsDocs.length !== all.length) {
      err(all.find((d) => !sopsDocs.includes(d))!, '', 'this document has no sops: block but others of its file do', 'a SOPS file is encrypted as a whole: encrypt the whole file again')
      continue
    }
    const raw = (first.value as Loose).sops
    // stripped whatever happens: the schema knows no sops field, and one error per problem is enough
    for (const d of sopsDocs) delete (d.value as Loose).sops
    const checked = checkMetadata(raw)
    if ('problem' in checked) {
      err(first, '/sops', `SOPS Secret ${checked.problem.message}`, checked.problem.hint, checked.problem.field)
      continue
    }
    const meta = checked.meta
    const rules = rulesOf(meta)
    let ok = true
    for (const d of sopsDocs) {
      const v = d.value as Loose
      if (v.kind !== 'Secret') {
        ok = false
        if (isEncryptedValue(v.kind) || !objectName(v)) err(d, '/kind', 'kind or metadata.name is encrypted: tsctl needs them in clear', 'encrypt only data and stringData: encrypted_regex ^(data|stringData)$ (what tsctl secret encrypt writes, and what Flux recommends)')
        else err(d, '/kind', `only Secrets may be SOPS-encrypted, not ${String(v.kind)}`, 'keep the ConfigMap in clear, or make it a Secret')
        continue
      }
      for (const k of Object.keys(v)) {
        if (k === 'data' || k === 'stringData') continue
        if (containsEncrypted(v[k], [k], rules)) {
          ok = false
          err(d, `/${k}`, `${k} is encrypted: tsctl decrypts only data and stringData`, 'encrypt with encrypted_regex ^(data|stringData)$ (tsctl secret encrypt does)', k)
        }
      }
    }
    if (!ok) continue
    for (const d of sopsDocs) metadata.set(d, meta)
    const k = keys()
    if (k.identities.length === 0 && need === 'optional') continue
    let key: Buffer
    try {
      key = unwrapDataKey(meta, k.identities)
    } catch (e) {
      const m = dataKeyMessage(e, meta, 'this SOPS Secret', k.identities)
      // a diff or validate with someone else's key at hand still works, unverified
      if (need === 'optional' && e instanceof DataKeyError && e.reason === 'wrong-key') warn(first, '/sops/age', `${m.message}; not verified`, m.hint)
      else err(first, k.identities.length ? '/sops/age' : '', `${m.message}; nothing was applied`, `${m.hint} (${keyHelp(k)})`)
      continue
    }
    try {
      const {values} = decryptDocs(sopsDocs.map((d) => ({value: d.value, positions: d.positions})), meta, key)
      values.forEach((plain, i) => {
        const data = (plain as Loose).data
        if (!isMap(data)) return
        for (const [dk, dv] of Object.entries(data)) {
          if (typeof dv === 'string' && !base64.test(dv.replace(/\s+/g, ''))) err(sopsDocs[i], `/data/${dk.replace(/~/g, '~0').replace(/\//g, '~1')}`, 'the decrypted value is not valid base64', 'encrypt the base64 of the value, or put the plain value under stringData', `data.${dk}`)
        }
      })
    } catch (e) {
      if (e instanceof SopsValueError) {
        const d = sopsDocs[e.doc] ?? first
        err(d, e.pointer, `the encrypted value does not decrypt (${e.message}): the file was changed after it was encrypted; nothing was applied`, 'edit SOPS files with tsctl secret edit or sops only; restore it from git history', e.path.join('.'))
      } else if (e instanceof MacMismatch) {
        err(first, '/sops/mac', 'MAC mismatch: the SOPS Secret was changed after it was encrypted (tampered, or edited without sops); nothing was applied', 'restore it from git history, or re-encrypt it with tsctl secret edit / sops', 'sops.mac')
      } else throw e
    }
  }
  return {diagnostics, metadata}
}

function containsEncrypted(v: unknown, path: string[], rules: ReturnType<typeof rulesOf>): boolean {
  if (Array.isArray(v)) return v.some((x) => containsEncrypted(x, path, rules))
  if (isMap(v)) return Object.entries(v).some(([k, x]) => containsEncrypted(x, [...path, k], rules))
  return v !== null && v !== undefined && v !== '' && shouldEncrypt(path, rules)
}
