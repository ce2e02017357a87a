/**
 * The plaintext of a SOPS Secret as the state holds it (`ENC[…]` values
 * plus the `sops:` block), for the two places that need it: the pod-bundle
 * compiler (env and secret volumes, sent to the host's tmpfs) and `diff`
 * with a key (which keys changed, shown masked). In memory only, never
 * cached: each call decrypts again (the unwrapped data key is cached).
 */
import {processKeys, type KeyLookup} from './keyring.js'
import {checkMetadata, dataKeyMessage, rulesOf, unwrapDataKey, type SopsMetadata} from './sops-file.js'
import {aadOf, SopsCipher, shouldEncrypt} from './sops-tree.js'

export interface SecretContent {
  data?: Record<string, string>
  stringData?: Record<string, string>
  sops?: unknown
}

export class SecretDecryptError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SecretDecryptError'
  }
}

/** Whether a Secret (as the state holds it) is SOPS-encrypted. */
export const isSopsSecret = (s: {sops?: unknown}): boolean => s.sops !== undefined && s.sops !== null

/**
 * `data` and `stringData` of a Secret in clear (data stays base64, as in a
 * plain Secret). A Secret without `sops` is returned as is. Throws
 * SecretDecryptError naming the Secret and what to do, never a value.
 */
export function plainSecret(name: string, s: SecretContent, keys: KeyLookup = processKeys()): {data?: Record<string, string>; stringData?: Record<string, string>} {
  if (!isSopsSecret(s)) return {data: s.data, stringData: s.stringData}
  const checked = checkMetadata(s.sops)
  if ('problem' in checked) throw new SecretDecryptError(`Secret ${name}: ${checked.problem.message} (${checked.problem.hint})`)
  const meta: SopsMetadata = checked.meta
  let key: Buffer
  try {
    key = unwrapDataKey(meta, keys.identities)
  } catch (e) {
    const m = dataKeyMessage(e, meta, `Secret ${name}`, keys.identities)
    throw new SecretDecryptError(`${m.message} (${m.hint})`)
  }
  const cipher = new SopsCipher(key)
  const rules = rulesOf(meta)
  const open = (field: 'data' | 'stringData') => {
    const m = s[field]
    if (!m) return undefined
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(m)) {
      const path = [field, k]
      if (!shouldEncrypt(path, rules) || typeof v !== 'string') {
        out[k] = v
        continue
      }
      try {
        out[k] = String(cipher.decrypt(v, aadOf(path)))
      } catch {
        throw new SecretDecryptError(`Secret ${name}: ${field}.${k} does not decrypt with its data key (changed after it was encrypted?)`)
      }
    }
    return out
  }
  const data = open('data')
  const stringData = open('stringData')
  return {...(data ? {data} : {}), ...(stringData ? {stringData} : {})}
}
