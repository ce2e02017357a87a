/**
 * What `diff` compares for a SOPS Secret (src/render/object-diff.ts calls
 * this; the renderers mask `data`/`stringData` values as for any Secret).
 *
 * - With a key that decrypts both versions: the plaintext of each key is
 *   compared in memory, so exactly the keys whose values changed show as
 *   changed; a file re-encrypted with the same values shows one
 *   `sops: re-encrypted` line instead.
 * - Without a key: each encrypted value is compared by its own ciphertext
 *   (sops and `tsctl secret edit` keep an unchanged value's ciphertext) and
 *   the file's MAC by a digest of its encrypted form, so a PR diff still
 *   says which Secrets, and which of their keys, changed.
 */
import {createHash} from 'node:crypto'
import {isSopsSecret, plainSecret, type SecretContent} from './secret-values.js'

interface SecretLike extends SecretContent {
  kind: string
  metadata: {name: string; namespace?: string}
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16)

function tokens(m: Record<string, string> | undefined): Record<string, string> | undefined {
  return m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, digest(`v\0${v}`)])) : undefined
}

/**
 * Copies of two versions of a Secret shaped for a field diff, and whether
 * the values are the same but their encryption is not.
 */
export function secretsForDiff<T extends SecretLike>(before: T, after: T): {before: T; after: T; reencrypted: boolean} {
  if (!isSopsSecret(before) && !isSopsSecret(after)) return {before, after, reencrypted: false}
  const name = `${after.metadata.namespace ?? 'default'}/${after.metadata.name}`
  let pb: ReturnType<typeof plainSecret> | undefined
  let pa: ReturnType<typeof plainSecret> | undefined
  try {
    pb = plainSecret(name, before)
    pa = plainSecret(name, after)
  } catch {
    pb = pa = undefined
  }
  const b = structuredClone(before)
  const a = structuredClone(after)
  if (pb && pa) {
    const same = JSON.stringify([tokens(pb.data), tokens(pb.stringData)]) === JSON.stringify([tokens(pa.data), tokens(pa.stringData)])
    const reencrypted = same && JSON.stringify([before.data, before.stringData, before.sops]) !== JSON.stringify([after.data, after.stringData, after.sops])
    for (const [o, p] of [[b, pb], [a, pa]] as const) {
      delete o.sops
      if (o.data) o.data = tokens(p.data)
      if (o.stringData) o.stringData = tokens(p.stringData)
    }
    return {before: b, after: a, reencrypted}
  }
  for (const o of [b, a]) {
    const mac = (o.sops as {mac?: unknown} | undefined)?.mac
    if (o.sops !== undefined) o.sops = {mac: typeof mac === 'string' ? digest(mac) : null}
  }
  return {before: b, after: a, reencrypted: false}
}
