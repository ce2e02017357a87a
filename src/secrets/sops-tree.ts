/**
 * The SOPS tree: which values are encrypted, how each is encrypted
 * (`ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, getsops/sops aes/cipher.go),
 * and the MAC over the values (sops.go `Tree.Encrypt` / `Tree.Decrypt`).
 *
 * - A value's additional data is its path of mapping keys joined with `:`
 *   plus a trailing `:` (`data:password:`); list items add no index.
 * - The MAC is SHA-512 over the bytes of every leaf in document order
 *   (strings as is, integers in decimal, booleans `True`/`False`), of every
 *   leaf or only the encrypted ones (`mac_only_encrypted`, hashed after a
 *   fixed 32-byte prefix), printed in upper-case hex and stored encrypted
 *   with `lastmodified` as its additional data. Nulls are neither hashed
 *   nor encrypted; an empty string is stored as an empty string.
 * - Like sops' cipher, a `SopsCipher` remembers the IV of every value it
 *   decrypted, so re-encrypting an unchanged value (same path, same
 *   plaintext, same data key) gives the same ciphertext (`secret edit`).
 */
import {createCipheriv, createDecipheriv, createHash, randomBytes} from 'node:crypto'

export type Leaf = string | number | boolean

/** The rules of the `sops:` block that choose the encrypted values. */
export interface SopsRules {
  unencrypted_suffix?: string
  encrypted_suffix?: string
  unencrypted_regex?: string
  encrypted_regex?: string
  mac_only_encrypted?: boolean
}

export class SopsValueError extends Error {
  constructor(
    message: string,
    /** mapping keys from the document root */
    readonly path: string[],
    /** JSON pointer of the value, for its line */
    readonly pointer: string,
    /** which document of the file */
    readonly doc = 0,
  ) {
    super(message)
    this.name = 'SopsValueError'
  }
}

const ENC = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/

/** Whether a string is a SOPS-encrypted value. */
export const isEncryptedValue = (v: unknown): boolean => typeof v === 'string' && ENC.test(v)

/** sops' `shouldBeEncrypted` for a path of mapping keys (comment rules are refused earlier). */
export function shouldEncrypt(path: string[], r: SopsRules): boolean {
  let enc = true
  if (r.unencrypted_suffix) enc = !path.some((p) => p.endsWith(r.unencrypted_suffix!))
  if (r.encrypted_suffix) enc = path.some((p) => p.endsWith(r.encrypted_suffix!))
  if (r.unencrypted_regex) {
    const re = new RegExp(r.unencrypted_regex)
    if (path.some((p) => re.test(p))) enc = false
  }
  if (r.encrypted_regex) {
    const re = new RegExp(r.encrypted_regex)
    enc = path.some((p) => re.test(p))
  }
  return enc
}

/** sops' `ToBytes`: what the MAC hashes for a leaf. */
function leafBytes(v: Leaf): Buffer {
  if (typeof v === 'boolean') return Buffer.from(v ? 'True' : 'False')
  return Buffer.from(String(v))
}

function typeOf(v: Leaf): 'str' | 'int' | 'float' | 'bool' {
  return typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : Number.isInteger(v) ? 'int' : 'float'
}

const aadOf = (path: string[]) => path.join(':') + ':'

/** AES-256-GCM with 32-byte IVs, as sops' aes package. */
export class SopsCipher {
  readonly #stash = new Map<string, Buffer>()

  constructor(readonly key: Buffer) {
    if (key.length !== 32) throw new Error('a SOPS data key is 32 bytes')
  }

  encrypt(v: Leaf, aad: string): string {
    if (v === '') return ''
    const type = typeOf(v)
    const plain = leafBytes(v)
    const iv = this.#stash.get(`${aad}\0${type}\0${plain.toString('base64')}`) ?? randomBytes(32)
    const c = createCipheriv('aes-256-gcm', this.key, iv)
    c.setAAD(Buffer.from(aad))
    const data = Buffer.concat([c.update(plain), c.final()])
    return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${c.getAuthTag().toString('base64')},type:${type}]`
  }

  /** Throws on a value that is not sops' format or does not authenticate. */
  decrypt(s: string, aad: string): Leaf {
    if (s === '') return ''
    const m = ENC.exec(s)
    if (!m) throw new Error('not a SOPS-encrypted value')
    const [, data, iv, tag, type] = m
    const ivb = Buffer.from(iv, 'base64')
    let plain: Buffer
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, ivb)
      d.setAAD(Buffer.from(aad))
      d.setAuthTag(Buffer.from(tag, 'base64'))
      plain = Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()])
    } catch {
      throw new Error('the value does not authenticate with the file\'s data key')
    }
    const text = plain.toString('utf8')
    let v: Leaf
    switch (type) {
      case 'str':
      case 'bytes':
        v = text
        break
      case 'int':
      case 'int64':
      case 'float':
        v = Number(text)
        if (!Number.isFinite(v)) throw new Error('a numeric value does not parse')
        break
      case 'bool':
        v = /^(1|t|T|TRUE|true|True)$/.test(text)
        break
      default:
        throw new Error(`unsupported value type ${JSON.stringify(type)}`)
    }
    this.#stash.set(`${aad}\0${typeOf(v)}\0${leafBytes(v).toString('base64')}`, ivb)
    return v
  }
}

const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex')

const escapePointer = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * Mapping entries in file order: JavaScript puts integer-like keys first,
 * so keys are ordered by where they were in the file when that is known.
 */
function entries(o: Record<string, unknown>, pointer: string, positions?: ReadonlyMap<string, {line: number; col: number}>): Array<[string, unknown]> {
  const es = Object.entries(o)
  if (!positions) return es
  const at = (k: string) => positions.get(`${pointer}/${escapePointer(k)}`)
  return es
    .map((e, i) => ({e, i, p: at(e[0])}))
    .sort((a, b) => (a.p && b.p ? a.p.line - b.p.line || a.p.col - b.p.col : a.i - b.i))
    .map((x) => x.e)
}

type OnLeaf = (v: Leaf, path: string[], pointer: string) => Leaf

function walk(v: unknown, path: string[], pointer: string, on: OnLeaf, positions?: ReadonlyMap<string, {line: number; col: number}>): unknown {
  if (v === null || v === undefined) return v
  if (Array.isArray(v)) return v.map((x, i) => walk(x, path, `${pointer}/${i}`, on, positions))
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of entries(v as Record<string, unknown>, pointer, positions)) out[k] = walk(x, [...path, k], `${pointer}/${escapePointer(k)}`, on, positions)
    return out
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return on(v, path, pointer)
  throw new SopsValueError(`a value of type ${typeof v} cannot be encrypted`, path, pointer)
}

export interface TreeDoc {
  value: unknown
  positions?: ReadonlyMap<string, {line: number; col: number}>
}

/** Encrypts the chosen values of every document; returns the documents and the MAC (upper-case hex). */
export function encryptTree(docs: TreeDoc[], cipher: SopsCipher, rules: SopsRules): {values: unknown[]; mac: string} {
  const hash = createHash('sha512')
  if (rules.mac_only_encrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT)
  const values = docs.map((d) =>
    walk(d.value, [], '', (v, path) => {
      const enc = shouldEncrypt(path, rules)
      if (!rules.mac_only_encrypted || enc) hash.update(leafBytes(v))
      return enc ? cipher.encrypt(v, aadOf(path)) : v
    }, d.positions),
  )
  return {values, mac: hash.digest('hex').toUpperCase()}
}

/**
 * Decrypts the encrypted values of every document (throws SopsValueError
 * naming the value's path, never its content); returns the plaintext
 * documents and the MAC computed over them.
 */
export function decryptTree(docs: TreeDoc[], cipher: SopsCipher, rules: SopsRules): {values: unknown[]; mac: string} {
  const hash = createHash('sha512')
  if (rules.mac_only_encrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT)
  const values = docs.map((d, doc) =>
    walk(d.value, [], '', (v, path, pointer) => {
      const enc = shouldEncrypt(path, rules)
      let out = v
      if (enc) {
        if (typeof v !== 'string') throw new SopsValueError('the value is not encrypted although the file\'s rules say it is', path, pointer, doc)
        try {
          out = cipher.decrypt(v, aadOf(path))
        } catch (e) {
          throw new SopsValueError((e as Error).message, path, pointer, doc)
        }
      }
      if (!rules.mac_only_encrypted || enc) hash.update(leafBytes(out))
      return out
    }, d.positions),
  )
  return {values, mac: hash.digest('hex').toUpperCase()}
}

/** Every encrypted value of one document with its path, for digests that need no key (`diff`). */
export function encryptedValues(value: unknown, rules: SopsRules): Map<string, string> {
  const out = new Map<string, string>()
  walk(value, [], '', (v, path) => {
    if (shouldEncrypt(path, rules) && typeof v === 'string') out.set(path.join('.'), v)
    return v
  })
  return out
}

export {aadOf}
