import {Flags} from '@oclif/core'

/**
 * The flags every command shares (DESIGN.md "CLI"). Declared as oclif
 * `baseFlags` on TsctlCommand, shown under GLOBAL FLAGS in --help.
 */
export const commonFlags = {
  repo: Flags.string({description: 'manifests repository (a git work tree or bare repo)', default: '.', helpGroup: 'GLOBAL'}),
  ref: Flags.string({description: 'git ref to read the manifests from', default: 'HEAD', helpGroup: 'GLOBAL'}),
  state: Flags.string({description: 'state file (default: <repo>/.tsctl/state.json)', helpGroup: 'GLOBAL'}),
  namespace: Flags.string({char: 'n', description: 'namespace (default: default)', helpGroup: 'GLOBAL'}),
  'all-namespaces': Flags.boolean({char: 'A', description: 'every namespace', default: false, helpGroup: 'GLOBAL'}),
}

