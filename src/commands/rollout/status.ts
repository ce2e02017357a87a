import {Args, Flags} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'

/** `tsctl rollout status KIND/NAME [--timeout]`: kubectl's progress lines until done. */
export default class RolloutStatus extends TsctlCommand {
  static summary = 'Wait for a rollout to finish, printing its progress like kubectl.'
  static description = `Every --interval the hosts are observed and reconciled in memory (a dry run of --ref, default HEAD: nothing is locked, written or changed), and the workload's progress printed in kubectl's words whenever it changes. Without access to the repo or the hosts (--offline) the state alone is read, as written by a running sync or watch.
Exit 0 when rolled out; 5 when the Deployment passed its progressDeadlineSeconds ("exceeded its progress deadline") or --timeout passed; --watch=false prints the current status once (exit 0 even when not done).`
  static examples = [
    {description: 'Wait for web', command: '<%= config.bin %> <%= command.id %> deployment/web'},
    {description: 'Give up after 2 minutes', command: '<%= config.bin %> <%= command.id %> deploy/web --timeout 2m'},
  ]
  static args = {
    target: Args.string({description: 'KIND/NAME', required: true}),
    name: Args.string({description: 'NAME (alternative to KIND/NAME)'}),
  }
  static flags = {
    timeout: Flags.string({description: 'give up after this long (exit 5); 0 waits forever', default: '0'}),
    interval: Flags.string({description: 'how often to look', default: '1s'}),
    watch: Flags.boolean({char: 'w', description: 'wait until done (--watch=false: print once)', default: true, allowNo: true}),
    offline: Flags.boolean({description: 'read the state only; do not observe the hosts', default: false}),
    root: Flags.string({description: 'runtime root directory on every host (env TSCTL_ROOT)', default: process.env.TSCTL_ROOT ?? '/var/lib/tsctl'}),
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json'] as const, default: 'text' as const})(),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RolloutStatus)
    this.outputFormat = flags.output
    const {resolve} = await import('node:path')
    const {parseTarget} = await import('../../cli/kinds.js')
    const {openBackend, namespacePhrase} = await import('../../cli/context.js')
    const {ExitCode, UserError} = await import('../../errors.js')
    const {objectKey} = await import('../../manifests/object.js')
    const {describeRollout, rolloutStatus} = await import('../../rollout/verbs.js')
    const {parseDuration} = await import('../../sync/duration.js')
    const {escapeControl} = await import('../../render/untrusted.js')
    const {kind, name} = parseTarget([args.target, ...(args.name ? [args.name] : [])])
    if (!['Deployment', 'StatefulSet', 'DaemonSet'].includes(kind.kind)) throw new UserError(`rollout status works on deployments, statefulsets and daemonsets, not ${kind.plural}`)
    if (!name) throw new UserError(`a name is required: ${kind.plural}/NAME`)
    const key = objectKey(kind.kind, flags.namespace ?? 'default', name)
    const timeoutMs = parseDuration(flags.timeout, 'timeout')
    const intervalMs = Math.max(100, parseDuration(flags.interval, 'interval'))
    const backend = await openBackend(flags, (m) => this.warnLine(m))
    const started = Date.now()
    let offline = flags.offline
    let last = ''
    const json = flags.output === 'json'
    const say = (message: string, done: boolean, failed: boolean) => {
      if (message === last) return
      last = message
      if (json) this.print(JSON.stringify({apiVersion: 'tsctl.io/v1', kind: 'RolloutStatus', object: key, done, failed, message}) + '\n')
      // the reason quotes a pod's waiting or exit message, written by whoever built the image
      else this.print(escapeControl(message) + '\n')
    }
    for (;;) {
      let state = await backend.read()
      if (!state?.objects[key]) throw new UserError(`${kind.plural} "${name}" not found ${namespacePhrase(flags)}`)
      // the commit a sync would apply now (--ref, default HEAD), dry run: the pass's view of the rollout
      const ref = flags.ref
      if (!offline) {
        try {
          const {sync} = await import('../../sync/sync.js')
          state = (await sync({repo: resolve(flags.repo), ref, backend, dryRun: true, root: flags.root})).state
        } catch (e) {
          this.warnLine(`cannot observe the hosts (${(e as Error).message.split('\n')[0]}); reading the state only`)
          offline = true
        }
      }
      const s = rolloutStatus(state, key)
      if ('error' in s) throw new UserError(s.error)
      if (s.failed) {
        if (json) say(s.message, false, true)
        throw new UserError(s.message, ExitCode.timeout)
      }
      say(describeRollout(s), s.done, false)
      if (s.done || !flags.watch) return
      if (timeoutMs > 0 && Date.now() - started >= timeoutMs) throw new UserError('timed out waiting for the condition', ExitCode.timeout)
      await new Promise((r) => setTimeout(r, intervalMs))
    }
  }
}
