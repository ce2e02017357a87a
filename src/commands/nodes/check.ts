import {Args, Command, Flags} from '@oclif/core'

/**
 * `tsctl nodes check [NODE]`: what a host lacks to run pods, in words a
 * sysadmin can act on. Exit 0 when the host is ready, 4 when it is not or
 * cannot be reached. Without NODE (or with `local`) it checks this machine.
 */
export default class NodesCheck extends Command {
  static summary = 'Report what a host lacks to run tsctl pods.'
  static description = 'Installs the host runtime (once per version) under --root, runs its `info` verb, and lists every missing piece: root, overlayfs, cgroup controllers, util-linux tools, a tsctl-init binary for the architecture. Exit 0 ready, 4 not ready.'
  static examples = [
    {description: 'Check this machine', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Machine-readable', command: '<%= config.bin %> <%= command.id %> local -o json'},
  ]
  static args = {node: Args.string({description: 'node name (default: local)', required: false})}
  static flags = {
    root: Flags.string({description: 'runtime root directory on the host', default: process.env.TSCTL_ROOT ?? '/var/lib/tsctl'}),
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json'] as const, default: 'text' as const})(),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(NodesCheck)
    const {UserError, ExitCode} = await import('../../errors.js')
    const node = args.node ?? 'local'
    if (node !== 'local') {
      throw new UserError(`cannot reach node ${node} yet: only the local machine can be checked`, ExitCode.invalid, [], 'the SSH transport (issue 4) connects named nodes; run `tsctl nodes check` on the host itself meanwhile')
    }
    const {LocalTransport} = await import('../../runtime/transport/local.js')
    const {RuntimeClient} = await import('../../runtime/client.js')
    const {checkNode} = await import('../../runtime/nodeCheck.js')
    const transport = new LocalTransport(node)
    try {
      const result = await checkNode(new RuntimeClient(transport, {root: flags.root}))
      if (flags.output === 'json') {
        this.log(JSON.stringify({apiVersion: 'tsctl.io/v1', kind: 'NodeCheck', ...result}, null, 2))
      } else {
        const f = result.facts
        this.log(`${node}: ${f.kernel ?? '?'} ${f.arch ?? '?'}, ${f.cpus ?? '?'} cpus, ${Math.round(Number(f.memory_kb ?? 0) / 1024)} MiB, cgroups ${f.cgroup_mode ?? '?'}`)
        for (const p of result.problems) this.log(`  missing: ${p}`)
        for (const w of result.warnings) this.log(`  warning: ${w}`)
        this.log(result.ok ? `${node}: ready to run pods` : `${node}: NOT ready (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'})`)
      }
      if (!result.ok) this.exit(ExitCode.hosts)
    } finally {
      await transport.close()
    }
  }
}
