/**
 * Shape checks: one document against its kind's JSON Schema (ajv), with
 * ajv's errors rewritten for people: unknown fields get a "did you mean",
 * types are named, enums list their values. Fields marked
 * `x-tsctl-unsupported` become warnings naming the field.
 */
import type {ErrorObject} from 'ajv'
import {kindSchemas} from './schemas.js'
import {didYouMean} from './suggest.js'
import type {DocRef, Report} from './report.js'

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : typeof v === 'string' ? `a string (${JSON.stringify(v).slice(0, 40)})` : `${typeof v === 'number' && Number.isInteger(v) ? 'an integer' : typeof v} (${String(v)})`)
const wanted: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  'string,number': 'a quantity (a string like "100m" or "1Gi", or a number)',
  'integer,string': 'an integer or a string',
  'string,null': 'a string',
}

/** Validates `object` (whose kind has a schema) against it; returns true when the shape is valid. */
export function validateSchema(kind: string, object: unknown, at: DocRef, report: Report): boolean {
  const schemas = kindSchemas()
  const validate = schemas.validators.get(kind)!
  schemas.unsupported.length = 0
  const ok = validate(object) as boolean
  for (const u of [...schemas.unsupported].sort((a, b) => (a.instancePath < b.instancePath ? -1 : 1))) {
    report.warn(at, u.instancePath, 'accepted but not honoured by tsctl', u.why)
  }
  schemas.unsupported.length = 0
  if (ok) return true
  const seen = new Set<string>()
  for (const e of validate.errors ?? []) {
    const d = kind === 'Secret' && /^\/(data|stringData)\//.test(e.instancePath) ? describeSecretValue(e) : describe(e)
    const id = `${d.pointer}\0${d.message}`
    if (seen.has(id)) continue
    seen.add(id)
    report.error(at, d.pointer, d.message, d.hint)
  }
  return false
}

/** A Secret's values are never echoed: not in the message, not in the hint. */
function describeSecretValue(e: ErrorObject): {pointer: string; message: string; hint?: string} {
  const what = e.data === null ? 'null' : Array.isArray(e.data) ? 'a list' : typeof e.data === 'object' ? 'a mapping' : typeof e.data === 'number' ? 'a number' : typeof e.data
  return {pointer: e.instancePath, message: `a Secret value must be a string, not ${what} (the value is not shown)`, hint: 'quote the value'}
}

function describe(e: ErrorObject): {pointer: string; message: string; hint?: string} {
  const p = e.instancePath
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = e.params.additionalProperty as string
      const allowed = Object.keys((e.parentSchema as {properties?: object})?.properties ?? {})
      const close = didYouMean(name, allowed)
      return {
        pointer: `${p}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: `unknown field "${name}"`,
        hint: close ? `did you mean "${close}"?` : allowed.length ? `allowed here: ${allowed.join(', ')}` : undefined,
      }
    }
    case 'required':
      return {pointer: p, message: `missing required field "${e.params.missingProperty}"`}
    case 'type': {
      const t = Array.isArray(e.params.type) ? e.params.type.join(',') : String(e.params.type)
      return {pointer: p, message: `must be ${wanted[t] ?? t}, not ${typeName(e.data)}`, hint: t === 'string' && typeof e.data !== 'object' ? `quote it: "${String(e.data)}"` : undefined}
    }
    case 'enum': {
      const values = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v))
      const close = typeof e.data === 'string' ? didYouMean(e.data, (e.params.allowedValues as unknown[]).filter((v): v is string => typeof v === 'string' && v !== '')) : undefined
      return {pointer: p, message: `${JSON.stringify(e.data)} is not one of ${values.join(', ')}`, hint: close ? `did you mean "${close}"?` : undefined}
    }
    case 'const':
      return {pointer: p, message: `must be ${JSON.stringify(e.params.allowedValue)}, not ${JSON.stringify(e.data)}`}
    case 'minimum':
    case 'maximum': {
      const range = rangeOf(e)
      return {pointer: p, message: `${String(e.data)} is out of range${range ? ` (${range})` : ''}`}
    }
    case 'minItems':
      return {pointer: p, message: `must have at least ${e.params.limit} item${e.params.limit === 1 ? '' : 's'}`}
    default:
      return {pointer: p, message: e.message ?? `fails ${e.keyword}`}
  }
}

function rangeOf(e: ErrorObject): string | undefined {
  const s = e.parentSchema as {minimum?: number; maximum?: number}
  if (s.minimum !== undefined && s.maximum !== undefined) return `${s.minimum}-${s.maximum}`
  if (s.minimum !== undefined) return `at least ${s.minimum}`
  if (s.maximum !== undefined) return `at most ${s.maximum}`
  return undefined
}
