import {Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'
import type {Desired} from '../manifests/desired.js'
import type {Observed} from '../reconcile/observed.js'
import type {State} from '../state/model.js'

/**
 * `tsctl diff`: what a sync of --ref would do. Exit 0 no changes, 1 changes,
 * 2 invalid input or error. Read-only: it takes no lock (reads are atomic).
 */
/**
 * The hosts' own status, read-only (the runtime is not installed where it is
 * missing). A host that cannot be reached is reported unreachable: reconcile
 * plans nothing there (it does not read it as "all its pods are gone").
 */
async function observeHosts(desired: Desired, state: State, root: string): Promise<Observed> {
  const {observe} = await import('../runtime/observe.js')
  const {Hosts} = await import('../runtime/executor/hosts.js')
  const {sshOptionsFromEnv} = await import('../runtime/transport/index.js')
  const nodes = desired.objects.filter((d) => d.object.kind === 'Node').map((d) => d.object)
  const hosts = new Hosts(nodes, {root, ssh: sshOptionsFromEnv()})
  try {
    return await observe(nodes, {hosts, install: false, capacityKnown: (n) => !!state.nodes[n]?.capacity})
  } finally {
    await hosts.close()
  }
}

export default class Diff extends TsctlCommand {
  static summary = 'Show what a sync of a commit would change: objects, pod placements, the first step and the end state.'
  static description = `Loads the manifests at --ref, reconciles them against the state and the observed status, and prints:
  - the object diff (added/changed/removed, field by field; Secret values shown as (sensitive)),
  - where every pod lands, per node, once the rollout has converged, and the pods no node can take (with the scheduler's reason),
  - the first step's actions with their reasons (exactly what \`tsctl sync\` would execute first),
  - the end state per workload, and a summary line "Plan: N to create, N to replace, N to delete, N unchanged.".
Observed status comes from the hosts (one status call per Node; nothing is installed or changed on them; an unreachable host is planned as the state last saw it); with --offline, from the state alone.
Exit code: 0 no changes, 1 changes, 2 invalid input or error.`
  static examples = [
    {description: 'What would a sync of HEAD do?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A pull request comment for CI, planned from the state alone', command: '<%= config.bin %> <%= command.id %> --ref origin/pr-42 --offline -o markdown'},
    {description: 'For bots (schemas/output/diff.json)', command: '<%= config.bin %> <%= command.id %> -o json'},
  ]
  static flags = {
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json', 'markdown'] as const, default: 'text' as const})(),
    offline: Flags.boolean({description: 'plan from the state alone; contact no host', default: false}),
    root: Flags.string({description: 'runtime root directory on every host (env TSCTL_ROOT)', default: process.env.TSCTL_ROOT ?? '/var/lib/tsctl'}),
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
    const observed = flags.offline ? observedFromState(before, t) : await observeHosts(desired, before, flags.root)
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
      observedFrom: flags.offline ? 'state' : 'hosts',
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
