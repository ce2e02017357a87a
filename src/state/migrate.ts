import {UserError} from '../errors.js'
import type {StateBackend} from './backend.js'

/**
 * Copies the state of FROM to TO unchanged (serial and lineage kept),
 * holding both locks so no writer slips in between. Refuses (exit 2) when
 * FROM has no state, when TO holds another lineage or a serial not older
 * (its own write guard says so too), and when FROM and TO are one place.
 * Idempotent in effect: a second run finds TO at the same serial and refuses.
 */
export async function migrateState(from: StateBackend, to: StateBackend): Promise<{serial: number; lineage: string; objects: number}> {
  if (from.describe() === to.describe()) throw new UserError(`--to names the state the command reads (${from.describe()})`, undefined, [], 'pick another target, or --from another source')
  const a = await from.lock('tsctl state migrate')
  try {
    const b = await to.lock('tsctl state migrate')
    try {
      const state = await from.read()
      if (!state) throw new UserError(`${from.describe()} holds no state: nothing to migrate`, undefined, [], 'is this the right source? (--from, --state, --state-backend, tsctl.yaml state:)')
      const there = await to.read()
      if (there && there.lineage !== state.lineage) {
        throw new UserError(`refusing to migrate: ${to.describe()} holds lineage ${there.lineage} (serial ${there.serial}), another fleet than ${state.lineage}`, undefined, [], 'use another target (e.g. another etcd prefix or file)')
      }
      if (there && there.serial >= state.serial) {
        throw new UserError(`refusing to migrate: ${to.describe()} is already at serial ${there.serial}, not older than the source's ${state.serial}`, undefined, [], there.serial === state.serial ? 'it was migrated already' : 'the target is newer: migrate the other way?')
      }
      await to.write(state)
      return {serial: state.serial, lineage: state.lineage, objects: Object.keys(state.objects).length}
    } finally {
      await to.unlock({id: b.id}).catch(() => {})
    }
  } finally {
    await from.unlock({id: a.id}).catch(() => {})
  }
}
