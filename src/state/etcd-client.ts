import {readFileSync} from 'node:fs'
import {Etcd3, type IOptions} from 'etcd3'
import {UserError} from '../errors.js'
import {type EtcdConfig, describeEtcd} from './etcd-config.js'

/**
 * Loaded only by the etcd backend (lazily: etcd3 and gRPC cost start-up time).
 *
 * An etcd3 client for CONFIG: TLS files read once (a missing or unreadable
 * file is exit 2 naming it), a deadline on every unary call (streams, the
 * lease keep-alive, have none), gRPC's 4 MiB receive limit lifted (reads
 * are paged anyway).
 */
export function openEtcdClient(c: EtcdConfig): Etcd3 {
  const opts: IOptions = {
    hosts: c.endpoints,
    dialTimeout: c.timeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : {deadline: new Date(Date.now() + c.timeoutMs)}),
    grpcOptions: {'grpc.max_receive_message_length': 64 * 1024 * 1024},
  }
  if (c.tls) {
    const read = (what: string, p: string | undefined) => {
      if (p === undefined) return undefined
      try {
        return readFileSync(p)
      } catch (e) {
        throw new UserError(`${describeEtcd(c)}: cannot read the TLS ${what} ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, undefined, [], 'check state.tls in tsctl.yaml or TSCTL_ETCD_CA/CERT/KEY')
      }
    }
    // no CA given: the system's roots (createSsl with an undefined root)
    opts.credentials = {rootCertificate: read('CA', c.tls.ca) as Buffer, privateKey: read('key', c.tls.key), certChain: read('certificate', c.tls.cert)}
    opts.hosts = c.endpoints.map((e) => e.replace(/^http:/, 'https:'))
    // gRPC sets the TLS server name to the endpoint even when it is an IP address, and Node
    // prints a deprecation warning (DEP0123) about it on every connection: not the user's concern
    if (c.endpoints.some((e) => /^https?:\/\/(\d+\.\d+\.\d+\.\d+|\[)/.test(e))) process.noDeprecation = true
  }
  if (c.auth) opts.auth = {username: c.auth.user, password: c.auth.password}
  return new Etcd3(opts)
}

