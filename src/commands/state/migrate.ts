import {Flags} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'

/** `tsctl state migrate --to ADDRESS`: copy the state to another backend, serial and lineage kept. */
export default class StateMigrate extends TsctlCommand {
  static summary = 'Move the state to another backend (file, git, etcd) with its serial and lineage.'
  static description = `Reads the state from where this command would find it (--state, --state-backend, tsctl.yaml's state:, or --from ADDRESS) and writes it, unchanged, to --to ADDRESS. Both sides are locked while it runs, so no sync can slip in between. The target must hold no state, or an older serial of the same lineage: a newer serial or another lineage is never written over (exit 2). The source is left as it was: point tsctl at the target afterwards (tsctl.yaml state:, or TSCTL_STATE_BACKEND).
Addresses: file:PATH, git[:REMOTE][#REF] (REMOTE "." = the repo itself), etcd://HOST:PORT[,HOST:PORT]/PREFIX (etcds:// for TLS; certificates, user and TTL come from tsctl.yaml's state: and TSCTL_ETCD_*).`
  static examples = [
    {description: 'The file state beside the manifests into etcd', command: '<%= config.bin %> <%= command.id %> --to etcd://10.0.0.5:2379/tsctl/prod'},
    {description: 'Back from etcd into a file', command: '<%= config.bin %> <%= command.id %> --from etcd://10.0.0.5:2379/tsctl/prod --to file:.tsctl/state.json'},
    {description: 'Onto refs/tsctl/state of origin (the git backend)', command: '<%= config.bin %> <%= command.id %> --to git:origin'},
  ]
  static flags = {
    to: Flags.string({description: 'where the state goes: file:PATH, git[:REMOTE][#REF] or etcd://HOST:PORT/PREFIX', required: true}),
    from: Flags.string({description: 'where the state comes from (default: the backend the other flags and tsctl.yaml name)'}),
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json'] as const, default: 'text' as const})(),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(StateMigrate)
    this.outputFormat = flags.output
    const {openBackend} = await import('../../cli/context.js')
    const {openStateAddress} = await import('../../state/address.js')
    const {migrateState} = await import('../../state/migrate.js')
    const warn = (m: string) => this.warnLine(m)
    const from = flags.from ? openStateAddress(flags.from, {repo: flags.repo, warn}) : await openBackend(flags, warn)
    const to = openStateAddress(flags.to, {repo: flags.repo, warn})
    const r = await migrateState(from, to)
    if (flags.output === 'json') {
      this.printJson({apiVersion: 'tsctl.io/v1', kind: 'StateMigrate', from: from.describe(), to: to.describe(), serial: r.serial, lineage: r.lineage, objects: r.objects})
      return
    }
    const {escapeControl} = await import('../../render/untrusted.js')
    this.print(`Migrated serial ${r.serial} (lineage ${escapeControl(r.lineage)}, ${r.objects} objects) from ${escapeControl(from.describe())} to ${escapeControl(to.describe())}.\nThe source is unchanged; point tsctl at the target now (tsctl.yaml state:, or TSCTL_STATE_BACKEND).\n`)
  }
}
