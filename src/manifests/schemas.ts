/**
 * The kind schemas in `schemas/` as ajv (draft-07) validators.
 *
 * `schemas/` is the single source of truth for manifest shapes; the same
 * files generate the TypeScript types (scripts/gen-types.mjs) and the
 * precompiled validators (scripts/gen-validators.mjs →
 * compiled/validators.ts). Fields marked `x-tsctl-unsupported: "why"`
 * validate normally but are reported through the `unsupported` sink of the
 * last validation, so the caller can warn.
 *
 * Why precompiled: compiling the 13 kind schemas with ajv at run time took
 * 0.3–0.6 s of every tsctl process on a loaded 2-core machine (the largest
 * single cost of a no-op `tsctl sync`); importing the standalone code takes
 * about 10 ms. The generated module carries a hash of `schemas/`; when the
 * files on disk differ (a schema edited without `npm run gen:validators`)
 * the validators are compiled at run time as before, from the same ajv
 * options and keyword, so behaviour never depends on a stale file.
 */
import {createHash} from 'node:crypto'
import {readFileSync, readdirSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {Ajv as AjvType, ErrorObject, KeywordCxt, ValidateFunction} from 'ajv'
import * as precompiled from './compiled/validators.js'

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
  /** kind name (the schema's title) → validator */
  validators: ReadonlyMap<string, ValidateFunction>
  /** kind name → apiVersion the schema requires */
  apiVersions: ReadonlyMap<string, string>
  /** filled by the last validator call; the caller empties it before each call */
  unsupported: UnsupportedHit[]
}

/** The schema files of `dir` (sorted by name) and a hash of their names and contents. */
export function readSchemaFiles(dir: string): {files: {name: string; text: string}[]; hash: string} {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => ({name, text: readFileSync(join(dir, name), 'utf8')}))
  const h = createHash('sha256')
  for (const f of files) h.update(`${f.name}\0${f.text}\0`)
  return {files, hash: h.digest('hex')}
}

// ajv is CommonJS: required lazily, so a process using the precompiled
// validators never loads it (about 50 ms of module loading).
const require = createRequire(import.meta.url)

/**
 * The ajv instance both paths use (run-time compile and gen-validators.mjs),
 * with every kind schema added. The unsupported keyword is generated code
 * that pushes onto `this` (passContext), so it also works in standalone
 * code, which cannot reference a JavaScript function: the validator is
 * called with the `unsupported` sink as `this`.
 */
export function newAjv(options: {standalone?: boolean} = {}): {ajv: AjvType; kinds: {title: string; id: string; apiVersion: string}[]; hash: string} {
  const {Ajv} = require('ajv') as typeof import('ajv')
  const {_, strConcat} = require('ajv/dist/compile/codegen/index.js') as typeof import('ajv/dist/compile/codegen/index.js')
  const N = (require('ajv/dist/compile/names.js') as typeof import('ajv/dist/compile/names.js')).default
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    allowUnionTypes: true,
    passContext: true,
    ...(options.standalone ? {code: {source: true, esm: true}} : {}),
  })
  ajv.addKeyword({
    keyword: unsupportedKeyword,
    schemaType: 'string',
    // Runs only where the field is present: record it, never fail.
    code(cxt: KeywordCxt) {
      cxt.gen.code(_`this.push({instancePath: ${strConcat(N.instancePath, cxt.it.errorPath)}, why: ${cxt.schema as string}})`)
    },
  })
  const {files, hash} = readSchemaFiles(schemaDir())
  const kinds: {title: string; id: string; apiVersion: string}[] = []
  for (const f of files) {
    const schema = JSON.parse(f.text)
    ajv.addSchema(schema)
    if (f.name !== 'definitions.json') kinds.push({title: schema.title, id: schema.$id, apiVersion: schema.properties.apiVersion.const})
  }
  return {ajv, kinds, hash}
}

let cached: KindSchemas | undefined

/** The validators of every kind (once per process; cheap to call again). */
export function kindSchemas(): KindSchemas {
  cached ??= buildKindSchemas()
  return cached
}

/**
 * Fresh validators: the precompiled ones when they match `schemas/` on disk,
 * otherwise (or with `compile: true`, for tests comparing both) compiled now.
 */
export function buildKindSchemas(options: {compile?: boolean} = {}): KindSchemas {
  const unsupported: UnsupportedHit[] = []
  const validators = new Map<string, ValidateFunction>()
  const apiVersions = new Map<string, string>()
  const {hash} = readSchemaFiles(schemaDir())
  const raw = new Map<string, ValidateFunction>()
  if (!options.compile && hash === precompiled.schemasHash) {
    for (const [kind, apiVersion] of Object.entries(precompiled.apiVersions)) {
      raw.set(kind, (precompiled.validators as unknown as Record<string, ValidateFunction>)[kind])
      apiVersions.set(kind, apiVersion)
    }
  } else {
    const {ajv, kinds} = newAjv()
    for (const k of kinds) {
      raw.set(k.title, ajv.getSchema(k.id)!)
      apiVersions.set(k.title, k.apiVersion)
    }
  }
  for (const [kind, fn] of raw) {
    // Called as before (`validate(object)`, then `validate.errors`): the
    // wrapper passes the sink as `this` and copies the errors over.
    const wrapped = ((data: unknown) => {
      const ok = fn.call(unsupported, data) as boolean
      wrapped.errors = fn.errors
      return ok
    }) as ValidateFunction
    wrapped.errors = null
    validators.set(kind, wrapped)
  }
  return {validators, apiVersions, unsupported}
}

export type {ErrorObject}
