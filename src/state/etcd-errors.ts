import {ExitCode, UserError} from '../errors.js'
import {type EtcdConfig, describeEtcd} from './etcd-config.js'

/**
 * Turns whatever the etcd3 client threw while DOING something into a
 * UserError that names the endpoints, with DESIGN.md's exit code: 4 when
 * etcd cannot be reached (down, refused, timed out), 2 for configuration
 * (certificates, user, password, permissions, limits). Never a stack,
 * never the password. LockedError/UserError pass through unchanged.
 */
export function etcdError(e: unknown, c: EtcdConfig, doing: string): Error {
  if (e instanceof UserError) return e
  const name = (e as Error)?.constructor?.name ?? ''
  let msg = String((e as Error)?.message ?? e).split('\n')[0]
  if (c.auth?.password) msg = msg.split(c.auth.password).join('***')
  const where = describeEtcd(c)
  if (tlsProblem.test(msg)) {
    return new UserError(`${where}: TLS failed while ${doing}: ${msg}`, ExitCode.invalid, [], 'check state.tls (ca, cert, key) against the etcd server\'s certificates, and https:// endpoints')
  }
  if (name === 'EtcdAuthenticationFailedError' || name === 'GRPCUnauthenticatedError' || name === 'EtcdInvalidAuthTokenError' || /authentication failed|invalid auth token|user name is empty/i.test(msg)) {
    return new UserError(`${where}: authentication failed${c.auth ? ` as user ${JSON.stringify(c.auth.user)}` : ''} while ${doing}`, ExitCode.invalid, [], c.auth ? `check the user and $${c.auth.passwordEnv}` : 'this etcd has authentication enabled: set state.auth.user and TSCTL_ETCD_PASSWORD')
  }
  if (name === 'EtcdPermissionDeniedError' || /permission denied/i.test(msg)) {
    return new UserError(`${where}: permission denied${c.auth ? ` for user ${JSON.stringify(c.auth.user)}` : ''} while ${doing}`, ExitCode.invalid, [], `grant the user's role readwrite on the key prefix ${c.prefix}/ (etcdctl role grant-permission --prefix=true ROLE readwrite ${c.prefix}/)`)
  }
  if (/too large|too many operations|exceeds|ResourceExhausted/i.test(msg) || name === 'GRPCResourceExhastedError') {
    return new UserError(`${where}: etcd refused the request while ${doing}: ${msg}`, ExitCode.invalid, [], 'raise --max-request-bytes / --max-txn-ops of etcd, or report the object that is this large')
  }
  if (isUnavailable(e)) {
    return new UserError(`${where}: cannot reach etcd while ${doing}: ${msg}`, ExitCode.hosts, [], 'is etcd running and the endpoint (host:port) right? (state.endpoints, TSCTL_ETCD_ENDPOINTS)')
  }
  return new UserError(`${where}: etcd error while ${doing}: ${msg}`, ExitCode.invalid)
}

const tlsProblem = /certificate|ssl|tls|handshake|self[- ]signed|unable to verify|wrong version number|alert/i

/** A failure to reach etcd (retrying may help). */
export function isUnavailable(e: unknown): boolean {
  const name = (e as Error)?.constructor?.name ?? ''
  const msg = String((e as Error)?.message ?? e)
  if (tlsProblem.test(msg)) return false // a certificate does not get better by retrying
  return (
    name === 'GRPCUnavailableError' ||
    name === 'GRPCDeadlineExceededError' ||
    name === 'GRPCCancelledError' ||
    name === 'BrokenCircuitError' ||
    /ECONNREFUSED|EHOSTUNREACH|ENOTFOUND|ETIMEDOUT|No connection established|failed to connect|Deadline exceeded|deadline|unavailable|leader changed|no leader|timed out/i.test(msg)
  )
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Runs FN, retrying while etcd is unreachable (a member down, an election
 * in progress) for up to `budgetMs`; anything else is thrown at once.
 * Only idempotent requests, or guarded transactions (their compare fails
 * when a lost reply had in fact committed), go through it.
 */
export async function withRetry<T>(fn: () => Promise<T>, budgetMs: number): Promise<T> {
  const until = Date.now() + budgetMs
  let delay = 50
  let first: unknown
  for (;;) {
    try {
      return await fn()
    } catch (e) {
      // the client's circuit breaker opens after failures: the first error says why
      const why = (e as Error)?.constructor?.name === 'BrokenCircuitError' && first !== undefined ? first : e
      first ??= e
      if (!isUnavailable(why) || Date.now() + delay >= until) throw why
      await sleep(delay)
      delay = Math.min(delay * 2, 500)
    }
  }
}
