import {Args, Flags} from '@oclif/core'
import {TsctlCommand} from '../cli/base.js'

/** `tsctl init [DIR]`: scaffold a manifests repo and make its first commit. */
export default class Init extends TsctlCommand {
  static summary = 'Create a manifests repository: a Node, an example app, tsctl.yaml, .gitignore, and a first commit.'
  static description = 'Creates DIR (default: the current directory) if needed, runs git init, writes the files and commits them. Refuses to overwrite an existing file. The result passes `tsctl validate` and `tsctl diff` shows what the first sync would start.'
  static examples = [
    {description: 'A new fleet repo', command: '<%= config.bin %> <%= command.id %> my-fleet'},
    {description: 'Then', command: 'cd my-fleet && <%= config.bin %> validate && <%= config.bin %> diff'},
  ]
  static args = {dir: Args.string({description: 'directory to create the repo in', default: '.'})}
  static flags = {
    output: Flags.option({char: 'o', description: 'output format', options: ['text', 'json'] as const, default: 'text' as const})(),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Init)
    this.outputFormat = flags.output
    const {scaffold} = await import('../cli/scaffold.js')
    const r = await scaffold(args.dir)
    if (flags.output === 'json') {
      this.printJson({apiVersion: 'tsctl.io/v1', kind: 'Init', dir: r.dir, files: r.files, commit: r.commit})
      return
    }
    this.print(`Initialized a tsctl repo in ${r.dir}\n${r.files.map((f) => `  + ${f}\n`).join('')}Committed ${r.commit.slice(0, 7)} "tsctl init".\nNext: tsctl validate && tsctl diff\n`)
  }
}
