import {TsctlCommand} from '../../cli/base.js'
import {editArgs, editFlags, runEdit} from '../../rollout/verb-command.js'

/** `tsctl rollout resume deployment/NAME`. */
export default class RolloutResume extends TsctlCommand {
  static summary = 'Resume a paused Deployment and roll out what waited.'
  static description = 'Clears paused in the state and applies it with a sync of --ref (default HEAD) (--no-apply: the next sync or watch pass does).'
  static examples = [{description: 'Resume web', command: '<%= config.bin %> <%= command.id %> deployment/web'}]
  static args = editArgs
  static flags = editFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RolloutResume)
    this.outputFormat = flags.output
    const {rolloutPause} = await import('../../rollout/verbs.js')
    this.setExitCode(await runEdit({args, flags, operation: 'tsctl rollout resume', kinds: ['Deployment'], applies: true, edit: (s, key) => rolloutPause(s, key, false), warn: (m) => this.warnLine(m), print: (s) => this.print(s)}))
  }
}
