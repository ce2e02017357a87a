import {spawn} from 'node:child_process'
import {mkdtemp, mkdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import type {BundleTree} from './podBundle.js'

/**
 * Packs a bundle tree as an uncompressed tar (what `apply` reads on stdin).
 * Until the images helper's tar writer lands this writes the tree to a temp
 * dir and runs the system `tar` with an argv (no shell); paths in the tree
 * are produced by the bundle compiler (fixed names and checked relative paths).
 */
export async function bundleTar(tree: BundleTree): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'tsctl-bundle-'))
  try {
    for (const [rel, data] of tree) {
      if (rel.startsWith('/') || rel.split('/').includes('..')) throw new Error(`bundle path ${rel} escapes the bundle`)
      const p = join(dir, rel)
      await mkdir(dirname(p), {recursive: true})
      await writeFile(p, data, {mode: 0o644})
    }
    return await runTar(['-c', '-C', dir, '--owner=0', '--group=0', '--numeric-owner', '.'])
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

function runTar(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, {stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`tar failed: ${err.trim()}`))))
  })
}
