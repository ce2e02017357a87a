import {Args, Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'

/** `tsctl exec POD -- CMD…`: runs a command inside a container on the pod's node. */
export default class Exec extends TsctlCommand {
  static summary = 'Run a command in a container of a pod, as kubectl exec does.'
  static description = `The command runs in the container's namespaces, root, cgroup and user (the runtime's exec verb, nsenter-like) on the node the state binds the pod to, over SSH or the local transport. Its argv is passed as a list: no shell on either side interprets it.
The exit code is the command's. Before it runs: 2 when the pod is unknown, not bound or not on its host; 4 when the host cannot be reached.
-i passes this process's stdin to the command. -t allocates a terminal on the host for it (ssh -tt, or util-linux script on this machine), as kubectl exec -it does: type into a shell.`
  static strict = false
  static examples = [
    {description: 'A shell command in the first container', command: '<%= config.bin %> <%= command.id %> web-7d9c5-x2k4p -- cat /etc/hostname'},
    {description: 'An interactive shell', command: '<%= config.bin %> <%= command.id %> -it web-7d9c5-x2k4p -- sh'},
    {description: 'Pipe a file into a container', command: '<%= config.bin %> <%= command.id %> db-0 -c db -i -- sh -c \'cat > /data/seed.sql\' < seed.sql'},
  ]
  static args = {
    pod: Args.string({description: 'POD (or pod/POD)', required: true}),
  }
  static flags = {
    container: Flags.string({char: 'c', description: 'container name (default: the first app container)'}),
    root: Flags.string({description: 'runtime root directory on the host (env TSCTL_ROOT)', default: process.env.TSCTL_ROOT ?? '/var/lib/tsctl'}),
    stdin: Flags.boolean({char: 'i', description: 'pass stdin to the command', default: false}),
    tty: Flags.boolean({char: 't', description: 'allocate a terminal for the command (with -i: an interactive shell)', default: false}),
  }

  async run(): Promise<void> {
    // Everything after `--` is the command, untouched by the flag parser.
    const raw = [...this.argv]
    const dash = raw.indexOf('--')
    const {args, flags, argv} = await this.parse(Exec, dash >= 0 ? raw.slice(0, dash) : raw)
    const {UserError, HostError} = await import('../errors.js')
    const command = dash >= 0 ? raw.slice(dash + 1) : (argv as string[]).slice(1)
    if (command.length === 0) throw new UserError('no command given', 2, [], 'tsctl exec POD -- COMMAND [ARG…]')
    const {resolvePodTarget, runtimeForNode, notOnHost} = await import('../cli/pod-target.js')
    const target = await resolvePodTarget(flags, args.pod, flags.container, (m) => this.warnLine(m), (m) => this.noteLine(m))
    const {client, close} = await runtimeForNode(target, flags.root)
    try {
      if (flags.tty) {
        // The terminal carries stdin, stdout and stderr at once; without -i, kubectl still gives a tty.
        process.exitCode = await client.runInteractive(['exec', target.uid, encodeURIComponent(target.container), ...command])
        return
      }
      const r = await client.run(['exec', target.uid, encodeURIComponent(target.container), ...command], {
        stdin: flags.stdin ? process.stdin : Buffer.alloc(0),
        onStdout: (b) => process.stdout.write(b),
      })
      if (flags.stdin) process.stdin.destroy()
      if (r.code !== 0 && notOnHost(r.stderr)) {
        throw new UserError(`pod "${target.pod.metadata.name}" is not on node ${target.nodeName} (${r.stderr.replace(/^tsctl-runtime: /, '').trim()})`, 2, [], 'the next tsctl sync starts it again')
      }
      if (r.stderr) process.stderr.write(r.stderr)
      process.exitCode = r.code
    } catch (e) {
      if (e instanceof HostError || e instanceof UserError) throw e
      throw new HostError(target.nodeName, (e as Error).message)
    } finally {
      await close()
    }
  }
}
