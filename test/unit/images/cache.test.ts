import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {appendFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {ImageCache, defaultCacheDir} from '../../../src/images/cache.js'

const bytes = Buffer.from('layer bytes for the cache test\n')
const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const hex = digest.slice(7)
let dir: string

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsctl-cache-test-'))
})
test.after.each(() => rmSync(dir, {recursive: true, force: true}))

test('where the cache is: TSCTL_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
  assert.is(defaultCacheDir({TSCTL_CACHE_DIR: '/x/c'}), '/x/c')
  assert.is(defaultCacheDir({XDG_CACHE_HOME: '/xdg'}), '/xdg/tsctl/images')
  assert.match(defaultCacheDir({XDG_CACHE_HOME: 'relative'}), /\/\.cache\/tsctl\/images$/)
})

test('a fetched blob lands in blobs/sha256/<hex>; a second fetch does not download', async () => {
  const c = new ImageCache(dir)
  let calls = 0
  const dl = async (dest: string) => {
    calls++
    await writeFile(dest, bytes)
  }
  assert.is(await c.fetch(digest, bytes.length, dl), true)
  assert.is(await c.fetch(digest, bytes.length, dl), false)
  assert.is(calls, 1)
  assert.equal(readFileSync(join(dir, 'blobs', 'sha256', hex)), bytes)
  assert.not.ok(existsSync(join(dir, 'partial', `${hex}.lock`)), 'the lock is released')
})

test('a cut download leaves the shared partial file for the next run, which resumes it', async () => {
  const c = new ImageCache(dir)
  const failed = await c
    .fetch(digest, bytes.length, async (dest) => {
      await writeFile(dest, bytes.subarray(0, 10))
      throw new Error('connection dropped')
    })
    .then(() => false, () => true)
  assert.ok(failed)
  let resumedFrom = -1
  await c.fetch(digest, bytes.length, async (dest) => {
    resumedFrom = readFileSync(dest).length
    await appendFile(dest, bytes.subarray(resumedFrom))
  })
  assert.is(resumedFrom, 10)
  assert.equal(readFileSync(c.path(digest)), bytes)
})

test('a live owner\'s download is left alone: this process downloads to a private file', async () => {
  const c = new ImageCache(dir)
  await c.fetch(`sha256:${'0'.repeat(64)}`, 0, async (d) => writeFile(d, '')).catch(() => {}) // make the dirs
  writeFileSync(join(dir, 'partial', `${hex}.lock`), String(process.pid)) // a live pid holds it
  writeFileSync(join(dir, 'partial', hex), 'someone else is writing this')
  let used = ''
  await c.fetch(digest, bytes.length, async (dest) => {
    used = dest
    await writeFile(dest, bytes)
  })
  assert.is.not(used, join(dir, 'partial', hex))
  assert.is(readFileSync(join(dir, 'partial', hex), 'utf8'), 'someone else is writing this')
  assert.equal(readFileSync(c.path(digest)), bytes)
})

test('a dead owner\'s lock is taken over', async () => {
  const c = new ImageCache(dir)
  await c.fetch(`sha256:${'0'.repeat(64)}`, 0, async (d) => writeFile(d, '')).catch(() => {})
  writeFileSync(join(dir, 'partial', `${hex}.lock`), '2147483646') // no such pid
  let used = ''
  await c.fetch(digest, bytes.length, async (dest) => {
    used = dest
    await writeFile(dest, bytes)
  })
  assert.is(used, join(dir, 'partial', hex))
})

test.run()
