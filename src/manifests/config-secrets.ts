/**
 * `secrets:` in tsctl.yaml: who `tsctl secret encrypt` encrypts for, and
 * where this machine's age key is (docs/secrets.md).
 *
 *     secrets:
 *       age: [age1…, age1…]        # recipients, like .sops.yaml's creation rule
 *       keyFile: ~/.config/tsctl/age.txt   # optional; after SOPS_AGE_KEY(_FILE)
 *       encryptedRegex: ^(data|stringData)$   # optional; the default
 */
import {isRecipient} from '../secrets/age.js'

export interface SecretsConfig {
  /** age recipients (`age1…`) new SOPS files are encrypted for */
  age: string[]
  /** a key file, relative to the repo or `~/`; tried after SOPS_AGE_KEY and SOPS_AGE_KEY_FILE */
  keyFile?: string
  /** which keys' values are encrypted (sops' encrypted_regex); default `^(data|stringData)$` */
  encryptedRegex: string
}

export const defaultEncryptedRegex = '^(data|stringData)$'

/** Parses `secrets:`; problems go to `err` (JSON pointer, message, hint). */
export function parseSecrets(v: unknown, err: (pointer: string, message: string, hint?: string) => void): SecretsConfig | undefined {
  if (v === undefined || v === null) return undefined
  const example = 'e.g. `secrets: {age: [age1…], keyFile: ~/.config/sops/age/keys.txt}`'
  if (typeof v !== 'object' || Array.isArray(v)) {
    err('/secrets', 'secrets must be a mapping', example)
    return undefined
  }
  const o = v as Record<string, unknown>
  for (const k of Object.keys(o)) if (!['age', 'keyFile', 'encryptedRegex'].includes(k)) err(`/secrets/${k}`, `unknown field "${k}" in secrets`, 'secrets has age, keyFile and encryptedRegex')
  const out: SecretsConfig = {age: [], encryptedRegex: defaultEncryptedRegex}
  if (o.age !== undefined) {
    const list = typeof o.age === 'string' ? [o.age] : o.age
    if (!Array.isArray(list)) err('/secrets/age', 'secrets.age must be a list of age recipients', example)
    else
      list.forEach((r: unknown, i: number) => {
        const pointer = typeof o.age === 'string' ? '/secrets/age' : `/secrets/age/${i}`
        if (typeof r !== 'string' || !isRecipient(r)) err(pointer, `${JSON.stringify(r)} is not an age recipient`, 'a recipient is age1… (age-keygen -y KEYFILE prints it)')
        else out.age.push(r)
      })
  }
  if (o.keyFile !== undefined) {
    if (typeof o.keyFile !== 'string' || o.keyFile === '') err('/secrets/keyFile', 'secrets.keyFile must be a path', example)
    else out.keyFile = o.keyFile
  }
  if (o.encryptedRegex !== undefined) {
    let ok = typeof o.encryptedRegex === 'string' && o.encryptedRegex !== ''
    if (ok) {
      try {
        new RegExp(o.encryptedRegex as string)
      } catch {
        ok = false
      }
    }
    if (!ok) err('/secrets/encryptedRegex', 'secrets.encryptedRegex must be a regular expression', `e.g. ${defaultEncryptedRegex}`)
    else out.encryptedRegex = o.encryptedRegex as string
  }
  return out
}
