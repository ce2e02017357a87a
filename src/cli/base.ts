import {Command, type Interfaces} from '@oclif/core'
import {palette, shouldColor} from '../render/color.js'
import {escapeControl, terminalJson} from '../render/untrusted.js'
import {commonFlags} from './flags.js'
import {renderError} from './render-error.js'

/**
 * The base of every tsctl command. Commands stay thin: parse, call the
 * core, render; they throw UserError/LockedError/HostError and this class
 * turns them into a message on stderr (diagnostics one per line) and the
 * exit code of DESIGN.md, without a stack trace. With `-o json` the error
 * is also printed on stdout as schemas/output/error.json, so CI bots never
 * scrape text. Heavy modules are imported inside run() to keep start-up
 * light.
 */
export abstract class TsctlCommand extends Command {
  static baseFlags = commonFlags

  /**
   * Parses as oclif does; `--ssh-persist` is then put in the environment,
   * where every transport of the run reads it (sshOptionsFromEnv), so one
   * setting holds for sync, watch, exec, logs and nodes check alike.
   */
  protected async parse<F extends Interfaces.OutputFlags<Interfaces.FlagInput>, B extends Interfaces.OutputFlags<Interfaces.FlagInput>, A extends Interfaces.OutputArgs<Interfaces.ArgInput>>(options?: Interfaces.Input<F, B, A>, argv?: string[]): Promise<Interfaces.ParserOutput<F, B, A>> {
    const out = await super.parse(options, argv)
    const persist = (out.flags as {'ssh-persist'?: number})['ssh-persist']
    if (persist !== undefined) process.env.TSCTL_SSH_PERSIST = String(persist)
    return out
  }

  /** set by subclasses after parsing, so errors can be rendered as JSON */
  protected outputFormat: string | undefined

  /** Writes to stdout exactly (no added newline). */
  protected print(text: string): void {
    process.stdout.write(text)
  }

  protected printJson(doc: unknown): void {
    process.stdout.write(terminalJson(doc, 2) + '\n')
  }

  /** `-o json` or `-o yaml` of a document (js-yaml loaded only when asked for). */
  protected async printStructured(format: 'json' | 'yaml', doc: unknown): Promise<void> {
    if (format === 'json') return this.printJson(doc)
    const yaml = await import('js-yaml')
    this.print(yaml.dump(doc, {noRefs: true}))
  }

  /**
   * Warnings go to stderr, one per line, so stdout stays parseable. They
   * quote lock holders, host errors and manifests: escaped, so one stays one
   * line and sends no control sequence (render/untrusted.ts).
   */
  protected warnLine(message: string): void {
    process.stderr.write(`${palette(shouldColor(process.stderr)).warn('warning:')} ${escapeControl(message)}\n`)
  }

  /** A note on stderr (kubectl's `Defaulted container …`), one line, escaped as warnings are. */
  protected noteLine(message: string): void {
    process.stderr.write(escapeControl(message) + '\n')
  }

  /** Sets the exit code without throwing (diff's 1 for "changes"). */
  protected setExitCode(code: number): void {
    process.exitCode = code
  }

  async catch(err: Error & {oclif?: {exit?: number}}): Promise<void> {
    // this.exit() and --help/--version signal through errors oclif handles itself.
    if (err.oclif?.exit !== undefined && (err.constructor?.name === 'ExitError' || err.oclif.exit === 0)) throw err
    const r = renderError(err)
    if (this.outputFormat === 'json') process.stdout.write(terminalJson(r.json, 2) + '\n')
    const p = palette(shouldColor(process.stderr))
    const text = r.text.replace(/^(internal error:|error:|warning:|hint:)/gm, (m) => (m === 'warning:' || m === 'hint:' ? p.warn(m) : p.remove(m)))
    process.stderr.write(text + '\n')
    process.exitCode = r.exitCode
  }
}
