import {Args, Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'

/** `tsctl logs POD`: a container's log, read over the transport from the pod's node. */
export default class Logs extends TsctlCommand {
  static summary = 'Print the log of a container in a pod, as kubectl logs does.'
  static description = `Finds the pod's node in the state (its binding) and reads the container's log file there through the runtime (SSH, or the local transport). The first app container is used unless -c names one.
Exit codes: 2 when the pod is unknown, not bound to a node or not on its host; 4 when the host cannot be reached.`
  static examples = [
    {description: 'The log of a pod', command: '<%= config.bin %> <%= command.id %> web-7d9c5-x2k4p'},
    {description: 'Follow the last 20 lines of one container', command: '<%= config.bin %> <%= command.id %> web-7d9c5-x2k4p -c httpd -f --tail 20'},
    {description: 'What the container printed before it restarted', command: '<%= config.bin %> <%= command.id %> db-0 --previous'},
  ]
  static args = {
    pod: Args.string({description: 'POD (or pod/POD)', required: true}),
  }
  static flags = {
    container: Flags.string({char: 'c', description: 'container name (default: the first app container)'}),
    root: Flags.string({description: 'runtime root directory on the host (env TSCTL_ROOT)', default: process.env.TSCTL_ROOT ?? '/var/lib/tsctl'}),
    follow: Flags.boolean({char: 'f', description: 'stream the log until interrupted', default: false}),
    previous: Flags.boolean({char: 'p', description: 'the log of the previous run of a restarted container (as kubectl, only that run)', default: false}),
    tail: Flags.integer({description: 'only the last N lines (-1: all)', default: -1, min: -1}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Logs)
    const {resolvePodTarget, runtimeForNode, notOnHost} = await import('../cli/pod-target.js')
    const {HostError, UserError} = await import('../errors.js')
    const target = await resolvePodTarget(flags, args.pod, flags.container, (m) => this.warnLine(m), (m) => this.noteLine(m))
    if (flags.previous && target.restartCount === 0) {
      throw new UserError(`previous terminated container "${target.container}" in pod "${target.pod.metadata.name}" not found`)
    }
    const {client, close} = await runtimeForNode(target, flags.root)
    try {
      if (flags.previous) {
        // The host keeps the log of the run before the current one, as the kubelet does.
        const r = await client.run(['logs', target.uid, encodeURIComponent(target.container), '--previous'])
        if (r.code === 3) throw new UserError(`previous terminated container "${target.container}" in pod "${target.pod.metadata.name}" not found`)
        if (r.code !== 0) throw hostFailure(r.stderr)
        this.print(lastLines(r.stdout, flags.tail).toString('utf8'))
        return
      }
      if (!flags.follow) {
        const r = await client.run(['logs', target.uid, encodeURIComponent(target.container)])
        if (r.code !== 0) throw hostFailure(r.stderr)
        this.print(lastLines(r.stdout, flags.tail).toString('utf8'))
        return
      }
      // Follow: the runtime's --follow prints the whole file and then new
      // lines. With --tail, read the file once, print its last N lines, and
      // skip exactly that many bytes of the stream (they were there already).
      let skip = 0
      if (flags.tail >= 0) {
        const r = await client.run(['logs', target.uid, encodeURIComponent(target.container)])
        if (r.code !== 0) throw hostFailure(r.stderr)
        process.stdout.write(lastLines(r.stdout, flags.tail))
        skip = r.stdout.length
      }
      // Ctrl-C ends the stream: closing the transport ends the remote tail;
      // the broken connection that follows is the expected end, not an error.
      let stopping = false
      const onStop = () => {
        stopping = true
        void close()
      }
      process.once('SIGINT', onStop)
      process.once('SIGTERM', onStop)
      try {
        const r = await client.run(['logs', target.uid, encodeURIComponent(target.container), '--follow'], {
          onStdout: (b) => {
            if (skip >= b.length) {
              skip -= b.length
              return
            }
            process.stdout.write(skip ? b.subarray(skip) : b)
            skip = 0
          },
        })
        if (r.code !== 0 && !stopping) throw hostFailure(r.stderr)
      } catch (e) {
        if (!stopping) throw e
      } finally {
        process.off('SIGINT', onStop)
        process.off('SIGTERM', onStop)
      }
    } finally {
      await close()
    }

    function hostFailure(stderr: string): Error {
      if (notOnHost(stderr)) {
        return new UserError(`pod "${target.pod.metadata.name}" is not on node ${target.nodeName} (${stderr.replace(/^tsctl-runtime: /, '').trim()})`, 2, [], 'the next tsctl sync starts it again')
      }
      return new HostError(target.nodeName, `reading the log failed: ${stderr.trim()}`)
    }
  }
}

/** The last N lines of a log (N < 0: all of it). A final line without a newline counts. */
export function lastLines(buf: Buffer, n: number): Buffer {
  if (n < 0) return buf
  if (n === 0) return Buffer.alloc(0)
  let end = buf.length
  if (end > 0 && buf[end - 1] === 0x0a) end--
  let i = end
  let seen = 0
  while (i > 0) {
    i--
    if (buf[i] === 0x0a && ++seen === n) return buf.subarray(i + 1)
  }
  return buf
}
