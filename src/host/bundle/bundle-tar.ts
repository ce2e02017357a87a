import {writeTar} from '../../images/tar/writer.js'
import type {TarEntryInput} from '../../images/tar/entry.js'
import type {BundleTree} from './pod-bundle.js'

/**
 * Packs a bundle tree as an uncompressed tar (what `apply` and
 * `update-files` read on stdin), with the project's tar writer: regular
 * files 0644 owned by root, parent directories listed first, deterministic.
 */
export async function bundleTar(tree: BundleTree): Promise<Buffer> {
  const entries: TarEntryInput[] = []
  const dirs = new Set<string>()
  for (const rel of [...tree.keys()].sort()) {
    const parts = rel.split('/')
    if (rel.startsWith('/') || parts.some((p) => p === '..' || p === '' || p === '.')) throw new Error(`bundle path ${rel} escapes the bundle`)
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/')
      if (!dirs.has(d)) {
        dirs.add(d)
        entries.push({name: d, type: 'dir', mode: 0o755})
      }
    }
    entries.push({name: rel, type: 'file', mode: rel.startsWith('tsctl-') ? 0o755 : 0o644, data: tree.get(rel)!})
  }
  return writeTar(entries)
}
