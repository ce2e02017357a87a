import {Args} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'

/** `tsctl secret edit FILE`: decrypt a SOPS file for $EDITOR and encrypt it again. */
export default class SecretEdit extends TsctlCommand {
  static summary = 'Edit a SOPS-encrypted Secret manifest in $EDITOR.'
  static description = `Decrypts FILE with your age key (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, secrets.keyFile of tsctl.yaml, or ~/.config/sops/age/keys.txt), checks its MAC, opens the plaintext in $VISUAL or $EDITOR (default vi; the plaintext sits in a private directory on /dev/shm, removed afterwards), and writes FILE encrypted again when it changed. As sops does, the data key and recipients stay, and values you did not change keep their ciphertext, so the git diff shows only what changed. Exit 2 when the key is missing or wrong, the MAC does not match, the editor fails or the result is not YAML; FILE is then unchanged. See docs/secrets.md.`
  static examples = [
    {description: 'Rotate a password', command: 'SOPS_AGE_KEY_FILE=~/keys.txt <%= config.bin %> <%= command.id %> manifests/db-secret.yaml'},
    {description: 'Scripted, with any editor command', command: 'EDITOR="sed -i s/old-token/new-token/" <%= config.bin %> <%= command.id %> manifests/api-secret.yaml'},
  ]
  static args = {file: Args.string({description: 'the SOPS-encrypted YAML file', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SecretEdit)
    const {editFile} = await import('../../secrets/secret-file.js')
    const editor = process.env.VISUAL || process.env.EDITOR || 'vi'
    const r = await editFile(args.file, {repo: flags.repo, editor})
    this.noteLine(r.changed ? `${args.file}: re-encrypted` : `${args.file}: no change, not written`)
  }
}
