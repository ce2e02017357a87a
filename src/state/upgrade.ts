import {UserError} from '../errors.js'
import {type State, StateVersion} from './model.js'

/**
 * One function per old version, turning a state of version N into N+1
 * (Terraform's rule). Version 1 is the first format, so the table is empty;
 * the next incompatible change to `State` adds `1: (s) => …` here and bumps
 * `StateVersion` in model.ts.
 */
const upgraders: Record<number, (s: Record<string, unknown>) => Record<string, unknown>> = {}

/**
 * Turns whatever a backend read into a current `State`: checks the shape,
 * runs the upgrade chain for old versions, and refuses a version newer than
 * this tsctl knows (so an old binary never rewrites a newer file). `source`
 * names where it came from, for messages. Pure.
 */
export function upgradeState(raw: unknown, source: string): State {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(`${source}: not a tsctl state (expected a JSON object)`)
  }
  let s = raw as Record<string, unknown>
  const version = s.version
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new UserError(`${source}: not a tsctl state (no valid "version" field)`)
  }
  if (version > StateVersion) {
    throw new UserError(
      `${source}: state version ${version} was written by a newer tsctl; this tsctl reads up to version ${StateVersion}`,
      undefined,
      [],
      'upgrade tsctl; nothing was changed',
    )
  }
  for (let v = version; v < StateVersion; v++) {
    const up = upgraders[v]
    if (!up) throw new UserError(`${source}: no upgrade from state version ${v} (internal: missing upgrader)`)
    s = {...up(s), version: v + 1}
  }
  const problems: string[] = []
  if (typeof s.serial !== 'number' || !Number.isInteger(s.serial) || s.serial < 0) problems.push('"serial" must be a non-negative integer')
  if (typeof s.lineage !== 'string' || s.lineage === '') problems.push('"lineage" must be a non-empty string')
  if (!isRecord(s.objects)) problems.push('"objects" must be an object')
  if (s.nodes !== undefined && !isRecord(s.nodes)) problems.push('"nodes" must be an object')
  if (s.events !== undefined && !Array.isArray(s.events)) problems.push('"events" must be an array')
  if (problems.length) throw new UserError(`${source}: damaged state: ${problems.join('; ')}`)
  return {
    version: StateVersion,
    serial: s.serial as number,
    lineage: s.lineage as string,
    appliedCommit: (s.appliedCommit ?? null) as State['appliedCommit'],
    objects: s.objects as State['objects'],
    nodes: (s.nodes ?? {}) as State['nodes'],
    events: (s.events ?? []) as State['events'],
  }
}

function isRecord(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
