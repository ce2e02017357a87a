// Recording fakes for the GitOps loop (Nomad-harness style): a branch as
// an in-memory first-parent chain, a tip source driven by the test, and a
// sync that records every call and runs a scripted number of steps,
// honouring shouldStop between them.
import type {CommitOrder} from '../../../src/gitops/commit-log.js'
import type {SyncPortOptions, SyncPortResult} from '../../../src/gitops/sync-port.js'
import type {TipSource} from '../../../src/gitops/tip-source.js'
import type {StateBackend} from '../../../src/state/backend.js'

export const sha = (n: number) => n.toString(16).padStart(40, '0')

/** A branch: commits[0] is the root; `push` appends and notifies. */
export class FakeBranch implements TipSource, CommitOrder {
  readonly repo = '/fake/repo'
  readonly ref = 'refs/heads/main'
  commits: string[] = []
  private listener: (() => void) | undefined
  closed = false

  push(...subjects: number[]): void {
    for (const n of subjects) this.commits.push(sha(n))
    this.listener?.()
  }
  /** force push: replace the history */
  reset(ids: number[]): void {
    this.commits = ids.map(sha)
    this.listener?.()
  }
  async start(onChange: () => void): Promise<void> {
    this.listener = onChange
  }
  async tip(): Promise<string | null> {
    return this.commits.at(-1) ?? null
  }
  async close(): Promise<void> {
    this.closed = true
  }
  async resolve(ref: string): Promise<string | null> {
    return this.commits.includes(ref) ? ref : null
  }
  async isAncestor(a: string, b: string): Promise<boolean> {
    const i = this.commits.indexOf(a)
    const j = this.commits.indexOf(b)
    return i >= 0 && j >= 0 && i <= j
  }
  async oldestAfter(from: string, to: string): Promise<{sha: string; count: number} | null> {
    const i = this.commits.indexOf(from)
    const j = this.commits.indexOf(to)
    if (j <= i) return null
    return {sha: this.commits[i + 1], count: j - i}
  }
  async subject(s: string): Promise<string> {
    return `commit ${parseInt(s, 16)}`
  }
}

export interface RecordedPass {
  ref: string
  stepsRun: number
  stopped: boolean
}

/**
 * A sync that takes `steps(ref)` steps (a rollout waiting for readiness is
 * many steps), yielding to the event loop between them and stopping early
 * when shouldStop() says so. `script` may override a call's result.
 */
export class RecordingSync {
  passes: RecordedPass[] = []
  steps: (ref: string) => number = () => 1
  script: ((ref: string, call: number) => SyncPortResult | Error | undefined) | undefined
  /** called before each step: tests push commits or abort from here */
  onStep: ((ref: string, step: number) => void) | undefined

  readonly fn = async (o: SyncPortOptions): Promise<SyncPortResult> => {
    const call = this.passes.length
    const scripted = this.script?.(o.ref, call)
    if (scripted instanceof Error) {
      this.passes.push({ref: o.ref, stepsRun: 0, stopped: false})
      throw scripted
    }
    const rec: RecordedPass = {ref: o.ref, stepsRun: 0, stopped: false}
    this.passes.push(rec)
    if (scripted) return scripted
    const n = this.steps(o.ref)
    for (let i = 0; i < n; i++) {
      this.onStep?.(o.ref, i)
      await new Promise((r) => setImmediate(r))
      rec.stepsRun++
      o.onEvent?.({type: 'step', message: `step ${i + 1} of ${n}`})
      if (o.shouldStop?.()) {
        rec.stopped = true
        return {exitCode: 0, converged: false, commit: {sha: o.ref, subject: ''}}
      }
    }
    return {exitCode: 0, converged: true, commit: {sha: o.ref, subject: ''}}
  }
}

/** A backend the fake sync never touches. */
export const nullBackend: StateBackend = {
  describe: () => 'fake',
  read: async () => null,
  write: async () => {},
  lock: async () => ({operation: 'x', holder: 'x', pid: 1, host: 'x', created: '', id: 'x'}),
  unlock: async () => null,
  lockInfo: async () => null,
}
