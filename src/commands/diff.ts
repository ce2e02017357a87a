import {Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'

/**
 * `tsctl diff`: what a sync of --ref would do. Exit 0 no changes, 1 changes,
 * 2 invalid input or error. Read-only: it takes no lock (reads are atomic).
 */
export default class Diff extends TsctlCommand {
  static summary = 'Show what a sync of a commit would change: objects, pod placements, the first step and the end state.'
  static description = `Loads the manifests at --ref, reconciles them against the state and the observed status, and prints:
  - the object diff (added/changed/removed, field by field; Secret values shown as (sensitive)),
  - where every pod lands, per node, once the rollout has converged, and the pods no node can take (with the scheduler's reason),
  - the first step's actions with their reasons (exactly what \`tsctl sync\` would execute first),
  - the end state per workload, and a summary line "Plan: N to create, N to replace, N to delete, N unchanged.".
Until the host runtime lands, observed status always comes from the state (as with --offline).
Exit code: 0 no changes, 1 changes, 2 invalid input or error.`
  static examples = [
    {description: 'What would a sync of HEAD do?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A pull request comment for CI, planned from the state alone', command: '<%= config.bin %> <%= command.id %> --ref origin/pr-42 --offline -o markdown'},
    {description: 'For bots (schemas/output/diff.json)', command: '<%= config.bin %> <%= command.id %> -o json'},
  ]
  static flags = {
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json', 'markdown'] as const, default: 'text' as const})(),
    offline: Flags.boolean({description: 'plan from the state alone; contact no host', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Diff)
    this.outputFormat = flags.output
    const {loadDesired} = await import('../manifests/load.js')
    const {converge} = await import('../reconcile/converge.js')
    const {observedFromState} = await import('../reconcile/assume.js')
    const {now} = await import('../cli/clock.js')
    const {readState} = await import('../cli/context.js')
    const {emptyState} = await import('../state/model.js')
    const {buildDiff} = await import('../render/diff-model.js')

    const desired = await loadDesired({repo: flags.repo, ref: flags.ref})
    const {state: stored} = await readState(flags, (m) => this.warnLine(m))
    // A fleet that never synced diffs against nothing; the lineage is only a placeholder (diff never writes).
    const before = stored ?? emptyState('(no state yet)')
    const t = now()
    // The seam for observing hosts: src/runtime/observe.ts `observe(nodes, opts)` replaces this for
    // online diffs once the runtime and SSH exist (issue 3/4). Today both modes read the state.
    const observed = observedFromState(before, t)
    // converge() runs the first pass itself: its `first` is exactly what sync would execute first.
    const end = converge({desired, state: before, observed, now: t})
    const result = buildDiff({
      desired,
      before,
      plan: end.first.plan,
      after: end.final.state,
      stuck: end.stuck,
      steps: end.passes,
      offline: flags.offline,
      observedFrom: 'state',
    })
    if (flags.output === 'json') this.printJson(result)
    else if (flags.output === 'markdown') this.print((await import('../render/diff-markdown.js')).renderDiffMarkdown(result))
    else {
      const {palette, shouldColor} = await import('../render/color.js')
      const {renderDiffText} = await import('../render/diff-text.js')
      this.print(renderDiffText(result, palette(shouldColor(process.stdout))))
    }
    this.setExitCode(result.changes ? 1 : 0)
  }
}
