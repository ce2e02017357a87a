/**
 * Every generated name and UID is a hash of stable inputs (DESIGN.md step 3),
 * so a pass that is killed and re-run names things the same way and never
 * creates duplicates. node:crypto's hashes are pure functions: no I/O.
 */
import {createHash} from 'node:crypto'

/** JSON with object keys sorted at every level, `undefined` fields dropped: the input of every hash. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  // plain loops and string appends: every object of every pass goes through here
  if (Array.isArray(value)) {
    let s = '['
    for (let i = 0; i < value.length; i++) {
      if (i) s += ','
      const v = value[i]
      s += v === undefined ? 'null' : stableStringify(v)
    }
    return s + ']'
  }
  const o = value as Record<string, unknown>
  const keys = Object.keys(o).sort()
  let s = '{'
  let first = true
  for (const k of keys) {
    const v = o[k]
    if (v === undefined) continue
    if (!first) s += ','
    first = false
    s += JSON.stringify(k) + ':' + stableStringify(v)
  }
  return s + '}'
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** 32-bit FNV-1a, the hash Kubernetes uses for pod-template-hash and ControllerRevision names. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** apimachinery's rand alphabet: no vowels (no words) and no 0/1/3 (no look-alikes). */
const alphabet = 'bcdfghjklmnpqrstvwxz2456789'

/** `rand.SafeEncodeString`: maps each character of `s` into the safe alphabet. */
export function safeEncode(s: string): string {
  let out = ''
  for (const b of Buffer.from(s, 'utf8')) out += alphabet[b % alphabet.length]
  return out
}

/**
 * pod-template-hash as Kubernetes computes it (`controller.ComputeHash`):
 * FNV-1a of the template plus the collision count, printed in decimal and
 * safe-encoded. The template is serialised with stableStringify, not spew,
 * so the values differ from a real cluster's but follow the same rules.
 */
export function templateHash(template: unknown, collisionCount?: number): string {
  let text = stableStringify(template)
  if (collisionCount !== undefined && collisionCount > 0) text += '\0' + String(collisionCount)
  return safeEncode(String(fnv32a(text)))
}

/** A UID in the usual 8-4-4-4-12 form, derived from the parts. */
export function stableUid(...parts: Array<string | number>): string {
  const h = sha256Hex(parts.map(String).join('\0'))
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** A 5-character suffix in the safe alphabet, standing in for generateName's random one. */
export function nameSuffix(...parts: Array<string | number>): string {
  const h = sha256Hex(parts.map(String).join('\0'))
  let out = ''
  for (let i = 0; i < 5; i++) out += alphabet[parseInt(h.slice(i * 4, i * 4 + 4), 16) % alphabet.length]
  return out
}

/** Short content hash (16 hex digits) for spec and file-content hashes. */
export function contentHash(value: unknown): string {
  return sha256Hex(stableStringify(value)).slice(0, 16)
}
