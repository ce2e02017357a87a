import {Args, Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'

/** `tsctl describe KIND/NAME`: kubectl-like details and events from the state. */
export default class Describe extends TsctlCommand {
  static summary = 'Show the details of one object and its events, as kubectl describe does.'
  static description = 'Reads the state only. Pods show their node, containers, conditions and, when Pending, the scheduler\'s reason; Secrets show key sizes, never values.'
  static examples = [
    {description: 'Why is this pod pending?', command: '<%= config.bin %> <%= command.id %> pod/web-7d9c5-x2k4p'},
    {description: 'A deployment in another namespace', command: '<%= config.bin %> <%= command.id %> deploy/api -n shop'},
    {description: 'A node with the pods bound to it', command: '<%= config.bin %> <%= command.id %> node node-a'},
  ]
  static args = {
    target: Args.string({description: 'KIND/NAME (or KIND)', required: true}),
    name: Args.string({description: 'NAME (alternative to KIND/NAME)'}),
  }
  static flags = {
    output: Flags.option({char: 'o', description: 'output format (json: schemas/output/describe.json)', options: ['text', 'json'] as const, default: 'text' as const})(),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Describe)
    this.outputFormat = flags.output
    const {parseTarget} = await import('../cli/kinds.js')
    const {readState, namespaceFilter, namespacePhrase} = await import('../cli/context.js')
    const {UserError} = await import('../errors.js')
    const {byNsName} = await import('../render/kube.js')
    const {kind, name} = parseTarget([args.target, ...(args.name ? [args.name] : [])])
    const {state} = await readState(flags, (m) => this.warnLine(m))
    const inNs = namespaceFilter(flags)
    const found = Object.values(state?.objects ?? {})
      .filter((o) => o.kind === kind.kind && inNs(o) && (!name || o.metadata.name === name))
      .sort(byNsName)
    if (found.length === 0) throw new UserError(name ? `${kind.plural} "${name}" not found ${namespacePhrase(flags)}` : `no ${kind.plural} found ${namespacePhrase(flags)}`)
    if (flags.output === 'json') {
      const {keyOf} = await import('../manifests/object.js')
      const {maskObject} = await import('../render/mask.js')
      this.printJson({apiVersion: 'tsctl.io/v1', kind: 'Describe', items: found.map((o) => ({object: maskObject(o), events: state!.events.filter((e) => e.object === keyOf(o))}))})
      return
    }
    const {renderDescribe} = await import('../render/describe.js')
    const {now} = await import('../cli/clock.js')
    const t = now()
    this.print(found.map((o) => renderDescribe(o, state!, t)).join('\n\n'))
  }
}
