import {Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'

/** `tsctl validate`: load and validate the manifests at a commit; exit 0 valid, 2 invalid (every problem listed). */
export default class Validate extends TsctlCommand {
  static summary = 'Check the manifests at a commit without touching anything.'
  static description = `Reads every manifest at --ref straight from git objects (never the working tree), validates it against schemas/ and the semantic checks, and prints every problem as file:line:col: field: message. Exit 0 when valid, 2 when not. Nothing is written.`
  static examples = [
    {description: 'Validate the manifests committed at HEAD', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Validate a pull request branch of another repo', command: '<%= config.bin %> <%= command.id %> --repo ../fleet --ref origin/feature'},
    {description: 'Machine-readable result (schemas/output/validate.json; errors: schemas/output/error.json)', command: '<%= config.bin %> <%= command.id %> -o json'},
    {description: 'In CI: every warning fails the check too', command: '<%= config.bin %> <%= command.id %> --strict'},
  ]
  static flags = {
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json'] as const, default: 'text' as const})(),
    strict: Flags.boolean({
      description: 'fail (exit 2) on warnings too: references to ConfigMaps, Secrets, keys or claims the commit does not hold (their pods would wait), fields tsctl accepts but does not honour',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    this.outputFormat = flags.output
    const {loadDesired} = await import('../manifests/load.js')
    const {formatDiagnostic} = await import('../errors.js')
    const {keyOf} = await import('../manifests/object.js')
    const desired = await loadDesired({repo: flags.repo, ref: flags.ref})
    if (flags.strict && desired.warnings.length) {
      const {UserError} = await import('../errors.js')
      const n = desired.warnings.length
      // The same diagnostics, as errors: --strict is `helm lint --strict`'s rule, every warning fails.
      throw new UserError(`${n} warning${n === 1 ? '' : 's'} with --strict at ${desired.commit.sha.slice(0, 7)}`, undefined, desired.warnings.map((w) => ({...w, severity: 'error' as const})), 'fix them, or run without --strict to accept them as Kubernetes would')
    }
    if (flags.output === 'json') {
      this.printJson({
        apiVersion: 'tsctl.io/v1',
        kind: 'Validation',
        valid: true,
        commit: desired.commit,
        objects: desired.objects.map((o) => ({key: keyOf(o.object), file: o.source.file, line: o.source.line, col: o.source.col})),
        warnings: desired.warnings,
      })
      return
    }
    for (const w of desired.warnings) process.stderr.write(formatDiagnostic(w) + '\n')
    const n = desired.objects.length
    const {escapeControl} = await import('../render/untrusted.js')
    // JSON.stringify escapes C0 only; DEL, C1 and bidi characters in a subject would reach the terminal
    this.print(`Valid: ${n} object${n === 1 ? '' : 's'} at ${desired.commit.sha.slice(0, 7)} ${escapeControl(JSON.stringify(desired.commit.subject))}${desired.warnings.length ? `, ${desired.warnings.length} warning${desired.warnings.length === 1 ? '' : 's'}` : ''}.\n`)
  }
}
