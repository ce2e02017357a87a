import type {Readable} from 'node:stream'

/**
 * How the CLI reaches one host. Implementations: `local` (spawns on this
 * machine, no SSH, no shell) and `ssh` (OpenSSH with ControlMaster). The
 * runtime client (`src/host/runtime-client.ts`) builds on `exec`: it installs
 * `tsctl-runtime` under `/var/lib/tsctl/runtime/<hash>/` once and then runs
 * its verbs, streaming pod bundles (tars) on stdin.
 *
 * `argv` is a list, never a command line: the SSH transport quotes every
 * element for the remote shell, so no user string is ever interpreted.
 */
export interface Transport {
  /** the Node's name, for messages */
  readonly node: string
  /**
   * Runs ARGV on the host (argv[0] is the program). Resolves with its exit
   * code; rejects with HostError only when the host could not be reached
   * (after retries for transient failures). Idempotent when the program is.
   */
  exec(argv: string[], opts?: RunOptions): Promise<RunResult>
  /**
   * Runs ARGV with a terminal (`exec -t`): this process's stdin, stdout and
   * stderr are handed over, the program gets a pseudo-terminal on the host
   * (ssh -tt; locally util-linux `script`). Resolves with its exit code.
   */
  interactive?(argv: string[]): Promise<number>
  /** Releases connections (ControlMaster, child processes). Safe to call twice. */
  close(): Promise<void>
}

export interface RunOptions {
  stdin?: Buffer | Readable
  timeoutMs?: number
  /** stream stdout as it arrives (logs -f) */
  onStdout?: (chunk: Buffer) => void
}

export interface RunResult {
  code: number
  stdout: Buffer
  stderr: string
}
