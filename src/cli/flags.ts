import {Flags} from '@oclif/core'

/**
 * The flags every command shares (DESIGN.md "CLI"). Declared as oclif
 * `baseFlags` on TsctlCommand, shown under GLOBAL FLAGS in --help.
 */
export const commonFlags = {
  repo: Flags.string({description: 'manifests repository (a git work tree or bare repo)', default: '.', helpGroup: 'GLOBAL'}),
  ref: Flags.string({description: 'git ref to read the manifests from', default: 'HEAD', helpGroup: 'GLOBAL'}),
  state: Flags.string({description: 'state file (default: <repo>/.tsctl/state.json)', helpGroup: 'GLOBAL'}),
  'state-backend': Flags.string({description: 'where the state lives: file (default), git (a ref of the manifests repo; docs/ci.md) or etcd (docs/state-etcd.md); default: state.backend of tsctl.yaml', options: ['file', 'git', 'etcd'], helpGroup: 'GLOBAL', env: 'TSCTL_STATE_BACKEND'}),
  'state-remote': Flags.string({description: 'git backend: remote name or URL holding the state ref; "." = the repo itself (default: origin when it exists)', helpGroup: 'GLOBAL', env: 'TSCTL_STATE_REMOTE'}),
  'state-ref': Flags.string({description: 'git backend: the state ref (default: refs/tsctl/state; its lock: refs/tsctl/lock)', helpGroup: 'GLOBAL', env: 'TSCTL_STATE_REF'}),
  namespace: Flags.string({char: 'n', description: 'namespace (default: default)', helpGroup: 'GLOBAL'}),
  'all-namespaces': Flags.boolean({char: 'A', description: 'every namespace', default: false, helpGroup: 'GLOBAL'}),
  'ssh-persist': Flags.integer({description: 'seconds an idle SSH connection to a host stays open for the next tsctl run (default 60; 0: each run opens and closes its own; src/transport/README.md)', min: 0, helpGroup: 'GLOBAL', env: 'TSCTL_SSH_PERSIST'}),
}

