import {TsctlCommand} from '../../cli/base.js'
import {editArgs, editFlags, runEdit} from '../../rollout/verb-command.js'

/** `tsctl rollout restart KIND/NAME`. */
export default class RolloutRestart extends TsctlCommand {
  static summary = 'Restart every pod of a workload, rolled like a template change.'
  static description = 'Sets a restartedAt annotation in the state (kept across commits, so a later commit does not restart the pods again) and rolls it out with a sync of --ref (default HEAD), with the workload\'s strategy.'
  static examples = [{description: 'Restart web', command: '<%= config.bin %> <%= command.id %> deployment/web'}]
  static args = editArgs
  static flags = editFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RolloutRestart)
    this.outputFormat = flags.output
    const {rolloutRestart} = await import('../../rollout/verbs.js')
    this.setExitCode(await runEdit({args, flags, operation: 'tsctl rollout restart', kinds: ['Deployment', 'StatefulSet', 'DaemonSet'], applies: true, edit: (s, key, now) => rolloutRestart(s, key, now), warn: (m) => this.warnLine(m), print: (s) => this.print(s)}))
  }
}
