import {spawn} from 'node:child_process'

/** What one git process returned. `stdout` is raw bytes: a state blob is not always valid to split as text. */
export interface GitResult {
  code: number
  stdout: Buffer
  stderr: string
}

/** The identity tsctl's own commits carry (state and lock commits), so CI runners without a git identity work. */
export const tsctlIdentity = {
  GIT_AUTHOR_NAME: 'tsctl',
  GIT_AUTHOR_EMAIL: 'tsctl@localhost',
  GIT_COMMITTER_NAME: 'tsctl',
  GIT_COMMITTER_EMAIL: 'tsctl@localhost',
}

/**
 * Runs `git ARGS…` in `cwd` with an argv array (never a shell) and resolves
 * with its exit code, stdout and stderr; it never throws for a non-zero exit.
 *
 * - The umask is 077 while the process is spawned (it inherits it), so the
 *   objects git writes for a state blob, the packs a fetch receives and the
 *   objects a local `receive-pack` stores are mode 0400/0600: the state may
 *   hold Secret values. The umask is restored right after spawn(), which is
 *   synchronous (fork+exec happen inside it), so nothing else in this
 *   process runs under the narrowed umask.
 * - LC_ALL=C so the few messages we recognise are in English;
 *   GIT_TERMINAL_PROMPT=0 so a missing credential fails instead of hanging a
 *   CI job.
 */
export function runGit(cwd: string, args: string[], opts: {input?: string | Buffer; env?: Record<string, string>} = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const env = {...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', ...opts.env}
    const old = process.umask(0o077)
    let child
    try {
      child = spawn('git', args, {cwd, env, stdio: ['pipe', 'pipe', 'pipe']})
    } finally {
      process.umask(old)
    }
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? -1, stdout: Buffer.concat(out), stderr: err}))
    child.stdin.on('error', () => {}) // git may exit before reading all input; its exit code tells
    child.stdin.end(opts.input ?? '')
  })
}

/** Like runGit, but a non-zero exit throws an Error with git's first stderr line (credentials masked). */
export async function git(cwd: string, args: string[], opts: {input?: string | Buffer; env?: Record<string, string>} = {}): Promise<string> {
  const r = await runGit(cwd, args, opts)
  if (r.code !== 0) throw new Error(`git ${args[0]} failed: ${firstLine(r.stderr)}`)
  return r.stdout.toString('utf8')
}

/** git's most telling stderr line, with any `user:password@` in a URL masked. */
export function firstLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean)
  const line = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? '(no message)'
  return maskUrl(line)
}

/** `https://user:token@host/x` → `https://***@host/x`: tokens in remote URLs never reach output. */
export function maskUrl(s: string): string {
  return s.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@')
}
