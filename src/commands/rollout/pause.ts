import {TsctlCommand} from '../../cli/base.js'
import {editArgs, editFlags, runEdit} from '../../rollout/verb-command.js'

/** `tsctl rollout pause deployment/NAME`. */
export default class RolloutPause extends TsctlCommand {
  static summary = 'Pause a Deployment: template changes wait until it is resumed; scaling still happens.'
  static description = 'Marks the Deployment paused in the state (pinned like undo: syncs of the same commit keep it paused). Changes nothing on the hosts.'
  static examples = [{description: 'Pause web', command: '<%= config.bin %> <%= command.id %> deployment/web'}]
  static args = editArgs
  static flags = editFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RolloutPause)
    this.outputFormat = flags.output
    const {rolloutPause} = await import('../../rollout/verbs.js')
    this.setExitCode(await runEdit({args, flags, operation: 'tsctl rollout pause', kinds: ['Deployment'], applies: false, edit: (s, key) => rolloutPause(s, key, true), warn: (m) => this.warnLine(m), print: (s) => this.print(s)}))
  }
}
