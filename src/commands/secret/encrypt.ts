import {Args, Flags} from '@oclif/core'
import {TsctlCommand} from '../../cli/base.js'

/** `tsctl secret encrypt [-i] FILE`: a plaintext Secret manifest → SOPS (age), on stdout or in place. */
export default class SecretEncrypt extends TsctlCommand {
  static summary = 'Encrypt a Secret manifest with SOPS for the age recipients of tsctl.yaml.'
  static description = `Writes FILE as a SOPS file (what \`sops -e\` writes: ENC[AES256_GCM,…] values, a sops: block with the data key wrapped for each age recipient and the MAC) that tsctl sync, Flux and sops itself decrypt. Only data and stringData are encrypted (encrypted_regex ^(data|stringData)$, or secrets.encryptedRegex), so kind and names stay readable and diff works without a key. Recipients: --age, or secrets.age of tsctl.yaml in --repo's working tree. To standard output by default; -i replaces FILE (atomically, keeping its mode). Exit 2 on any problem, with nothing written. See docs/secrets.md.`
  static examples = [
    {description: 'Encrypt in place for the recipients of tsctl.yaml (secrets: {age: [age1…]})', command: '<%= config.bin %> <%= command.id %> -i manifests/db-secret.yaml'},
    {description: 'To standard output, for one recipient', command: '<%= config.bin %> <%= command.id %> --age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p secret.yaml > secret.enc.yaml'},
  ]
  static args = {file: Args.string({description: 'the plaintext YAML file (a Secret manifest)', required: true})}
  static flags = {
    'in-place': Flags.boolean({char: 'i', description: 'replace FILE instead of printing the result', default: false}),
    age: Flags.string({description: 'an age recipient (age1…) to encrypt for, instead of tsctl.yaml\'s secrets.age (repeatable)', multiple: true, multipleNonGreedy: true}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SecretEncrypt)
    const {encryptFile} = await import('../../secrets/secret-file.js')
    const {isRecipient} = await import('../../secrets/age.js')
    const {UserError} = await import('../../errors.js')
    for (const r of flags.age ?? []) if (!isRecipient(r)) throw new UserError(`--age ${JSON.stringify(r)} is not an age recipient`, 2, [], 'a recipient is age1… (age-keygen -y KEYFILE prints it)')
    const out = await encryptFile(args.file, {repo: flags.repo, ...(flags.age?.length ? {recipients: flags.age} : {})})
    if (!flags['in-place']) return this.print(out)
    const {writeFileAtomic} = await import('../../state/atomic-write.js')
    const {stat} = await import('node:fs/promises')
    await writeFileAtomic(args.file, out, (await stat(args.file)).mode & 0o777)
    this.noteLine(`${args.file}: encrypted`)
  }
}
