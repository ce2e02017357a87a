import {Flags} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'

/** `tsctl state unlock`: remove a stale lock, or anyone's with --force. */
export default class StateUnlock extends TsctlCommand {
  static summary = 'Remove the state lock: a stale one (its process is gone) by default, anyone\'s with --force.'
  static description = 'Without --force the lock is removed only when its holder ran on this host and that process no longer exists, or (git backend) when it is past its expiry; with the etcd backend the lock of a dead holder disappears by itself when its lease TTL runs out; otherwise the command names the holder and exits 3. --force removes any lock: make sure its holder is really gone first.'
  static examples = [
    {description: 'Clear a lock left by a killed tsctl on this machine', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Clear a lock left by a CI runner that disappeared', command: '<%= config.bin %> <%= command.id %> --force'},
    {description: 'The same for the state on refs/tsctl/state of origin (docs/ci.md)', command: '<%= config.bin %> <%= command.id %> --state-backend git --force'},
    {description: 'The lease lock of the etcd backend (it also frees itself when its holder\'s lease runs out)', command: 'TSCTL_STATE_BACKEND=etcd <%= config.bin %> <%= command.id %> --force'},
  ]
  static flags = {
    force: Flags.boolean({description: 'remove the lock whoever holds it', default: false}),
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json'] as const, default: 'text' as const})(),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(StateUnlock)
    this.outputFormat = flags.output
    const {openBackend} = await import('../../cli/context.js')
    const {describeHolder} = await import('../../state/file-lock.js')
    const warnings: string[] = []
    const backend = await openBackend(flags, (m) => warnings.push(m))
    const removed = await backend.unlock({force: flags.force})
    for (const w of warnings) this.warnLine(w)
    if (flags.output === 'json') {
      this.printJson({apiVersion: 'tsctl.io/v1', kind: 'StateUnlock', unlocked: removed !== null, lock: removed})
      return
    }
    const {escapeControl} = await import('../../render/untrusted.js')
    // the holder is what the lock says of itself: with the git backend, another machine wrote it
    this.print(removed ? `Unlocked: removed the lock held by ${escapeControl(describeHolder(removed))}.\n` : 'The state is not locked.\n')
  }
}
