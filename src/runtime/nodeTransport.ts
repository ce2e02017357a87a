import type {KubeObject} from '../manifests/object.js'
import {SshTransport, type SshTransportOptions} from './transport/ssh.js'
import {sshTargetOf} from './transport/sshTarget.js'
import {LocalTransport} from './transport/local.js'
import type {Transport} from './transport.js'

/**
 * The transport for a Node manifest: `spec.address: local` runs the runtime
 * on this machine (no SSH); anything else goes over OpenSSH with the Node's
 * `spec.ssh` settings. Throws UserError for unsafe or malformed SSH fields.
 */
export function transportFor(node: KubeObject, ssh: SshTransportOptions = {}): Transport {
  const address = (node.spec as {address?: unknown} | undefined)?.address
  if (address === 'local') return new LocalTransport(node.metadata.name)
  return new SshTransport(sshTargetOf(node), ssh)
}
