// The order of files and documents, and how objects are split across files,
// must never change the Desired objects.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {parseConfig} from '../../../src/manifests/config.js'
import {desiredFromFiles} from '../../../src/manifests/load.js'
import {commit} from './helpers.js'

const dir = join(process.cwd(), 'manifests')
// the example's own tsctl.yaml: its podSecurity allows the node agent's hostPath /proc
const {podSecurity} = parseConfig(readFileSync(join(process.cwd(), 'tsctl.yaml'), 'utf8'))
const docs: string[] = readdirSync(dir).sort().flatMap((f) => readFileSync(join(dir, f), 'utf8').split(/^---\n/m))

/** A deterministic permutation (a tiny LCG seeded per case). */
function shuffle<T>(xs: T[], seed: number): T[] {
  const out = [...xs]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

const objectsOf = (files: {path: string; text: string}[]) => JSON.stringify(desiredFromFiles(files, commit, [], podSecurity).objects.map((o) => o.object))

test('same objects whatever the file names, file order and document order', () => {
  const reference = objectsOf(docs.map((text, i) => ({path: `m/${i}.yaml`, text})))
  for (let seed = 1; seed <= 5; seed++) {
    const order = shuffle(docs, seed)
    // one document per file, with names that sort differently
    assert.is(objectsOf(order.map((text, i) => ({path: `x/${String(97 - i).padStart(3, '0')}.yml`, text}))), reference)
    // everything in one multi-document file
    assert.is(objectsOf([{path: 'all.yaml', text: order.join('---\n')}]), reference)
    // the file list itself in another order
    assert.is(objectsOf(shuffle(order.map((text, i) => ({path: `f${i}.yaml`, text})), seed + 7)), reference)
  }
})

test('objects come sorted by key', () => {
  const keys = desiredFromFiles(shuffle(docs, 3).map((text, i) => ({path: `${i}.yaml`, text})), commit, [], podSecurity).objects.map((o) => `${o.object.kind}/${o.object.metadata.namespace ?? ''}/${o.object.metadata.name}`)
  assert.equal(keys, [...keys].sort())
})

test.run()
