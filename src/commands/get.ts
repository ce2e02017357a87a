import {Args, Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'

/** `tsctl get KIND[/NAME]`: kubectl-like listings from the state. */
export default class Get extends TsctlCommand {
  static summary = 'List objects from the state, as kubectl get does.'
  static description = `Kinds: pods (po), deployments (deploy), replicasets (rs), statefulsets (sts), daemonsets (ds), jobs, cronjobs (cj), services (svc), configmaps (cm), secrets, nodes (no), persistentvolumeclaims (pvc), namespaces (ns). Reads the state only; Secret values are always shown as (sensitive).
-o json prints the object for KIND/NAME and a v1 List otherwise (schemas/output/get.json).`
  static examples = [
    {description: 'Pods in the default namespace', command: '<%= config.bin %> <%= command.id %> pods'},
    {description: 'Pods everywhere, with node and IP', command: '<%= config.bin %> <%= command.id %> po -A -o wide'},
    {description: 'One deployment as YAML', command: '<%= config.bin %> <%= command.id %> deploy/web -o yaml'},
    {description: 'Names of the pods of an app', command: '<%= config.bin %> <%= command.id %> pods -l app=web -o name'},
  ]
  static args = {
    target: Args.string({description: 'KIND, KIND/NAME', required: true}),
    name: Args.string({description: 'NAME (alternative to KIND/NAME)'}),
  }
  static flags = {
    output: Flags.option({char: 'o', description: 'output format (default: a table)', options: ['wide', 'yaml', 'json', 'name'] as const})(),
    selector: Flags.string({char: 'l', description: 'label selector, e.g. app=web,tier!=cache'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Get)
    this.outputFormat = flags.output
    const {parseTarget} = await import('../cli/kinds.js')
    const {readState, namespaceFilter, namespacePhrase} = await import('../cli/context.js')
    const {parseSelector} = await import('../cli/selector.js')
    const {UserError} = await import('../errors.js')
    const {maskObject} = await import('../render/mask.js')
    const {byNsName} = await import('../render/kube.js')

    const {kind, name} = parseTarget([args.target, ...(args.name ? [args.name] : [])])
    const match = flags.selector ? parseSelector(flags.selector) : () => true
    const {state} = await readState(flags, (m) => this.warnLine(m))
    const inNs = namespaceFilter(flags)
    const objects = Object.values(state?.objects ?? {})
      .filter((o) => o.kind === kind.kind && inNs(o) && (!name || o.metadata.name === name) && match(o.metadata.labels))
      .sort(byNsName)
      .map(maskObject)
    if (name && objects.length === 0) throw new UserError(`${kind.plural} "${name}" not found ${namespacePhrase(flags)}`)
    if (flags.output === 'json' || flags.output === 'yaml') {
      const doc = name && objects.length === 1 ? objects[0] : {apiVersion: 'v1', kind: 'List', items: objects, metadata: {resourceVersion: ''}}
      await this.printStructured(flags.output, doc)
      return
    }
    if (flags.output === 'name') {
      const {escapeControl} = await import('../render/untrusted.js')
      // one name per line, for scripts and eyes alike: a newline or control character in a name must not make two
      this.print(objects.map((o) => `${kind.resource}/${escapeControl(o.metadata.name)}\n`).join(''))
      return
    }
    if (objects.length === 0) {
      process.stderr.write(`No resources found${kind.kind === 'Node' || kind.kind === 'Namespace' ? '' : ` ${namespacePhrase(flags)}`}.\n`)
      return
    }
    const {renderResourceTable} = await import('../render/resource-table.js')
    const {now} = await import('../cli/clock.js')
    this.print(renderResourceTable(kind.kind, objects, {wide: flags.output === 'wide', withNamespace: flags['all-namespaces'] && !['Node', 'Namespace'].includes(kind.kind), now: now(), nodes: state?.nodes}))
  }
}
