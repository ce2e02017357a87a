// Runs the built CLI (node bin/run.js) as a user would, in a temp dir.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {repoRoot} from './output-schema.js'

export const bin = join(repoRoot, 'bin', 'run.js')

export interface Run {
  code: number
  stdout: string
  stderr: string
}

/** The environment of a plain non-interactive user: no colour forcing, a pinned clock. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = {...process.env}
  delete env.FORCE_COLOR
  delete env.NO_COLOR
  delete env.TSCTL_DEBUG
  return {...env, TSCTL_NOW: '2026-11-20T12:00:00Z', ...extra}
}

export function tsctl(args: string[], opts: {cwd: string; env?: Record<string, string>}): Run {
  const r = spawnSync(process.execPath, [bin, ...args], {cwd: opts.cwd, env: cleanEnv(opts.env), encoding: 'utf8'})
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
}

/** Runs under a pseudo-terminal (util-linux `script`), so the CLI sees a TTY. Output has CRLF. */
export function tsctlTty(args: string[], opts: {cwd: string; env?: Record<string, string>}): Run | null {
  const probe = spawnSync('script', ['--version'], {encoding: 'utf8'})
  if (probe.status !== 0) return null
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const cmd = [process.execPath, bin, ...args].map(q).join(' ')
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {cwd: opts.cwd, env: cleanEnv(opts.env), encoding: 'utf8'})
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
}

const temps: string[] = []
export function tempDir(prefix = 'tsctl-cli-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  temps.push(d)
  return d
}
export function cleanup(): void {
  for (const d of temps.splice(0)) rmSync(d, {recursive: true, force: true})
}

