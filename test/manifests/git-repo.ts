// A real git repository in a temp dir for the loader tests.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

export class TempRepo {
  readonly dir: string
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'tsctl-manifests-'))
    this.git('init', '-q', '-b', 'main')
  }

  git(...args: string[]): string {
    return execFileSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: {...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com', GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z', GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z'},
    }).trim()
  }

  /** Writes files into the working tree (not committed). */
  write(files: Record<string, string>): void {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, p)), {recursive: true})
      writeFileSync(join(this.dir, p), text)
    }
  }

  /** Writes and commits files; returns the new commit's sha. */
  commit(subject: string, files: Record<string, string>, remove: string[] = []): string {
    this.write(files)
    for (const r of remove) this.git('rm', '-q', r)
    this.git('add', '-A')
    this.git('commit', '-q', '--allow-empty', '-m', subject)
    return this.git('rev-parse', 'HEAD')
  }

  remove(): void {
    rmSync(this.dir, {recursive: true, force: true})
  }
}
