import {Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'
import type {Desired} from '../manifests/desired.js'
import type {Observed} from '../reconcile/observed.js'
import type {MergeInfo} from '../render/diff-model.js'
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
  const {observe} = await import('../sync/observe.js')
  const {Hosts} = await import('../sync/executor/hosts.js')
  const {sshOptionsFromEnv} = await import('../transport/index.js')
  const {nodesToObserve} = await import('../reconcile/index.js')
  const nodes = nodesToObserve(desired.objects.map((d) => d.object), state)
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
--base BASE plans what merging --ref into BASE would change relative to what the state says runs now: the manifests are those of the merge (git merge-tree; a conflict is exit 2), and it implies --offline, so a pull request from a fork can be diffed with no access to the hosts.
--out PLAN also writes the first plan, with the state serial and commit it was made from, to PLAN (mode 0600); \`tsctl sync --plan PLAN\` applies exactly it, or refuses it when the state or commit moved.
Exit code: 0 no changes, 1 changes, 2 invalid input or error.`
  static examples = [
    {description: 'What would a sync of HEAD do?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A pull request comment for CI, planned from the state alone', command: '<%= config.bin %> <%= command.id %> --ref origin/pr-42 --offline -o markdown'},
    {description: 'For bots (schemas/output/diff.json)', command: '<%= config.bin %> <%= command.id %> -o json'},
    {description: 'A pull request: what merging it into main would change, from the state on the git backend', command: '<%= config.bin %> <%= command.id %> --ref origin/feature --base origin/main --state-backend git -o markdown'},
    {description: 'Save the plan, review it, apply exactly it', command: '<%= config.bin %> <%= command.id %> --out plan.json && <%= config.bin %> sync --plan plan.json'},
  ]
  static flags = {
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json', 'markdown'] as const, default: 'text' as const})(),
    offline: Flags.boolean({description: 'plan from the state alone; contact no host', default: false}),
    base: Flags.string({description: 'plan the merge of --ref into this ref (a pull request\'s target branch); implies --offline'}),
    out: Flags.string({description: 'also save the plan to this file (mode 0600) for `tsctl sync --plan`'}),
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

    let ref = flags.ref
    let merge: MergeInfo | undefined
    if (flags.base !== undefined) {
      const {mergeCommit} = await import('../saved-plans/merge-commit.js')
      const m = await mergeCommit({repo: flags.repo, ref: flags.ref, base: flags.base})
      ref = m.sha
      merge = m.merge
    }
    // A pull request's diff never contacts a host: it plans a commit that does not exist on main yet.
    const offline = flags.offline || merge !== undefined
    const desired = await loadDesired({repo: flags.repo, ref})
    const {state: stored, backend} = await readState(flags, (m) => this.warnLine(m))
    const from = {state: stored ? {lineage: stored.lineage, serial: stored.serial} : null, backend: backend.describe()}
    // A fleet that never synced diffs against nothing; the lineage is only a placeholder (diff never writes).
    const before = stored ?? emptyState('(no state yet)')
    const t = now()
    const observed = offline ? observedFromState(before, t) : await observeHosts(desired, before, flags.root)
    // converge() runs the first pass itself: its `first` is exactly what sync would execute first.
    // Registry images: offline, only the digests the state already pinned (never a registry);
    // online, new revisions' tags are looked up as sync would (pull policy), then planned again.
    const {ImageAnswers} = await import('../sync/image-answers.js')
    const {ImageResolver} = await import('../sync/executor/images.js')
    const answers = new ImageAnswers(new ImageResolver(flags.repo, {...(desired.registries ? {registries: desired.registries} : {}), objects: () => before.objects}), desired)
    const input = {desired, state: before, observed, now: t}
    let end = converge({...input, images: answers.current(before)})
    if (!offline && end.imageNeeds.length) {
      await answers.answer(end.imageNeeds, before)
      end = converge({...input, images: answers.current(before)})
    }
    const result = buildDiff({
      desired,
      before,
      plan: end.first.plan,
      after: end.final.state,
      stuck: end.stuck,
      steps: end.passes,
      offline,
      observedFrom: offline ? 'state' : 'hosts',
      from,
      ...(merge ? {merge} : {}),
    })
    if (flags.out !== undefined) {
      const {makeSavedPlan, savePlan} = await import('../saved-plans/index.js')
      const origin = {...from, commit: desired.commit, ref: flags.ref, ...(merge ? {base: merge.base} : {})}
      await savePlan(flags.out, makeSavedPlan(origin, end.first.plan, new Date(t).toISOString()))
      if (flags.output === 'text') process.stderr.write(`Saved the first step's plan to ${flags.out}; apply exactly it with: tsctl sync --plan ${flags.out}\n`)
    }
    // rollout undo's pins, held or lifted by this commit (docs/gitops.md)
    const {pinNotes, renderPinNotes} = await import('../rollout/pin-notes.js')
    const pins = pinNotes(before, desired)
    if (flags.output === 'json') this.printJson(pins.length ? {...result, pins} : result)
    else if (flags.output === 'markdown') this.print((await import('../render/diff-markdown.js')).renderDiffMarkdown(result) + (pins.length ? `\n${renderPinNotes(pins).replace(/^/gm, '- ').replace(/^- $/m, '')}` : ''))
    else {
      const {palette, shouldColor} = await import('../render/color.js')
      const {renderDiffText} = await import('../render/diff-text.js')
      const {escapeControl} = await import('../render/untrusted.js')
      // a pull request's branch name is the contributor's to choose, and git allows C1 and bidi characters in it
      if (merge) this.print(escapeControl(`Merging ${merge.head.ref} (${merge.head.sha.slice(0, 7)}) into ${merge.base.ref} (${merge.base.sha.slice(0, 7)}): ${merge.how}; planned offline from the state${from.state ? ` (serial ${from.state.serial})` : ' (none yet)'}.`) + '\n\n')
      this.print(renderDiffText(result, palette(shouldColor(process.stdout))))
      this.print(renderPinNotes(pins))
    }
    this.setExitCode(result.changes ? 1 : 0)
  }
}
