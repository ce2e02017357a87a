import {randomUUID} from 'node:crypto'
import {type State, emptyState} from './model.js'

/**
 * A brand-new state for a fleet that has none: serial 0 and a random UUID
 * lineage. Randomness is fine here, at the I/O edge (`tsctl sync` calls it
 * when the backend reads null); reconcile never creates a state.
 */
export function newState(): State {
  return emptyState(randomUUID())
}
