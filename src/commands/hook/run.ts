import {Flags} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'

/**
 * `tsctl hook run`: what the post-receive hook calls — a sync of exactly
 * the pushed commit, with progress on stderr (git shows it to the pusher as
 * `remote:` lines), waiting its turn for the state lock, and superseded
 * after the current step when the branch moves on (a newer push).
 */
export default class HookRun extends TsctlCommand {
  static hidden = true
  static summary = 'Roll out a pushed commit (called by the post-receive hook).'
  static flags = {
    branch: Flags.string({description: 'the tracked branch', default: 'main'}),
    sha: Flags.string({description: 'the pushed commit', required: true}),
    timeout: Flags.string({description: 'give up waiting for convergence after this long (exit 5)', default: '5m'}),
    'lock-timeout': Flags.string({description: 'wait this long for the state lock (an earlier push rolling out)', default: '10m'}),
    root: Flags.string({description: 'runtime root directory on every host (env TSCTL_ROOT)', default: process.env.TSCTL_ROOT ?? '/var/lib/tsctl'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(HookRun)
    const {resolve} = await import('node:path')
    const {UserError} = await import('../../errors.js')
    const {parseDuration} = await import('../../sync/duration.js')
    const {openBackend} = await import('../../cli/context.js')
    const {GitCommitLog} = await import('../../gitops/commit-log.js')
    const {checkBranch} = await import('../../gitops/tip-source.js')
    const {hookLine, hookOutcomeLine, hookProgressLine} = await import('../../gitops/hook-lines.js')
    const {formatDiagnostic} = await import('../../errors.js')

    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(flags.sha)) throw new UserError(`--sha ${JSON.stringify(flags.sha)} is not a full commit sha`)
    const branch = checkBranch(flags.branch)
    const repo = resolve(flags.repo)
    const log = new GitCommitLog(repo)
    if ((await log.resolve(flags.sha)) !== flags.sha) throw new UserError(`${flags.sha} is not a commit of ${repo}`)
    const backend = await openBackend(flags, (m) => this.warnLine(m))
    const err = process.stderr
    // every line goes through gitops/hook-lines.ts: the pusher's terminal renders it after `remote:`
    const say = (s: string) => err.write(hookLine(s) + '\n')

    // superseded by a newer push: the branch no longer points at our commit
    let moved = false
    let stop = false
    const poll = setInterval(() => {
      void log.resolve(`refs/heads/${branch}`).then((tip) => {
        if (tip && tip !== flags.sha) moved = true
      })
    }, 1000)
    const onSignal = () => {
      stop = true
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    process.on('SIGHUP', onSignal)
    try {
      const {sync} = await import('../../sync/sync.js')
      say(`rolling out ${flags.sha.slice(0, 8)} of ${branch}`)
      const r = await sync({
        repo,
        ref: flags.sha,
        backend,
        timeoutMs: parseDuration(flags.timeout, 'timeout'),
        lockTimeoutMs: parseDuration(flags['lock-timeout'], 'lock-timeout'),
        root: flags.root,
        operation: `tsctl hook run ${flags.sha.slice(0, 8)}`,
        onEvent: (e) => {
          const l = hookProgressLine(e)
          if (l) err.write(l + '\n')
        },
        shouldStop: () => stop || moved,
      })
      for (const w of r.warnings) say(formatDiagnostic(w))
      err.write(hookOutcomeLine(flags.sha, r, moved) + '\n')
      // a superseded rollout is not a failure of this push
      this.setExitCode(moved && !r.converged && r.exitCode === 0 ? 0 : r.exitCode)
    } finally {
      clearInterval(poll)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.off('SIGHUP', onSignal)
    }
  }
}
