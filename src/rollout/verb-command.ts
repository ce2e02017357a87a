import {Args, Flags} from '@oclif/core'
import type {State} from '../state/model.js'
import type {RolloutEditResult} from './locked-edit.js'
import type {CommonFlags} from '../cli/context.js'

/** Arguments shared by `rollout undo|pause|resume|restart`. */
export const editArgs = {
  target: Args.string({description: 'KIND/NAME', required: true}),
  name: Args.string({description: 'NAME (alternative to KIND/NAME)'}),
}

/** Flags shared by the rollout commands that change the state. */
export const editFlags = {
  apply: Flags.boolean({description: 'roll the change out now with a sync of --ref (default HEAD), as `tsctl sync` would (--no-apply: only change the state; the next sync or watch pass applies it)', default: true, allowNo: true}),
  timeout: Flags.string({description: 'how long the sync may take to converge (exit 5)', default: '5m'}),
  root: Flags.string({description: 'runtime root directory on every host (env TSCTL_ROOT)', default: process.env.TSCTL_ROOT ?? '/var/lib/tsctl'}),
  output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json'] as const, default: 'text' as const})(),
}

export interface EditRun {
  args: {target: string; name?: string}
  flags: CommonFlags & {apply: boolean; timeout: string; root: string; output: 'text' | 'json'}
  operation: string
  kinds: string[]
  /** applies with a sync (undo, restart, resume); pause only edits */
  applies: boolean
  edit: (state: State, key: string, now: number) => RolloutEditResult
  warn: (m: string) => void
  print: (s: string) => void
}

/**
 * The body of every state-changing rollout command: resolve KIND/NAME, take
 * the lock, edit, (sync), render. Returns the exit code.
 */
export async function runEdit(r: EditRun): Promise<number> {
  const {parseTarget} = await import('../cli/kinds.js')
  const {openBackend, namespacePhrase} = await import('../cli/context.js')
  const {UserError} = await import('../errors.js')
  const {objectKey} = await import('../manifests/object.js')
  const {now} = await import('../cli/clock.js')
  const {rolloutEdit} = await import('./locked-edit.js')
  const {parseDuration} = await import('../sync/duration.js')
  const {resolve} = await import('node:path')
  const {kind, name} = parseTarget([r.args.target, ...(r.args.name ? [r.args.name] : [])])
  if (!r.kinds.includes(kind.kind)) throw new UserError(`${r.operation.replace(/^tsctl /, '')} works on ${r.kinds.map((k) => k.toLowerCase() + 's').join(', ')}, not ${kind.plural}`)
  if (!name) throw new UserError(`a name is required: ${kind.plural}/NAME`)
  if (r.flags['all-namespaces']) throw new UserError('-A makes no sense for one object; use -n NAMESPACE')
  const key = objectKey(kind.kind, r.flags.namespace ?? 'default', name)
  const backend = await openBackend(r.flags, r.warn)
  const existing = await backend.read()
  if (!existing?.objects[key]) throw new UserError(`${kind.plural} "${name}" not found ${namespacePhrase(r.flags)}`)
  const t = now()
  let apply
  if (r.applies && r.flags.apply) {
    const {loadSync} = await import('../gitops/sync-port.js')
    const {progressLine} = await import('../render/progress-lines.js')
    const {palette, shouldColor} = await import('../render/color.js')
    const p = palette(shouldColor(process.stderr))
    apply = {
      sync: await loadSync(),
      repo: resolve(r.flags.repo),
      ref: r.flags.ref,
      options: {
        timeoutMs: parseDuration(r.flags.timeout, 'timeout'),
        root: r.flags.root,
        operation: r.operation,
        onEvent: r.flags.output === 'json' ? undefined : (e: unknown) => {
          const l = progressLine(e as Parameters<typeof progressLine>[0], p)
          if (l) process.stderr.write(l + '\n')
        },
      },
    }
  }
  const out = await rolloutEdit({backend, operation: r.operation, key, edit: (s) => r.edit(s, key, t), apply})
  const code = out.sync?.exitCode ?? 0
  if (r.flags.output === 'json') {
    r.print(JSON.stringify({
      apiVersion: 'tsctl.io/v1',
      kind: 'RolloutChange',
      object: key,
      message: out.message,
      changed: out.changed,
      ...(out.sync ? {sync: {commit: out.ref, exitCode: out.sync.exitCode, converged: out.sync.converged, ...(out.sync.message ? {message: out.sync.message} : {})}} : {}),
    }, null, 2) + '\n')
    return code
  }
  // the message names the workload; the sync's may quote a pod's probe or exit message
  const {escapeControl} = await import('../render/untrusted.js')
  r.print(escapeControl(out.message) + '\n')
  if (out.sync) {
    const s = out.sync
    if (s.converged) process.stderr.write(`applied with a sync of ${escapeControl(out.ref!.slice(0, 8))}: converged\n`)
    else process.stderr.write(`applied with a sync of ${escapeControl(out.ref!.slice(0, 8))}: not converged (exit ${s.exitCode})${s.message ? `: ${escapeControl(s.message)}` : ''}\n`)
  } else if (out.changed && r.applies && !r.flags.apply) process.stderr.write('state changed; the next sync or watch pass rolls it out\n')
  return code
}
