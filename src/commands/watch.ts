import {Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'

/**
 * `tsctl watch`: the GitOps loop (src/gitops/watch-loop.ts) — one sync pass
 * per new commit of the branch, in first-parent order, and periodic passes
 * in between. Thin: flags → tip source + loop → one log line per record.
 */
export default class Watch extends TsctlCommand {
  static summary = 'Apply every new commit of a branch as it arrives, and resync periodically in between.'
  static description = `For a local repository (--repo DIR, a work tree or a bare repo) the branch's ref files are watched (the loose ref and packed-refs); for a remote URL (--repo https://…, ssh://…, git@host:path) the branch is fetched into a mirror every --interval.
Every new commit gets its own sync pass, in first-parent order (a merge is one pass); none is skipped unless --coalesce. A newer commit arriving while a rollout waits for readiness supersedes it after the current step. With no new commit for --resync, the last commit is synced again: that heals drift, notices failed nodes and fires CronJobs.
SIGINT/SIGTERM stop after the step in flight, with the state written; a second signal quits at once. Logs go to stdout, one line per event (-o json: one JSON object per line).
Between commits, every --endpoints-interval, the hosts' Service rules follow pod readiness across hosts: every host is observed (one status call each) and only the network files that changed are re-applied, taking the state lock only then; pods are never started or stopped by it (docs/networking.md, "Readiness across hosts").
With the etcd state backend several watchers may run at once: they elect a leader on an etcd lease and only the leader reconciles; the others print "standby (leader: host/pid)" and take over within the lease TTL when it dies, at the next commit it had not finished (docs/state-etcd.md).`
  static examples = [
    {description: 'Watch main of the repo in the current directory (as root for the local transport)', command: 'sudo <%= config.bin %> <%= command.id %>'},
    {description: 'Poll a remote every 15 s, structured logs', command: '<%= config.bin %> <%= command.id %> --repo https://git.example.com/ops/fleet.git --interval 15s -o json'},
    {description: 'Only ever apply the newest commit', command: '<%= config.bin %> <%= command.id %> --branch production --coalesce'},
    {description: 'One of several watchers of an etcd state (run it on two or three machines)', command: 'TSCTL_STATE_BACKEND=etcd TSCTL_ETCD_ENDPOINTS=10.0.0.5:2379 <%= config.bin %> <%= command.id %>'},
  ]
  static flags = {
    branch: Flags.string({description: 'branch to follow', default: 'main'}),
    coalesce: Flags.boolean({description: 'when several commits are waiting, apply only the newest', default: false}),
    interval: Flags.string({description: 'remote repositories: how often to git fetch', default: '10s'}),
    resync: Flags.string({description: 'sync the last commit again after this long without a new one (0: never)', default: '30s'}),
    'endpoints-interval': Flags.string({description: 'between commits, refresh the Service rules of every host from pod readiness this often (0: never)', default: '2s'}),
    mirror: Flags.string({description: 'remote repositories: where the fetched mirror lives (default .tsctl/mirrors/<hash>.git)'}),
    output: Flags.option({char: 'o', description: 'log format', options: ['text', 'json'] as const, default: 'text' as const})(),
    prune: Flags.boolean({description: 'stop the pods of objects removed from git', default: true, allowNo: true}),
    timeout: Flags.string({description: 'bound of one pass (a rollout still waiting after it is exit 5 for that pass)', default: '5m'}),
    concurrency: Flags.integer({description: 'hosts worked on at once', default: 32, min: 1}),
    'node-grace': Flags.string({description: 'how long a node may be unreachable before its pods move', default: '40s'}),
    'lock-timeout': Flags.string({description: 'wait this long for a held state lock before retrying the pass later', default: '30s'}),
    root: Flags.string({description: 'runtime root directory on every host (env TSCTL_ROOT)', default: process.env.TSCTL_ROOT ?? '/var/lib/tsctl'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Watch)
    this.outputFormat = flags.output
    const {resolve, join} = await import('node:path')
    const {createHash} = await import('node:crypto')
    const {UserError} = await import('../errors.js')
    const {parseDuration} = await import('../sync/duration.js')
    const {openStateBackend} = await import('../state/open-backend.js')
    const {LocalTipSource, RemoteTipSource, isRemote, checkBranch} = await import('../gitops/tip-source.js')
    const {GitCommitLog} = await import('../gitops/commit-log.js')
    const {watchLoop} = await import('../gitops/watch-loop.js')
    const {loadSync} = await import('../gitops/sync-port.js')
    const {formatRecord, jsonLine} = await import('../gitops/format-record.js')
    const {palette, shouldColor} = await import('../render/color.js')

    try {
      checkBranch(flags.branch)
    } catch (e) {
      throw new UserError(`--branch: ${(e as Error).message}`)
    }
    const resyncMs = parseDuration(flags.resync, 'resync')
    const endpointsMs = parseDuration(flags['endpoints-interval'], 'endpoints-interval')
    const intervalMs = Math.max(1000, parseDuration(flags.interval, 'interval'))
    const remote = isRemote(flags.repo)
    const warn = (m: string) => this.warnLine(m)
    let source
    if (remote) {
      const mirror = resolve(flags.mirror ?? join('.tsctl', 'mirrors', createHash('sha256').update(flags.repo).digest('hex').slice(0, 16) + '.git'))
      source = new RemoteTipSource(flags.repo, flags.branch, mirror, intervalMs)
    } else {
      const {existsSync} = await import('node:fs')
      if (!existsSync(flags.repo)) throw new UserError(`--repo ${flags.repo}: no such directory`, undefined, [], 'pass a local git repository or a URL')
      const {simpleGit} = await import('simple-git')
      const isRepo = await simpleGit({baseDir: resolve(flags.repo)}).raw(['rev-parse', '--git-dir']).then(() => true, () => false)
      if (!isRepo) throw new UserError(`--repo ${flags.repo} is not a git repository`, undefined, [], 'pass a local git repository (work tree or bare) or a URL')
      source = new LocalTipSource(resolve(flags.repo), flags.branch)
    }
    // a remote's state cannot live in the remote: it is in the current directory unless --state says otherwise
    const backend = openStateBackend({repo: remote ? process.cwd() : resolve(flags.repo), state: flags.state, backend: flags['state-backend'], warn})
    const stored = await backend.read()
    const sync = await loadSync()
    // several watchers of one etcd state elect a leader; only it reconciles (docs/state-etcd.md)
    const {EtcdStateBackend} = await import('../state/etcd-backend.js')
    let leadership
    if (backend instanceof EtcdStateBackend) {
      const {EtcdLeadership} = await import('../state/etcd-leader.js')
      leadership = new EtcdLeadership(backend, {warn})
    }

    const nodeGraceMs = parseDuration(flags['node-grace'], 'node-grace')
    let refresh
    if (endpointsMs > 0) {
      const {EndpointsRefresh} = await import('../sync/endpoints-refresh.js')
      refresh = new EndpointsRefresh({repo: source.repo, backend, root: flags.root, concurrency: flags.concurrency, prune: flags.prune, nodeGraceMs, operation: 'tsctl watch (endpoints refresh)'})
    }

    const p = palette(shouldColor(process.stdout))
    const json = flags.output === 'json'
    const ac = new AbortController()
    const onSignal = (sig: NodeJS.Signals) => {
      if (ac.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143)
      process.stderr.write(`${sig}: stopping after the step in flight (again to quit at once)\n`)
      ac.abort()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      const res = await watchLoop({
        source,
        order: new GitCommitLog(source.repo),
        sync,
        backend,
        applied: stored?.appliedCommit?.sha ?? null,
        resyncMs,
        coalesce: flags.coalesce,
        syncOptions: {
          prune: flags.prune,
          timeoutMs: parseDuration(flags.timeout, 'timeout'),
          concurrency: flags.concurrency,
          nodeGraceMs,
          lockTimeoutMs: parseDuration(flags['lock-timeout'], 'lock-timeout'),
          root: flags.root,
          operation: 'tsctl watch',
        },
        signal: ac.signal,
        leadership,
        ...(refresh ? {endpoints: {everyMs: endpointsMs, refresh}} : {}),
        emit: (r) => {
          if (json) return void process.stdout.write(jsonLine(r) + '\n')
          const line = formatRecord(r, p)
          if (line) process.stdout.write(line + '\n')
        },
      })
      if (!json) process.stderr.write(`watch stopped after ${res.passes} pass(es)\n`)
    } finally {
      await refresh?.close()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
