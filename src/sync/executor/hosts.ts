import type {KubeObject} from '../../manifests/object.js'
import {loadRuntimeFiles, RuntimeClient, type RuntimeFiles} from '../../host/runtime-client.js'
import {TransportPool, type TransportFactoryOptions} from '../../transport/index.js'

/** Options of the hosts of one run. */
export interface HostsOptions extends TransportFactoryOptions {
  /** the runtime root on every host (`--root` / `TSCTL_ROOT`, default /var/lib/tsctl) */
  root?: string
}

/**
 * The runtime clients of one run, one per Node, built on one TransportPool.
 * A client remembers that its runtime is installed, so the runtime is
 * installed at most once per content hash per host and run (and `test -x`
 * finds it on later runs).
 */
export class Hosts {
  readonly pool: TransportPool
  readonly root: string
  readonly #clients = new Map<string, RuntimeClient>()
  readonly #nodes = new Map<string, KubeObject>()
  #files?: RuntimeFiles

  constructor(nodes: KubeObject[], opts: HostsOptions = {}) {
    this.pool = new TransportPool(opts)
    this.root = opts.root ?? '/var/lib/tsctl'
    for (const n of nodes) this.#nodes.set(n.metadata.name, n)
  }

  /**
   * The Nodes of a newer commit (`watch` keeps one Hosts across syncs, so SSH
   * masters and installed runtimes are reused). A Node whose spec changed
   * gets a new transport; one that left has its transport closed.
   */
  async setNodes(nodes: KubeObject[]): Promise<void> {
    const next = new Map(nodes.map((n) => [n.metadata.name, n]))
    for (const [name, old] of this.#nodes) {
      const now = next.get(name)
      if (!now || JSON.stringify(now.spec) !== JSON.stringify(old.spec)) {
        this.#clients.delete(name)
        await this.pool.drop(name)
      }
    }
    this.#nodes.clear()
    for (const [k, v] of next) this.#nodes.set(k, v)
  }

  /**
   * Makes every Node's transport now, so a Node whose address or spec.ssh
   * is unsafe fails the run with its UserError (exit 2) before anything runs.
   */
  check(): void {
    for (const n of this.#nodes.values()) this.pool.get(n)
  }

  /** Node names, sorted. */
  get names(): string[] {
    return [...this.#nodes.keys()].sort()
  }

  node(name: string): KubeObject | undefined {
    return this.#nodes.get(name)
  }

  /** The client of NODE (throws for a node that is not a Node of the commit). */
  client(name: string): RuntimeClient {
    let c = this.#clients.get(name)
    if (!c) {
      const node = this.#nodes.get(name)
      if (!node) throw new Error(`no Node ${name} in this commit`)
      this.#files ??= loadRuntimeFiles()
      c = new RuntimeClient(this.pool.get(node), {root: this.root, files: this.#files})
      this.#clients.set(name, c)
    }
    return c
  }

  async close(): Promise<void> {
    await this.pool.close()
  }
}
