/**
 * The kind schemas in `schemas/` compiled once with ajv (draft-07).
 *
 * `schemas/` is the single source of truth for manifest shapes; the same
 * files generate the TypeScript types (scripts/gen-types.mjs). Fields marked
 * `x-tsctl-unsupported: "why"` validate normally but are reported through
 * the `unsupported` sink of the last validation, so the caller can warn.
 */
import {readFileSync, readdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'

/** The custom keyword naming why tsctl cannot honour a field. */
export const unsupportedKeyword = 'x-tsctl-unsupported'

/** `schemas/` of the package: two levels above src/manifests or dist/src/manifests. */
export function schemaDir(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const up of ['../..', '../../..']) {
    const dir = join(here, up, 'schemas')
    try {
      if (readdirSync(dir).includes('definitions.json')) return dir
    } catch {
      // not this level
    }
  }
  throw new Error(`schemas/ not found above ${here}`)
}

/** A field present in a manifest that tsctl accepts but cannot honour. */
export interface UnsupportedHit {
  /** JSON pointer, e.g. `/spec/template/spec/serviceAccountName` */
  instancePath: string
  why: string
}

export interface KindSchemas {
  /** kind name (the schema's title) → compiled validator */
  validators: ReadonlyMap<string, ValidateFunction>
  /** kind name → apiVersion the schema requires */
  apiVersions: ReadonlyMap<string, string>
  /** filled by the last validator call; the caller empties it before each call */
  unsupported: UnsupportedHit[]
}

let cached: KindSchemas | undefined

/** Compiles every kind schema (once per process; cheap to call again). */
export function kindSchemas(): KindSchemas {
  if (cached) return cached
  const unsupported: UnsupportedHit[] = []
  const ajv = new Ajv({allErrors: true, verbose: true, strict: true, allowUnionTypes: true})
  ajv.addKeyword({
    keyword: unsupportedKeyword,
    schemaType: 'string',
    // Runs only where the field is present: record it, never fail.
    validate: function record(why: string, _data: unknown, _parent: unknown, cxt?: {instancePath: string}) {
      unsupported.push({instancePath: cxt?.instancePath ?? '', why})
      return true
    },
  })
  const dir = schemaDir()
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  const kinds: {title: string; id: string; apiVersion: string}[] = []
  for (const f of files) {
    const schema = JSON.parse(readFileSync(join(dir, f), 'utf8'))
    ajv.addSchema(schema)
    if (f !== 'definitions.json') kinds.push({title: schema.title, id: schema.$id, apiVersion: schema.properties.apiVersion.const})
  }
  const validators = new Map<string, ValidateFunction>()
  const apiVersions = new Map<string, string>()
  for (const k of kinds) {
    validators.set(k.title, ajv.getSchema(k.id)!)
    apiVersions.set(k.title, k.apiVersion)
  }
  cached = {validators, apiVersions, unsupported}
  return cached
}

export type {ErrorObject}
