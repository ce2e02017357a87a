import {Flags} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'

/** `tsctl state show`: the state, Secrets masked. */
export default class StateShow extends TsctlCommand {
  static summary = 'Show the state: serial, lineage, applied commit, lock, nodes and objects (Secret values masked).'
  static description = 'Text gives a summary and a table of objects; -o json / -o yaml give the whole state with every Secret value replaced by (sensitive) (schemas/output/state-show.json).'
  static examples = [
    {description: 'Summary of the state beside the manifests', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The whole state of another file, as JSON', command: '<%= config.bin %> <%= command.id %> --state /var/lib/fleet/state.json -o json'},
    {description: 'The state on an etcd prefix (any backend: file:PATH, git:REMOTE#REF, etcd://HOST:PORT/PREFIX)', command: '<%= config.bin %> <%= command.id %> --from etcd://127.0.0.1:2379/tsctl/prod'},
  ]
  static flags = {
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json', 'yaml'] as const, default: 'text' as const})(),
    from: Flags.string({description: 'read this state instead: file:PATH, git[:REMOTE][#REF] or etcd://HOST:PORT/PREFIX (as state migrate names them)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(StateShow)
    this.outputFormat = flags.output
    const {readState} = await import('../../cli/context.js')
    const {maskState} = await import('../../render/mask.js')
    const warn = (m: string) => this.warnLine(m)
    const {backend, state} = flags.from ? await (async () => {
      const b = (await import('../../state/address.js')).openStateAddress(flags.from!, {repo: flags.repo, warn})
      return {backend: b, state: await b.read()}
    })() : await readState(flags, warn)
    const lock = await backend.lockInfo()
    const masked = state ? maskState(state) : null
    if (flags.output !== 'text') {
      const doc = {apiVersion: 'tsctl.io/v1', kind: 'StateShow', backend: backend.describe(), lock, state: masked}
      await this.printStructured(flags.output, doc)
      return
    }
    const {renderStateSummary} = await import('../../render/state-summary.js')
    this.print(renderStateSummary(backend.describe(), masked, lock))
  }
}
