import {Args, Flags} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'
import type {KubeObject} from '../../manifests/object.js'

/**
 * `tsctl nodes check [NODE]`: what each host lacks to run pods, in words a
 * sysadmin can act on. Nodes come from the Node manifests at --ref; `local`
 * (or no manifests at all) means this machine. Exit 0 when every checked
 * host is ready, 4 when one is not or cannot be reached.
 */
export default class NodesCheck extends TsctlCommand {
  static summary = 'Report what hosts lack to run tsctl pods.'
  static description = 'For each Node of the manifests at --ref (or only NODE), installs the host runtime once per version under --root, runs its `info` verb over the Node\'s transport (local or SSH), and lists every missing piece: root, overlayfs, cgroup controllers, util-linux tools, a tsctl-init binary for the architecture. Also shows each host\'s layer store (layers, their size, image records; facts `layers`, `layers_kb`, `images` in JSON). Exit 0 all ready, 4 otherwise.'
  static examples = [
    {description: 'Check every Node of the manifests', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Check this machine only (no manifests needed)', command: '<%= config.bin %> <%= command.id %> local'},
    {description: 'Machine-readable', command: '<%= config.bin %> <%= command.id %> worker-1 -o json'},
  ]
  static args = {node: Args.string({description: 'node name (default: every Node in the manifests; `local`: this machine)', required: false})}
  static flags = {
    root: Flags.string({description: 'runtime root directory on the hosts', default: process.env.TSCTL_ROOT ?? '/var/lib/tsctl'}),
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json'] as const, default: 'text' as const})(),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(NodesCheck)
    this.outputFormat = flags.output
    const {ExitCode, UserError} = await import('../../errors.js')
    const {RuntimeClient} = await import('../../host/runtime-client.js')
    const {checkNode} = await import('../../host/node-check.js')
    const {TransportPool, sshOptionsFromEnv} = await import('../../transport/index.js')
    const local: KubeObject = {apiVersion: 'v1', kind: 'Node', metadata: {name: 'local'}, spec: {address: 'local'}}
    let nodes: KubeObject[] = [local]
    // `local` alone asks no repo: whether the pod network is on is unknown (its parts are warnings)
    let network: boolean | undefined
    if (args.node !== 'local') {
      const {loadDesired} = await import('../../manifests/load.js')
      const desired = await loadDesired({repo: flags.repo, ref: flags.ref})
      network = desired.network !== undefined
      const all = desired.objects.map((o) => o.object).filter((o) => o.kind === 'Node')
      nodes = args.node ? all.filter((n) => n.metadata.name === args.node) : all
      if (args.node && nodes.length === 0) throw new UserError(`no Node named ${args.node} in the manifests at ${flags.ref}`, ExitCode.invalid, [], `known nodes: ${all.map((n) => n.metadata.name).join(', ') || 'none'}; \`local\` checks this machine`)
      if (nodes.length === 0) nodes = [local]
    }
    // The run's one pool: the same SSH settings (TSCTL_SSH_CONFIG,
    // TSCTL_SSH_KNOWN_HOSTS) and the same shared limiter as sync.
    const pool = new TransportPool({ssh: sshOptionsFromEnv()})
    const results = await Promise.all(nodes.map(async (n) => {
      const transport = pool.get(n) // an unsafe spec.ssh is the user's error (exit 2), not an unreachable host
      try {
        return await checkNode(new RuntimeClient(transport, {root: flags.root}), network === undefined ? {} : {network})
      } catch (e) {
        return {node: n.metadata.name, ok: false, problems: [`unreachable: ${(e as Error).message}`], warnings: [], facts: {}}
      }
    })).finally(() => pool.close())
    if (flags.output === 'json') {
      this.printJson({apiVersion: 'tsctl.io/v1', kind: 'NodeCheckList', items: results})
    } else {
      const {escapeControl: u} = await import('../../render/untrusted.js')
      const {layerStoreFromInfo} = await import('../../host/status-lines.js')
      // facts, problems and warnings are what the host answered (and `unreachable: …` its ssh's stderr)
      for (const r of results) {
        const f = r.facts
        if (f.kernel) this.print(u(`${r.node}: ${f.kernel} ${f.arch}, ${f.cpus} cpus, ${Math.round(Number(f.memory_kb ?? 0) / 1024)} MiB, cgroups ${f.cgroup_mode}, util-linux ${f.util_linux || '?'}`) + '\n')
        const store = layerStoreFromInfo(f)
        if (store) this.print(`  store: layers ${store.layers} (${kib(store.kb)}), images ${store.images}\n`)
        for (const p of r.problems) this.print(`  missing: ${u(p)}\n`)
        for (const w of r.warnings) this.print(`  warning: ${u(w)}\n`)
        this.print(r.ok ? `${u(r.node)}: ready to run pods\n` : `${u(r.node)}: NOT ready (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'})\n`)
      }
    }
    if (results.some((r) => !r.ok)) this.setExitCode(ExitCode.hosts)
  }
}

/** A `du -sk` figure for people: KiB below 1 MiB, MiB below 10 GiB, then GiB. */
function kib(kb: number): string {
  if (kb < 1024) return `${kb} KiB`
  if (kb < 10 * 1024 * 1024) return `${Math.round(kb / 1024)} MiB`
  return `${(kb / 1024 / 1024).toFixed(1)} GiB`
}
