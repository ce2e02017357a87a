import {spawn} from 'node:child_process'
import {constants as osConstants} from 'node:os'
import {shJoin} from './quote.js'
import type {RunOptions, RunResult, Transport} from './transport.js'

/**
 * Runs the runtime on this machine: spawns argv directly (no shell, so no
 * user string is ever interpreted). The embedded default for the quickstart
 * and for single-machine users; tests use it too.
 */
export class LocalTransport implements Transport {
  private readonly children = new Set<ReturnType<typeof spawn>>()

  constructor(readonly node = 'local', private readonly env: NodeJS.ProcessEnv = process.env) {}

  /**
   * A terminal for the program: util-linux `script` makes the pty (-e: its
   * exit code is the program's; -q: no banner; the typescript goes to
   * /dev/null). It takes one command line, so argv is quoted for /bin/sh by
   * shJoin, the one quoting function: nothing in it is interpreted.
   */
  interactive(argv: string[]): Promise<number> {
    if (argv.length === 0) return Promise.reject(new Error('LocalTransport.interactive: empty argv'))
    return new Promise((resolve, reject) => {
      const child = spawn('script', ['-q', '-e', '-f', '-c', shJoin(argv), '/dev/null'], {stdio: 'inherit', env: this.env})
      child.on('error', reject)
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1)))
    })
  }

  exec(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) return Promise.reject(new Error('LocalTransport.exec: empty argv'))
    return new Promise((resolve) => {
      const child = spawn(argv[0], argv.slice(1), {stdio: ['pipe', 'pipe', 'pipe'], env: this.env})
      this.children.add(child)
      const out: Buffer[] = []
      let err = ''
      let timer: NodeJS.Timeout | undefined
      if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs)
      child.stdout.on('data', (d: Buffer) => {
        out.push(d)
        opts.onStdout?.(d)
      })
      child.stderr.on('data', (d: Buffer) => (err += d))
      child.stdin.on('error', () => {}) // the program may exit without reading its input
      const done = (code: number) => {
        if (timer) clearTimeout(timer)
        this.children.delete(child)
        resolve({code, stdout: Buffer.concat(out), stderr: err})
      }
      // spawn failed (program missing): report it as a shell would, exit 127.
      child.on('error', (e) => {
        err += e.message
        done(127)
      })
      child.on('close', (code, signal) => done(code ?? (signal ? 128 + signalNumber(signal) : 1)))
      if (opts.stdin === undefined) child.stdin.end()
      else if (Buffer.isBuffer(opts.stdin)) child.stdin.end(opts.stdin)
      else opts.stdin.pipe(child.stdin)
    })
  }

  async close(): Promise<void> {
    for (const c of this.children) c.kill('SIGKILL')
    this.children.clear()
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  const n: Record<string, number> = {SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13, SIGABRT: 6, SIGSEGV: 11}
  return n[sig] ?? 0
}
