import {Flags} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'

/** `tsctl hook install`: a post-receive hook in a bare repo, so `git push` rolls out. */
export default class HookInstall extends TsctlCommand {
  static summary = 'Install a post-receive hook in a bare repository so that `git push` rolls out the pushed commit.'
  static description = `The hook (POSIX sh) reads the pushed refs from git, and for the tracked branch only runs \`tsctl hook run\` with the new commit: a sync of exactly that commit, whose progress the pusher sees as "remote:" lines. A failed rollout is reported to the pusher with tsctl's exit status (the push itself is already accepted). Pushed data is only compared, never evaluated. Concurrent pushes wait for the state lock; a newer push supersedes a rollout waiting for readiness after its current step.
The state lives in --work DIR (DIR/.tsctl/state.json) or at --state; the node and tsctl paths, the repo, the branch and TSCTL_ROOT (--root) are written into the hook. Re-running install replaces a hook tsctl wrote; another hook is kept unless --force.`
  static examples = [
    {description: 'Pushes to main of /srv/git/fleet.git roll out', command: '<%= config.bin %> <%= command.id %> --repo /srv/git/fleet.git'},
    {description: 'Track another branch, keep the state elsewhere', command: '<%= config.bin %> <%= command.id %> --repo /srv/git/fleet.git --branch production --work /var/lib/tsctl-fleet'},
  ]
  static flags = {
    branch: Flags.string({description: 'the branch whose pushes roll out', default: 'main'}),
    work: Flags.string({description: 'directory holding the state (DIR/.tsctl/state.json); default: the bare repository'}),
    root: Flags.string({description: 'runtime root directory on every host, written into the hook (default: TSCTL_ROOT if set)'}),
    force: Flags.boolean({description: 'replace a post-receive hook that tsctl did not write', default: false}),
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json'] as const, default: 'text' as const})(),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(HookInstall)
    this.outputFormat = flags.output
    const {existsSync, readFileSync, realpathSync} = await import('node:fs')
    const {chmod, rename, writeFile} = await import('node:fs/promises')
    const {join, resolve} = await import('node:path')
    const {simpleGit} = await import('simple-git')
    const {UserError} = await import('../../errors.js')
    const {checkBranch} = await import('../../gitops/tip-source.js')
    const {hookScript, HOOK_MARKER} = await import('../../gitops/hook-script.js')
    const {defaultStatePath} = await import('../../state/open-backend.js')

    try {
      checkBranch(flags.branch)
    } catch (e) {
      throw new UserError(`--branch: ${(e as Error).message}`)
    }
    const repo = resolve(flags.repo)
    if (!existsSync(repo)) throw new UserError(`--repo ${flags.repo}: no such directory`, undefined, [], 'create it with `git init --bare`')
    let bare = ''
    let gitDir = ''
    try {
      const git = simpleGit({baseDir: repo})
      bare = (await git.raw(['rev-parse', '--is-bare-repository'])).trim()
      gitDir = (await git.raw(['rev-parse', '--absolute-git-dir'])).trim()
    } catch {
      throw new UserError(`--repo ${flags.repo} is not a git repository`, undefined, [], 'create a bare repository with `git init --bare` and push to it')
    }
    if (bare !== 'true') throw new UserError(`--repo ${flags.repo} is not a bare repository`, undefined, [], 'a push into a work tree\'s checked-out branch is refused by git; use a bare repository as the remote')
    const state = flags.state ? resolve(flags.state) : resolve(flags.work ?? gitDir, defaultStatePath)
    // Without --state/--work the hook names no state: `hook run` resolves it as every command
    // does, so a tsctl.yaml `state:` (etcd, git) is honoured; the file default is this same path.
    const explicit = flags.state !== undefined || flags.work !== undefined
    const hooks = join(gitDir, 'hooks')
    const path = join(hooks, 'post-receive')
    if (existsSync(path) && !readFileSync(path, 'utf8').includes(HOOK_MARKER) && !flags.force) {
      throw new UserError(`${path} exists and was not written by tsctl`, undefined, [], 'pass --force to replace it, or call `tsctl hook run` from your own hook')
    }
    const root = flags.root ?? process.env.TSCTL_ROOT
    const script = hookScript({
      node: process.execPath,
      tsctl: realpathSync(process.argv[1]),
      repo: gitDir,
      branch: flags.branch,
      ...(explicit ? {state} : {}),
      env: root ? {TSCTL_ROOT: resolve(root)} : {},
    })
    const {mkdir} = await import('node:fs/promises')
    await mkdir(hooks, {recursive: true})
    const tmp = `${path}.tsctl-${process.pid}`
    await writeFile(tmp, script, {mode: 0o755})
    await chmod(tmp, 0o755)
    await rename(tmp, path)
    if (flags.output === 'json') {
      this.printJson({apiVersion: 'tsctl.io/v1', kind: 'HookInstall', hook: path, repo: gitDir, branch: flags.branch, state, ...(root ? {root: resolve(root)} : {})})
      return
    }
    this.print(`post-receive hook installed: ${path}\npushes to ${flags.branch} roll out (state: ${state}${explicit ? '' : ", unless tsctl.yaml's state: names another backend"})\n`)
  }
}
