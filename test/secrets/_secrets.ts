// Helpers of the SOPS tests: age keys made by Debian's age-keygen, sops-age
// (a second, independent SOPS implementation) and an environment whose only
// age keys are the ones a test gives it.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

export interface AgeKey {
  path: string
  recipient: string
  identity: string
}

/** A fresh X25519 key pair from `age-keygen -o`. */
export function ageKeygen(dir: string, name: string): AgeKey {
  const path = join(dir, `${name}.txt`)
  execFileSync('age-keygen', ['-o', path], {stdio: 'pipe'})
  const text = readFileSync(path, 'utf8')
  const recipient = execFileSync('age-keygen', ['-y', path], {encoding: 'utf8'}).trim()
  const identity = text.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!
  return {path, recipient, identity}
}

/** An XDG config dir that does not exist, so sops' default keys.txt of the machine is never found. */
export const emptyXdg = '/nonexistent/tsctl-test-xdg'

/** Environment overrides: no age key at all, or exactly KEY (by file). */
export function keyEnv(key?: AgeKey): Record<string, string> {
  return {SOPS_AGE_KEY: '', SOPS_AGE_KEY_FILE: key ? key.path : '', XDG_CONFIG_HOME: emptyXdg}
}

/** sops-age's decryptSops (the package ships CommonJS only). */
export async function sopsAgeDecrypt(text: string, identity: string): Promise<Record<string, unknown>> {
  const {decryptSops} = createRequire(import.meta.url)('sops-age') as {decryptSops: (t: string, o: {secretKey: string; fileType: string}) => Promise<Record<string, unknown>>}
  return decryptSops(text, {secretKey: identity, fileType: 'yaml'})
}

/** The ENC[…] value of `field: key` in a SOPS YAML text (one level deep). */
export function encValue(text: string, key: string): string | undefined {
  return new RegExp(`^\\s+${key}: (ENC\\[[^\\]]+\\])$`, 'm').exec(text)?.[1]
}

export const secretYaml = (name: string, values: Record<string, string>, field = 'stringData') => `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
  labels:
    app: ${name}
type: Opaque
${field}:
${Object.entries(values).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`).join('\n')}
`
