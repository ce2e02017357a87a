/**
 * Where the age keys come from, in order (all that are found are tried, as
 * sops does):
 *
 * 1. `SOPS_AGE_KEY`: identities inline (one a line, `#` comments);
 * 2. `SOPS_AGE_KEY_FILE`: a key file (age-keygen's format);
 * 3. `secrets.keyFile` of tsctl.yaml (relative to the repo, `~/` = home);
 * 4. sops' default, `$XDG_CONFIG_HOME/sops/age/keys.txt`
 *    (`~/.config/sops/age/keys.txt`).
 *
 * Keys live in this process's memory only. Messages name where keys were
 * looked for and the recipients they are for, never a key.
 */
import {readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'
import {parseIdentities, type AgeIdentity} from './age.js'

export interface KeyLookup {
  identities: AgeIdentity[]
  /** where keys were found, e.g. `SOPS_AGE_KEY_FILE=/run/keys.txt` */
  found: string[]
  /** where keys were looked for and not found or not read, with why */
  missed: string[]
}

export interface KeyLookupOptions {
  /** `secrets.keyFile` of tsctl.yaml */
  keyFile?: string
  /** what a relative keyFile is relative to (the repo) */
  baseDir?: string
  env?: NodeJS.ProcessEnv
}

const expandHome = (p: string) => (p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p)

/** Looks the keys up (see the file comment). Never throws: what it could not read is in `missed`. */
export function lookupAgeKeys(o: KeyLookupOptions = {}): KeyLookup {
  const env = o.env ?? process.env
  const out: KeyLookup = {identities: [], found: [], missed: []}
  const add = (where: string, text: string) => {
    const {identities} = parseIdentities(text)
    if (identities.length === 0) out.missed.push(`${where} (no AGE-SECRET-KEY-1 identity in it)`)
    else {
      out.identities.push(...identities)
      out.found.push(where)
    }
  }
  const file = (where: string, path: string, quietIfMissing: boolean) => {
    try {
      add(where, readFileSync(path, 'utf8'))
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (!(quietIfMissing && code === 'ENOENT')) out.missed.push(`${where} (${code ?? 'unreadable'})`)
      else out.missed.push(`${where} (none)`)
    }
  }
  if (env.SOPS_AGE_KEY) add('SOPS_AGE_KEY', env.SOPS_AGE_KEY)
  else out.missed.push('SOPS_AGE_KEY (unset)')
  if (env.SOPS_AGE_KEY_FILE) file(`SOPS_AGE_KEY_FILE=${env.SOPS_AGE_KEY_FILE}`, expandHome(env.SOPS_AGE_KEY_FILE), false)
  else out.missed.push('SOPS_AGE_KEY_FILE (unset)')
  if (o.keyFile) {
    const p = expandHome(o.keyFile)
    file(`tsctl.yaml secrets.keyFile=${o.keyFile}`, isAbsolute(p) ? p : resolve(o.baseDir ?? '.', p), false)
  }
  const xdg = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config')
  file(`${join(xdg, 'sops', 'age', 'keys.txt')}`, join(xdg, 'sops', 'age', 'keys.txt'), true)
  return out
}

let configured: KeyLookupOptions = {}
let cached: KeyLookup | undefined

/**
 * Records tsctl.yaml's `secrets.keyFile` for this process (called by
 * loadDesired), so code that meets a SOPS Secret later (the pod-bundle
 * compiler, diff) finds the same keys.
 */
export function useKeyFile(keyFile: string | undefined, baseDir: string): void {
  if (keyFile === configured.keyFile && baseDir === configured.baseDir) return
  configured = keyFile ? {keyFile, baseDir} : {}
  cached = undefined
}

/** The keys of this process (looked up once, after the last useKeyFile). */
export function processKeys(): KeyLookup {
  return (cached ??= lookupAgeKeys(configured))
}

/** For tests: forget the cached lookup (the environment changed). */
export function resetProcessKeys(): void {
  configured = {}
  cached = undefined
}
