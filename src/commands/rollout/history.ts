import {Args, Flags} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'

/** `tsctl rollout history KIND/NAME`: revisions with the commit that made each. */
export default class RolloutHistory extends TsctlCommand {
  static summary = 'List the revisions of a Deployment, StatefulSet or DaemonSet with the commit that made each.'
  static description = 'Reads the state: a Deployment\'s ReplicaSets (deployment.kubernetes.io/revision) or a StatefulSet\'s/DaemonSet\'s ControllerRevisions. --revision N prints that revision\'s pod template.'
  static examples = [
    {description: 'Revisions of a deployment', command: '<%= config.bin %> <%= command.id %> deploy/web'},
    {description: 'The pod template of revision 2', command: '<%= config.bin %> <%= command.id %> deploy/web --revision 2'},
    {description: 'For bots (schemas/output/rollout-history.json)', command: '<%= config.bin %> <%= command.id %> sts/db -o json'},
  ]
  static args = {
    target: Args.string({description: 'KIND/NAME', required: true}),
    name: Args.string({description: 'NAME (alternative to KIND/NAME)'}),
  }
  static flags = {
    revision: Flags.integer({description: 'show the details of this revision', min: 1}),
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json', 'yaml'] as const, default: 'text' as const})(),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RolloutHistory)
    this.outputFormat = flags.output
    const {parseTarget} = await import('../../cli/kinds.js')
    const {readState, namespacePhrase} = await import('../../cli/context.js')
    const {UserError} = await import('../../errors.js')
    const {objectKey} = await import('../../manifests/object.js')
    const {kind, name} = parseTarget([args.target, ...(args.name ? [args.name] : [])])
    if (!['Deployment', 'StatefulSet', 'DaemonSet'].includes(kind.kind)) throw new UserError(`rollout history works on deployments, statefulsets and daemonsets, not ${kind.plural}`)
    if (!name) throw new UserError(`a name is required: ${kind.plural}/NAME`)
    if (flags['all-namespaces']) throw new UserError('-A makes no sense for one object; use -n NAMESPACE')
    const {state} = await readState(flags, (m) => this.warnLine(m))
    const obj = state?.objects[objectKey(kind.kind, flags.namespace ?? 'default', name)]
    if (!state || !obj) throw new UserError(`${kind.plural} "${name}" not found ${namespacePhrase(flags)}`)
    const {revisionsOf, renderHistory} = await import('../../render/history.js')
    let revs = revisionsOf(obj, state)
    if (flags.revision !== undefined) {
      revs = revs.filter((r) => r.revision === flags.revision)
      if (revs.length === 0) throw new UserError(`${kind.resource}/${name} has no revision ${flags.revision}`)
    }
    if (flags.output === 'json' || flags.output === 'yaml') {
      const doc = {apiVersion: 'tsctl.io/v1', kind: 'RolloutHistory', object: `${kind.kind}/${obj.metadata.namespace ?? 'default'}/${name}`, revisions: revs}
      await this.printStructured(flags.output, doc)
      return
    }
    if (flags.revision !== undefined) {
      const r = revs[0]!
      const yaml = await import('js-yaml')
      const {escapeControl: u, escapeControlMultiline} = await import('../../render/untrusted.js')
      // JSON.stringify leaves C1 and bidi characters raw, and the author is not quoted at all
      const commit = r.commit ? u(`${r.commit.sha} ${JSON.stringify(r.commit.subject)} by ${r.commit.author} at ${r.commit.date}`) : '<none>'
      // js-yaml escapes C0, DEL and C1 in the template but not the bidi overrides
      this.print(`${u(`${kind.resource}/${name}`)} with revision #${r.revision}\nCommit: ${commit}\nHeld by: ${u(r.object)}\nPod Template:\n${escapeControlMultiline(yaml.dump(r.template ?? {}, {noRefs: true})).replace(/^/gm, '  ')}`)
      return
    }
    this.print(renderHistory(`${kind.resource}/${name}`, revs))
  }
}
