// Golden files: test/unit/render/golden/<name>. UPDATE_GOLDEN=1 rewrites them;
// otherwise a difference fails with both texts.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import * as assert from 'uvu/assert'

const dir = fileURLToPath(new URL('../../../../test/unit/render/golden/', import.meta.url))

export function golden(name: string, actual: string): void {
  const path = join(dir, name)
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.CI && !existsSync(path)) assert.unreachable(`golden file ${name} is missing`)
    writeFileSync(path, actual)
    return
  }
  assert.fixture(actual, readFileSync(path, 'utf8'), `golden ${name} differs (UPDATE_GOLDEN=1 to accept)`)
}
