/**
 * age (age-encryption.org/v1), the parts tsctl needs for SOPS data keys.
 *
 * Encryption goes through the `age-encryption` package (`wrapDataKey`,
 * async). Decryption of X25519 stanzas is implemented here with Node's
 * crypto (X25519, HKDF-SHA256, ChaCha20-Poly1305, HMAC-SHA256) because it
 * must be synchronous: the pod-bundle compiler that needs a Secret's
 * plaintext is synchronous, and it may meet a data key it has not seen
 * before (a revision restored by `rollout undo`). The test suite checks both
 * directions against Debian's `age`.
 *
 * Only X25519 identities (`AGE-SECRET-KEY-1…`) are read; other lines of a
 * key file (comments, plugin or post-quantum identities) are skipped.
 */
import {createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, timingSafeEqual, type KeyObject} from 'node:crypto'

/** A parsed X25519 identity: its private key object and its `age1…` recipient. */
export interface AgeIdentity {
  key: KeyObject
  recipient: string
}

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]

function polymod(values: number[]): number {
  let chk = 1
  for (const v of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ v
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]
  }
  return chk >>> 0
}

const hrpExpand = (hrp: string) => [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)]

function convertBits(data: number[], from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0
  let bits = 0
  const out: number[] = []
  const max = (1 << to) - 1
  for (const v of data) {
    acc = (acc << from) | v
    bits += from
    while (bits >= to) {
      bits -= to
      out.push((acc >> bits) & max)
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max)
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) return undefined
  return out
}

/** Bech32 (BIP 173, no length limit, as age uses it) → [hrp, bytes], or undefined. */
export function bech32Decode(s: string): [string, Buffer] | undefined {
  if (s !== s.toLowerCase() && s !== s.toUpperCase()) return undefined
  const lower = s.toLowerCase()
  const sep = lower.lastIndexOf('1')
  if (sep < 1 || sep + 7 > lower.length) return undefined
  const hrp = lower.slice(0, sep)
  const data: number[] = []
  for (const c of lower.slice(sep + 1)) {
    const v = CHARSET.indexOf(c)
    if (v < 0) return undefined
    data.push(v)
  }
  if (polymod([...hrpExpand(hrp), ...data]) !== 1) return undefined
  const bytes = convertBits(data.slice(0, -6), 5, 8, false)
  return bytes ? [hrp, Buffer.from(bytes)] : undefined
}

export function bech32Encode(hrp: string, bytes: Uint8Array): string {
  const data = convertBits([...bytes], 8, 5, true)!
  const mod = polymod([...hrpExpand(hrp), ...data, 0, 0, 0, 0, 0, 0]) ^ 1
  const check = [0, 1, 2, 3, 4, 5].map((i) => (mod >> (5 * (5 - i))) & 31)
  return hrp + '1' + [...data, ...check].map((v) => CHARSET[v]).join('')
}

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex')

const publicRaw = (k: KeyObject) => (k.type === 'private' ? createPublicKey(k) : k).export({format: 'der', type: 'spki'}).subarray(-32)
const publicKey = (raw: Buffer) => createPublicKey({key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki'})

/** `AGE-SECRET-KEY-1…` → identity, or undefined when the string is not one. */
export function parseIdentity(text: string): AgeIdentity | undefined {
  const d = bech32Decode(text.trim())
  if (!d || d[0] !== 'age-secret-key-' || d[1].length !== 32) return undefined
  const key = createPrivateKey({key: Buffer.concat([PKCS8_X25519, d[1]]), format: 'der', type: 'pkcs8'})
  return {key, recipient: bech32Encode('age', publicRaw(key))}
}

/** Whether `s` is a well-formed X25519 recipient (`age1…`). */
export function isRecipient(s: string): boolean {
  const d = bech32Decode(s)
  return !!d && d[0] === 'age' && d[1].length === 32 && s === s.toLowerCase()
}

/** Identities in a key file's text (age-keygen's format: `#` comments, one identity a line). */
export function parseIdentities(text: string): {identities: AgeIdentity[]; skipped: number} {
  const identities: AgeIdentity[] = []
  let skipped = 0
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const id = parseIdentity(line)
    if (id) identities.push(id)
    else skipped++
  }
  return {identities, skipped}
}

const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string) => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32))

function chachaOpen(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < 16) return undefined
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonce, {authTagLength: 16})
    d.setAuthTag(sealed.subarray(sealed.length - 16))
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()])
  } catch {
    return undefined
  }
}

/** The armored (`-----BEGIN AGE ENCRYPTED FILE-----`) or binary file as bytes. */
function dearmor(file: string): Buffer {
  const t = file.trim()
  const begin = '-----BEGIN AGE ENCRYPTED FILE-----'
  const end = '-----END AGE ENCRYPTED FILE-----'
  if (!t.startsWith(begin) || !t.endsWith(end)) throw new AgeError('not an armored age file')
  const b64 = t.slice(begin.length, t.length - end.length).replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new AgeError('damaged armor')
  return Buffer.from(b64, 'base64')
}

export class AgeError extends Error {
  constructor(message: string, readonly noMatch = false) {
    super(message)
    this.name = 'AgeError'
  }
}

interface Stanza {
  type: string
  args: string[]
  body: Buffer
}

function parseHeader(bytes: Buffer): {stanzas: Stanza[]; macInput: Buffer; mac: Buffer; payload: Buffer} {
  let pos = 0
  const nextLine = () => {
    const nl = bytes.indexOf(0x0a, pos)
    if (nl < 0) throw new AgeError('damaged age header')
    const line = bytes.subarray(pos, nl).toString('latin1')
    pos = nl + 1
    return line
  }
  if (nextLine() !== 'age-encryption.org/v1') throw new AgeError('not an age v1 file')
  const stanzas: Stanza[] = []
  for (;;) {
    const start = pos
    const line = nextLine()
    if (line.startsWith('--- ')) {
      const macInput = bytes.subarray(0, start + 3)
      return {stanzas, macInput, mac: Buffer.from(line.slice(4), 'base64'), payload: bytes.subarray(pos)}
    }
    if (!line.startsWith('-> ')) throw new AgeError('damaged age header')
    const [type, ...args] = line.slice(3).split(' ')
    let body = ''
    for (;;) {
      const l = nextLine()
      body += l
      if (l.length < 64) break
    }
    stanzas.push({type, args, body: Buffer.from(body, 'base64')})
  }
}

function unwrapX25519(s: Stanza, id: AgeIdentity): Buffer | undefined {
  if (s.type !== 'X25519' || s.args.length !== 1) return undefined
  const share = Buffer.from(s.args[0], 'base64')
  if (share.length !== 32 || s.body.length !== 32) return undefined
  const shared = diffieHellman({privateKey: id.key, publicKey: publicKey(share)})
  if (shared.every((b) => b === 0)) return undefined
  const wrap = hkdf(shared, Buffer.concat([share, publicRaw(id.key)]), 'age-encryption.org/v1/X25519')
  return chachaOpen(wrap, Buffer.alloc(12), s.body)
}

/**
 * Decrypts an age file (armored, as SOPS stores it) with the first identity
 * that matches one of its X25519 stanzas. Throws AgeError with `noMatch`
 * when none does, or a plain AgeError when the file is damaged.
 */
export function ageDecrypt(file: string, identities: AgeIdentity[]): Buffer {
  const {stanzas, macInput, mac, payload} = parseHeader(dearmor(file))
  let fileKey: Buffer | undefined
  for (const id of identities) {
    for (const s of stanzas) if ((fileKey = unwrapX25519(s, id))) break
    if (fileKey) break
  }
  if (!fileKey) throw new AgeError('no identity matches', true)
  const want = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header')).update(macInput).digest()
  if (mac.length !== 32 || !timingSafeEqual(want, mac)) throw new AgeError('age header MAC mismatch')
  if (payload.length < 16 + 16) throw new AgeError('damaged age payload')
  const key = hkdf(fileKey, payload.subarray(0, 16), 'payload')
  const body = payload.subarray(16)
  const chunk = 64 * 1024 + 16
  const out: Buffer[] = []
  for (let i = 0, off = 0; off < body.length; i++, off += chunk) {
    const last = off + chunk >= body.length
    const nonce = Buffer.alloc(12)
    nonce.writeUIntBE(i, 5, 6)
    nonce[11] = last ? 1 : 0
    const plain = chachaOpen(key, nonce, body.subarray(off, off + chunk))
    if (!plain) throw new AgeError('damaged age payload')
    out.push(plain)
  }
  return Buffer.concat(out)
}

/** Encrypts `data` (a SOPS data key) to `recipients` and armors it, as `sops` stores it under `sops.age[].enc`. */
export async function ageEncryptArmored(data: Uint8Array, recipient: string): Promise<string> {
  const {Encrypter, armor} = await import('age-encryption')
  const e = new Encrypter()
  e.addRecipient(recipient)
  return armor.encode(await e.encrypt(data))
}
