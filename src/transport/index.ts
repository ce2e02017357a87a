import {UserError} from '../errors.js'
import type {KubeObject} from '../manifests/object.js'
import type {Transport} from './transport.js'
import {Limiter} from './limiter.js'
import {LocalTransport} from './local.js'
import {SshTransport, type SshTransportOptions} from './ssh.js'
import {sshTargetOf} from './ssh-target.js'

/** The transport settings of one tsctl run (not of a Node). */
export interface TransportFactoryOptions {
  /** commands in flight across all hosts (`--concurrency`, default 32); ignored when `limiter` is given */
  concurrency?: number
  /** a limiter to share with other pools (benchmarks); default: one built from `concurrency` */
  limiter?: Limiter
  /** SSH settings of the run: known_hosts, ssh_config (`TSCTL_SSH_CONFIG`), timeouts */
  ssh?: Omit<SshTransportOptions, 'limiter'>
  /** environment of the local transport's children (default process.env) */
  env?: NodeJS.ProcessEnv
}

/** True when the Node is this machine: `spec.address: local`. */
export function isLocalNode(node: KubeObject): boolean {
  return (node.spec as {address?: unknown} | undefined)?.address === 'local'
}

/** The default idle time of a shared SSH master, Ansible's `ControlPersist=60s`. */
export const DEFAULT_SSH_PERSIST_S = 60

/**
 * `TSCTL_SSH_PERSIST` (also `--ssh-persist`): seconds a shared master
 * outlives its run; unset: 60; `0`: no sharing, each run closes its masters.
 */
function persistFromEnv(env: NodeJS.ProcessEnv): Pick<SshTransportOptions, 'persist' | 'controlPersistS'> {
  const v = env.TSCTL_SSH_PERSIST
  if (v === undefined || v === '') return {persist: true, controlPersistS: DEFAULT_SSH_PERSIST_S}
  if (!/^\d{1,6}$/.test(v)) throw new UserError(`TSCTL_SSH_PERSIST=${JSON.stringify(v).slice(0, 40)} is not a number of seconds`, undefined, [], 'set it to 0 (no shared SSH connections) or to the idle seconds, e.g. 60')
  const s = Number(v)
  return s === 0 ? {persist: false} : {persist: true, controlPersistS: s}
}

/**
 * SSH options from the environment, for runs that must not read the user's
 * ~/.ssh (tests, CI): `TSCTL_SSH_CONFIG` is `ssh -F`, `TSCTL_SSH_KNOWN_HOSTS`
 * a known_hosts file (ignored for Nodes that pin `spec.ssh.hostKey`).
 */
export function sshOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<SshTransportOptions, 'limiter'> {
  const o: Omit<SshTransportOptions, 'limiter'> = {...persistFromEnv(env)}
  if (env.TSCTL_SSH_CONFIG) o.configFile = env.TSCTL_SSH_CONFIG
  if (env.TSCTL_SSH_KNOWN_HOSTS) o.knownHostsFile = env.TSCTL_SSH_KNOWN_HOSTS
  return o
}

/**
 * The transport factory of a run: a Node with `address: local` gets a
 * LocalTransport, any other an SshTransport; all SSH transports share one
 * Limiter, so `--concurrency` bounds the commands in flight across the whole
 * fleet. One transport per Node name for the life of the pool (the SSH
 * master is reused); close() releases them all.
 */
export class TransportPool {
  readonly limiter: Limiter
  readonly #transports = new Map<string, Transport>()

  constructor(private readonly opts: TransportFactoryOptions = {}) {
    this.limiter = opts.limiter ?? new Limiter({concurrency: opts.concurrency ?? 32})
  }

  /** The transport for NODE (made on first use). Throws UserError (exit 2) for an unsafe spec.ssh. */
  get(node: KubeObject): Transport {
    const name = node.metadata.name
    let t = this.#transports.get(name)
    if (!t) {
      t = isLocalNode(node)
        ? new LocalTransport(name, this.opts.env ?? process.env)
        : new SshTransport(sshTargetOf(node), {...this.opts.ssh, limiter: this.limiter})
      this.#transports.set(name, t)
    }
    return t
  }

  /** Closes and forgets the transport of NODE (its spec changed, or it left the fleet). */
  async drop(node: string): Promise<void> {
    const t = this.#transports.get(node)
    this.#transports.delete(node)
    await t?.close()
  }

  /** Closes every transport (SSH masters exit). Safe to call twice. */
  async close(): Promise<void> {
    const all = [...this.#transports.values()]
    this.#transports.clear()
    await Promise.allSettled(all.map((t) => t.close()))
  }
}
