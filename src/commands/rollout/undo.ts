import {Flags} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'
import {editArgs, editFlags, runEdit} from '../../rollout/verb-command.js'
import {A} from '../../manifests/annotations.js'

/** `tsctl rollout undo KIND/NAME [--to-revision N] [--commit]`. */
export default class RolloutUndo extends TsctlCommand {
  static summary = 'Roll a workload back to an earlier revision now, and keep it there until a commit changes it.'
  static description = `Puts the revision's pod template (and the ConfigMap and Secret contents that revision's pods used) back into the state and rolls it out at once with a sync of --ref (default HEAD), using the workload's own strategy (RollingUpdate steps, not all at once). The workload is then pinned: syncs and watch passes of the same commit leave it rolled back; the first commit that changes its manifest replaces it and lifts the pin. get, describe and diff show the pin.
--commit also writes the restored template into the manifest file and commits it ("Roll back deployment/web to revision 3"), so git says what runs.`
  static examples = [
    {description: 'Back to the previous revision', command: '<%= config.bin %> <%= command.id %> deployment/web'},
    {description: 'Back to revision 3, recorded in git', command: '<%= config.bin %> <%= command.id %> deploy/web --to-revision 3 --commit'},
  ]
  static args = editArgs
  static flags = {
    ...editFlags,
    'to-revision': Flags.integer({description: 'the revision to roll back to (default: the previous one)', min: 1}),
    commit: Flags.boolean({description: 'also commit the restored manifest to the repo (a work tree)', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RolloutUndo)
    this.outputFormat = flags.output
    const {rolloutUndo} = await import('../../rollout/verbs.js')
    let target: number | undefined
    const code = await runEdit({
      args,
      flags,
      operation: 'tsctl rollout undo',
      kinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
      applies: true,
      edit: (s, key) => {
        const r = rolloutUndo(s, key, flags['to-revision'])
        if (r.ok) target = Number(r.state.objects[key]?.metadata.annotations?.[A.pinnedRevision] ?? 0) || undefined
        return r
      },
      warn: (m) => this.warnLine(m),
      print: (s) => this.print(s),
    })
    if (flags.commit && target) {
      const {commitRollback} = await import('../../rollout/undo-commit.js')
      const {objectKey} = await import('../../manifests/object.js')
      const {parseTarget} = await import('../../cli/kinds.js')
      const {openBackend} = await import('../../cli/context.js')
      const {kind, name} = parseTarget([args.target, ...(args.name ? [args.name] : [])])
      const state = await (await openBackend(flags, (m) => this.warnLine(m))).read()
      const c = await commitRollback({repo: flags.repo, state: state!, key: objectKey(kind.kind, flags.namespace ?? 'default', name!), revision: target})
      const {escapeControl} = await import('../../render/untrusted.js')
      // the subject names the workload and the files are the repo's paths: escaped like every name
      process.stderr.write(escapeControl(`committed ${c.sha.slice(0, 8)} "${c.subject}" (${c.files.join(', ')})`) + '\n')
    }
    this.setExitCode(code)
  }
}
