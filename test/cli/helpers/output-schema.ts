// Validates a command's -o json document against schemas/output/<name>.json with ajv.
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Ajv} from 'ajv'

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
const dir = join(repoRoot, 'schemas', 'output')
const ajv = new Ajv({allErrors: true, strict: false})
for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')))

/** Throws with ajv's messages when `doc` does not follow schemas/output/<name>.json. */
export function assertOutput(name: string, doc: unknown): void {
  const validate = ajv.getSchema(`https://tsctl.io/schemas/output/${name}.json`)
  if (!validate) throw new Error(`no schema schemas/output/${name}.json`)
  if (!validate(doc)) throw new Error(`${name}.json: ${ajv.errorsText(validate.errors, {separator: '\n'})}\n${JSON.stringify(doc).slice(0, 2000)}`)
}
