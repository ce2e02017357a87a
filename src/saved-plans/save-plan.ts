import {mkdir} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'
import {writeFileAtomic} from '../state/atomic-write.js'
import type {SavedPlan} from './saved-plan.js'

/**
 * Writes a saved plan to `path` atomically with mode 0600 (whatever the
 * umask: pods in create actions may carry Secret-derived values), creating
 * its directory (0700) if needed. Overwrites an older plan at that path.
 */
export async function savePlan(path: string, saved: SavedPlan): Promise<void> {
  const abs = resolve(path)
  await mkdir(dirname(abs), {recursive: true, mode: 0o700})
  await writeFileAtomic(abs, JSON.stringify(saved, null, 2) + '\n', 0o600)
}
