/**
 * A SOPS file: its `sops:` metadata block, the data key wrapped for each
 * age recipient, and the whole-file operations (decrypt and verify the MAC;
 * encrypt; re-encrypt after an edit keeping unchanged ciphertexts).
 *
 * As sops' YAML store does, every document of a multi-document file carries
 * the same `sops:` block, one data key encrypts all of them and one MAC
 * covers all of them.
 */
import {createHash, randomBytes} from 'node:crypto'
import * as yaml from 'js-yaml'
import {ageDecrypt, ageEncryptArmored, AgeError, type AgeIdentity} from './age.js'
import {decryptTree, encryptTree, SopsCipher, type SopsRules, type TreeDoc} from './sops-tree.js'

/** The `sops:` block as a file holds it (sops' stores.Metadata, YAML names). */
export interface SopsMetadata extends SopsRules {
  age?: Array<{recipient: string; enc: string}>
  lastmodified: string
  mac: string
  version: string
  [other: string]: unknown
}

/** The sops version tsctl's files claim to be written by (the format, not the binary). */
export const sopsFormatVersion = '3.9.4'

/** A SOPS feature tsctl cannot honour, or a damaged block: the message and what to do. */
export interface SopsProblem {
  message: string
  hint: string
  /** the field of the `sops:` block it is about */
  field?: string
}

const nonEmpty = (v: unknown) => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== '')
const otherKeySources = ['pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms']

/** Checks a `sops:` block: age recipients, the fields tsctl needs, no feature it cannot honour. */
export function checkMetadata(raw: unknown): {meta: SopsMetadata} | {problem: SopsProblem} {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {problem: {message: 'sops: is not a mapping', hint: 'this is not a file written by sops; encrypt it again with tsctl secret encrypt'}}
  const m = raw as Record<string, unknown>
  if (nonEmpty(m.key_groups)) {
    return {problem: {field: 'sops.key_groups', message: 'uses SOPS key groups (Shamir secret sharing), which tsctl does not support', hint: 'encrypt it for age recipients without key_groups (creation rule with age: only)'}}
  }
  for (const f of ['unencrypted_comment_regex', 'encrypted_comment_regex']) {
    if (nonEmpty(m[f])) return {problem: {field: `sops.${f}`, message: `uses ${f}, which tsctl does not support (its YAML reader does not keep comments)`, hint: 'use encrypted_regex (e.g. ^(data|stringData)$) instead'}}
  }
  const age = m.age
  if (!Array.isArray(age) || age.length === 0) {
    const others = otherKeySources.filter((k) => nonEmpty(m[k]))
    return {
      problem: {
        field: 'sops.age',
        message: others.length ? `is encrypted only for ${others.join(', ')}; tsctl decrypts with age keys only` : 'has no age recipient',
        hint: 'add an age recipient (sops -r -i --add-age age1… FILE, or tsctl secret encrypt for the recipients in tsctl.yaml)',
      },
    }
  }
  if (!age.every((a) => a && typeof a === 'object' && typeof (a as {enc?: unknown}).enc === 'string' && typeof (a as {recipient?: unknown}).recipient === 'string')) {
    return {problem: {field: 'sops.age', message: 'an age entry lacks recipient or enc', hint: 'the file is damaged: restore it from git history'}}
  }
  for (const f of ['lastmodified', 'mac', 'version'] as const) {
    if (typeof m[f] !== 'string' || m[f] === '') return {problem: {field: `sops.${f}`, message: `sops.${f} is missing`, hint: 'the file is damaged or was not written by sops: restore it from git history'}}
  }
  for (const f of ['unencrypted_regex', 'encrypted_regex'] as const) {
    if (m[f] === undefined) continue
    try {
      new RegExp(String(m[f]))
    } catch {
      return {problem: {field: `sops.${f}`, message: `sops.${f} is not a regular expression tsctl can read`, hint: 'use a simpler expression, e.g. ^(data|stringData)$'}}
    }
  }
  return {meta: m as SopsMetadata}
}

export function rulesOf(m: SopsMetadata): SopsRules {
  const r: SopsRules = {}
  for (const f of ['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex'] as const) if (typeof m[f] === 'string' && m[f] !== '') r[f] = m[f] as string
  if (m.mac_only_encrypted === true) r.mac_only_encrypted = true
  return r
}

export class DataKeyError extends Error {
  constructor(message: string, readonly reason: 'no-key' | 'wrong-key' | 'damaged') {
    super(message)
    this.name = 'DataKeyError'
  }
}

/** Data keys unwrapped in this process, by the digest of their wrapped forms; in memory only. */
const dataKeys = new Map<string, Buffer>()

/**
 * The file's 32-byte data key, unwrapped with the first of `identities`
 * that is one of its age recipients. Cached for the process (never
 * written anywhere). Throws DataKeyError.
 */
export function unwrapDataKey(meta: SopsMetadata, identities: AgeIdentity[]): Buffer {
  const stanzas = meta.age ?? []
  // keyed by the keys tried too: a cached data key never lets another keyring through
  const id = createHash('sha256').update([...stanzas.map((s) => s.enc), ...identities.map((i) => i.recipient)].join('\0')).digest('hex')
  const cached = dataKeys.get(id)
  if (cached) return cached
  if (identities.length === 0) throw new DataKeyError('no age key', 'no-key')
  let damaged = false
  for (const s of stanzas) {
    try {
      const key = ageDecrypt(s.enc, identities)
      if (key.length !== 32) {
        damaged = true
        continue
      }
      dataKeys.set(id, key)
      return key
    } catch (e) {
      if (!(e instanceof AgeError) || !e.noMatch) damaged = true
    }
  }
  throw damaged ? new DataKeyError('the wrapped data key is damaged', 'damaged') : new DataKeyError('none of the age keys is a recipient', 'wrong-key')
}

/**
 * What to tell the user when unwrapDataKey threw for WHAT (`Secret
 * default/db`, a path): which recipients the file and the keys are for,
 * never a key.
 */
export function dataKeyMessage(e: unknown, meta: SopsMetadata, what: string, identities: AgeIdentity[]): {message: string; hint: string} {
  const reason = e instanceof DataKeyError ? e.reason : 'damaged'
  if (reason === 'no-key') return {message: `no age key to decrypt ${what}`, hint: 'set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY, or secrets.keyFile in tsctl.yaml'}
  if (reason === 'damaged') return {message: `the SOPS data key of ${what} does not decrypt: its age entries are damaged`, hint: 'restore the file from git history, or encrypt it again'}
  const mine = [...new Set(identities.map((i) => i.recipient))].join(', ')
  return {
    message: `none of the age keys found is a recipient of ${what} (it is encrypted for ${(meta.age ?? []).map((a) => a.recipient).join(', ')}; the keys found are for ${mine})`,
    hint: 'use the key of one of its recipients, or re-encrypt the file for yours',
  }
}

/** sops formats lastmodified with Go's RFC 3339 layout (no fractional seconds) for the MAC's additional data. */
const macAad = (lastmodified: string) => lastmodified.replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, '')

export class MacMismatch extends Error {
  constructor() {
    super('MAC mismatch')
    this.name = 'MacMismatch'
  }
}

/**
 * Decrypts every document of a file (without their `sops:` keys) with the
 * data key and checks the MAC. Throws SopsValueError (a value that does not
 * decrypt) or MacMismatch. The cipher remembers the IVs, for re-encryption.
 */
export function decryptDocs(docs: TreeDoc[], meta: SopsMetadata, key: Buffer): {values: unknown[]; cipher: SopsCipher} {
  const cipher = new SopsCipher(key)
  const {values, mac} = decryptTree(docs, cipher, rulesOf(meta))
  let stored: unknown
  try {
    stored = cipher.decrypt(meta.mac, macAad(meta.lastmodified))
  } catch {
    throw new MacMismatch()
  }
  if (stored !== mac) throw new MacMismatch()
  return {values, cipher}
}

export interface EncryptOptions {
  recipients: string[]
  rules: SopsRules
  now: Date
  /** `secret edit`: the data key, cipher (its IVs) and age entries of the file as it was */
  previous?: {key: Buffer; cipher: SopsCipher; meta: SopsMetadata}
}

/** The ordered fields of a `sops:` block, as sops (3.9) writes them. */
function metadataBlock(age: SopsMetadata['age'], lastmodified: string, mac: string, rules: SopsRules): SopsMetadata {
  const m: SopsMetadata = {age, lastmodified, mac} as SopsMetadata
  for (const f of ['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex'] as const) if (rules[f]) m[f] = rules[f]
  if (rules.mac_only_encrypted) m.mac_only_encrypted = true
  m.version = sopsFormatVersion
  return m
}

/**
 * Encrypts plaintext documents into a SOPS YAML file (text) for the age
 * recipients. With `previous`, the data key is kept, unchanged values keep
 * their ciphertext and the recipients still listed keep their wrapped key.
 */
export async function encryptDocs(docs: TreeDoc[], o: EncryptOptions): Promise<string> {
  const key = o.previous?.key ?? randomBytes(32)
  const cipher = o.previous?.cipher ?? new SopsCipher(key)
  // the MAC follows the order the file is written in: js-yaml writes JavaScript's key order (integer-like keys first)
  const {values, mac} = encryptTree(docs.map((d) => ({value: d.value})), cipher, o.rules)
  const lastmodified = o.now.toISOString().replace(/\.\d{3}Z$/, 'Z')
  const kept = new Map((o.previous?.meta.age ?? []).map((a) => [a.recipient, a.enc]))
  const age: NonNullable<SopsMetadata['age']> = []
  for (const r of o.recipients) age.push({recipient: r, enc: kept.get(r) ?? (await ageEncryptArmored(key, r))})
  const meta = metadataBlock(age, lastmodified, cipher.encrypt(mac, lastmodified), o.rules)
  return values.map((v) => yaml.dump({...(v as Record<string, unknown>), sops: meta}, {noRefs: true, lineWidth: -1})).join('---\n')
}
