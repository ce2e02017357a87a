import type {Readable} from 'node:stream'

/**
 * How the CLI reaches one host's runtime. Implementations: `local` (runs
 * the runtime on this machine, no SSH) and `ssh` (OpenSSH with
 * ControlMaster). Both carry the same protocol: an argv for
 * `tsctl-runtime` and an optional stdin stream (a pod bundle tar).
 *
 * `argv` is a list, never a command line: the SSH transport quotes every
 * element for the remote shell, so no user string is ever interpreted.
 */
export interface Transport {
  /** the Node's name, for messages */
  readonly node: string
  /**
   * Runs `tsctl-runtime ARGV…` on the host. Resolves with the exit code;
   * rejects with HostError only when the host could not be reached (after
   * retries for transient failures). Idempotent when the verb is.
   */
  runtime(argv: string[], opts?: RunOptions): Promise<RunResult>
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
