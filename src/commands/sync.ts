import {Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'
import type {Plan} from '../reconcile/plan.js'
import type {SyncEvent} from '../sync/events.js'

/**
 * `tsctl sync`: make the hosts run what a commit says. Thin: flags →
 * src/sync/sync.ts → progress and summary (src/render/progress*.ts).
 */
export default class Sync extends TsctlCommand {
  static summary = 'Apply a commit to the fleet: observe every node, reconcile, apply, repeat until converged.'
  static description = `Takes the state lock, loads and validates the manifests at --ref (git objects only), observes every Node (one status call per host; unreachable nodes are marked, not fatal), reconciles, and applies the plan host by host in parallel, writing the state after every step. Rolling updates, StatefulSet ordering and Jobs progress over several rounds (observe → reconcile → apply) until converged, a host fails, or --timeout. Objects removed from git are pruned (their pods stopped) unless --no-prune.
The runtime needs root on every host; on this machine (a Node with address: local) run tsctl as root.
Exit codes: 0 converged; 2 invalid manifests, flags or images (nothing applied); 3 the state is locked by someone else (the message names the holder); 4 one or more hosts failed or could not be reached (the others were applied); 5 not converged before --timeout or a Deployment's progress deadline.`
  static examples = [
    {description: 'Apply HEAD (the quickstart: manifests/ on this machine, as root)', command: 'sudo <%= config.bin %> <%= command.id %>'},
    {description: 'Apply a branch, wait at most 2 minutes', command: '<%= config.bin %> <%= command.id %> --ref origin/main --timeout 2m'},
    {description: 'What would the first step do? (changes nothing)', command: '<%= config.bin %> <%= command.id %> --dry-run'},
    {description: 'For CI bots (schemas/output/sync.json)', command: '<%= config.bin %> <%= command.id %> -o json'},
    {description: 'Apply a reviewed plan exactly (refused if the state or the commit moved since)', command: '<%= config.bin %> diff --ref origin/main --out plan.json && <%= config.bin %> <%= command.id %> --plan plan.json'},
  ]
  static flags = {
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json'] as const, default: 'text' as const})(),
    'dry-run': Flags.boolean({description: 'observe and print the first plan; lock, write, install and change nothing', default: false}),
    prune: Flags.boolean({description: 'stop the pods of objects removed from git (--no-prune keeps them, marked orphaned)', default: true, allowNo: true}),
    timeout: Flags.string({description: 'give up waiting for convergence after this long (exit 5): 30s, 5m, 1h', default: '5m'}),
    concurrency: Flags.integer({description: 'hosts worked on at once, and SSH commands in flight', default: 32, min: 1}),
    'node-grace': Flags.string({description: 'how long a node may be unreachable before it is NotReady and its pods move', default: '40s'}),
    'host-timeout': Flags.string({description: 'a host that does not answer its status call within this is unreachable for the round', default: '30s'}),
    'lock-timeout': Flags.string({description: 'wait this long for a held state lock before exit 3 (default: fail at once)', default: '0'}),
    root: Flags.string({description: 'runtime root directory on every host (env TSCTL_ROOT)', default: process.env.TSCTL_ROOT ?? '/var/lib/tsctl'}),
    plan: Flags.string({description: 'execute exactly this saved plan (tsctl diff --out) as the first step, at the commit it was made from; refused (exit 2) when the state or commit moved since'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Sync)
    this.outputFormat = flags.output
    const {sync} = await import('../sync/sync.js')
    const {parseDuration} = await import('../sync/duration.js')
    const {openBackend} = await import('../cli/context.js')
    const {palette, shouldColor} = await import('../render/color.js')
    const {progressLine} = await import('../render/progress-lines.js')
    const {LiveProgress} = await import('../render/progress-live.js')
    const {renderSyncSummary, renderDryRunPlan} = await import('../render/progress-summary.js')
    const {formatDiagnostic} = await import('../errors.js')

    const timeoutMs = parseDuration(flags.timeout, 'timeout')
    const nodeGraceMs = parseDuration(flags['node-grace'], 'node-grace')
    const lockTimeoutMs = parseDuration(flags['lock-timeout'], 'lock-timeout')
    const hostTimeoutMs = parseDuration(flags['host-timeout'], 'host-timeout')
    let backend = await openBackend(flags, (m) => this.warnLine(m))
    let ref = flags.ref
    let plan: Plan | undefined
    if (flags.plan !== undefined) {
      // The plan names its commit (from.ref, resolved again); --ref is not used with it.
      const {loadPlan, preparePlannedSync} = await import('../saved-plans/index.js')
      const saved = await loadPlan(flags.plan)
      if (this.argv.some((a) => a === '--ref' || a.startsWith('--ref='))) {
        this.warnLine(`--ref is not used with --plan: the plan applies ${saved.from.commit.sha.slice(0, 12)}, made from ${saved.from.ref}`)
      }
      const planned = await preparePlannedSync(saved, flags.repo, backend)
      backend = Object.assign(planned.backend, {path: backend.path})
      ref = planned.ref
      plan = planned.plan
    }

    // Progress goes to stderr, so stdout holds only the summary (or the JSON).
    const err = process.stderr
    const p = palette(shouldColor(err))
    const json = flags.output === 'json'
    const live = !json && err.isTTY && !process.env.CI ? new LiveProgress(err, p) : undefined
    const onEvent = json
      ? undefined
      : live
        ? (e: SyncEvent) => live.onEvent(e)
        : (e: SyncEvent) => {
            const l = progressLine(e, p)
            if (l) err.write(l + '\n')
          }

    // First SIGINT/SIGTERM: finish the current step, write the state, unlock. Second: leave now.
    let stop = false
    const onSignal = (sig: NodeJS.Signals) => {
      if (stop) process.exit(sig === 'SIGINT' ? 130 : 143)
      stop = true
      err.write(`${sig}: stopping after the current step (again to quit at once)\n`)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      const result = await sync({
        repo: flags.repo,
        ref,
        backend,
        ...(plan ? {plan} : {}),
        dryRun: flags['dry-run'],
        prune: flags.prune,
        timeoutMs,
        concurrency: flags.concurrency,
        nodeGraceMs,
        lockTimeoutMs,
        hostTimeoutMs,
        root: flags.root,
        onEvent,
        shouldStop: () => stop,
      })
      live?.finish()
      if (!json) for (const w of result.warnings) this.warnLine(formatDiagnostic(w).replace(/^warning: /, ''))
      if (json) {
        this.printJson({
          apiVersion: 'tsctl.io/v1',
          kind: 'SyncResult',
          exitCode: result.exitCode,
          converged: result.converged,
          dryRun: flags['dry-run'],
          commit: result.commit,
          passes: result.passes,
          summary: result.summary,
          failedNodes: result.failedNodes,
          ...(result.message ? {message: result.message} : {}),
          ...(result.plan ? {plan: result.plan.actions.map((a) => ({type: a.type, node: a.node, target: a.target, reason: a.reason}))} : {}),
          serial: result.state.serial,
        })
      } else if (flags['dry-run']) this.print(renderDryRunPlan(result, palette(shouldColor(process.stdout))))
      else this.print(renderSyncSummary(result, palette(shouldColor(process.stdout))))
      this.setExitCode(result.exitCode)
    } finally {
      live?.finish()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
