import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import type {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'
import {HostError} from '../errors.js'
import type {ObservedNode, ObservedPod} from '../reconcile/index.js'
import {bundleTar} from './bundle/bundle-tar.js'
import {parseArch, parseCapacity, parseImageGc, parseNodeNet, parseStatus, type ImageGcResult} from './status-lines.js'
import type {RunResult, Transport} from '../transport/transport.js'

/** The files installed on a host, by name, and their content hash. */
export interface RuntimeFiles {
  files: Map<string, Buffer>
  hash: string
}

/** Where the package keeps the host runtime (src/host/shipped, with bin/ from build.sh). */
export function runtimeSourceDir(): string {
  if (process.env.TSCTL_RUNTIME_SRC) return process.env.TSCTL_RUNTIME_SRC
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('tsctl: cannot find the package root for src/host/shipped')
    dir = up
  }
  return join(dir, 'src', 'host', 'shipped')
}

/** Reads tsctl-runtime and the tsctl-init binaries; the hash names the install dir. */
export function loadRuntimeFiles(src = runtimeSourceDir()): RuntimeFiles {
  const files = new Map<string, Buffer>()
  files.set('tsctl-runtime', readFileSync(join(src, 'tsctl-runtime')))
  for (const arch of ['amd64', 'arm64']) {
    const p = join(src, 'bin', `tsctl-init-${arch}`)
    if (existsSync(p)) files.set(`tsctl-init-${arch}`, readFileSync(p))
  }
  if (files.size === 1) throw new Error(`tsctl-init is not built: run npm run build:init (looked in ${join(src, 'bin')})`)
  const h = createHash('sha256')
  for (const [k, v] of [...files].sort()) h.update(k).update('\0').update(v)
  return {files, hash: h.digest('hex').slice(0, 16)}
}

// Installs atomically: extract next to the target, then rename; the target
// directory is the only argument, never part of the script. ROOT becomes
// 0700: it holds pod bundles (Secret values) and image layers (setuid files).
const INSTALL_SCRIPT =
  'set -eu; umask 077; r=$1; d=$2; mkdir -p "${d%/*}"; chmod 0700 "$r"; t="$d.tmp.$$"; rm -rf "$t"; mkdir "$t"; tar -x -f - -C "$t"; ' +
  'chmod 0700 "$t"/*; mv -T "$t" "$d" 2>/dev/null || { rm -rf "$t"; test -x "$d/tsctl-runtime"; }'

// Before root runs anything under ROOT: every directory from / down to the
// runtime, and the runtime's files, must belong to root (or to the user tsctl
// logs in as) and be writable by no one else, unless sticky like /tmp for the
// directories above ROOT. Otherwise a local user could plant a tsctl-runtime
// that root then runs. Exit 0: installed; 1: not yet; 3: refused (stderr says why).
const CHECK_SCRIPT =
  'set -eu; r=$1; p=$2; u=$(id -u); ' +
  'bad() { printf "%s\\n" "$*" >&2; exit 3; }; ' +
  'chk() { [ -L "$1" ] && bad "$1 is a symlink"; [ -e "$1" ] || return 0; ' +
  'o=$(stat -c %u "$1"); m=$(stat -c %a "$1"); ' +
  '[ "$o" = 0 ] || [ "$o" = "$u" ] || bad "$1 is owned by uid $o, not by root"; ' +
  'if [ $((0$m & 022)) != 0 ]; then [ "$2" = above ] && [ $((0$m & 01000)) != 0 ] || bad "$1 is writable by others (mode $m)"; fi; }; ' +
  'a=${r%/*}; while [ -n "$a" ]; do chk "$a" above; a=${a%/*}; done; chk / above; ' +
  'chk "$r" in; chk "$r/runtime" in; chk "${p%/*}" in; ' +
  'for f in "${p%/*}"/*; do chk "$f" in; done; test -x "$p" || exit 1'

export type ApplyResult = 'started' | 'unchanged'

/**
 * The CLI's handle on one host's runtime, built on a Transport. Installs
 * `tsctl-runtime` under ROOT/runtime/<hash>/ once (per content hash, so two
 * tsctl versions never overwrite each other), then runs its verbs. Every
 * method is idempotent; a non-zero exit becomes a HostError with the
 * runtime's stderr.
 */
export class RuntimeClient {
  readonly root: string
  private installed?: string
  private readonly rt: RuntimeFiles

  constructor(readonly transport: Transport, opts: {root?: string; files?: RuntimeFiles} = {}) {
    this.root = opts.root ?? '/var/lib/tsctl'
    this.rt = opts.files ?? loadRuntimeFiles()
  }

  /** ROOT/runtime/<hash>/tsctl-runtime */
  get runtimePath(): string {
    return `${this.root}/runtime/${this.rt.hash}/tsctl-runtime`
  }

  /** Installs the runtime unless this hash is there already. Returns the runtime's path. */
  async ensureInstalled(): Promise<string> {
    if (this.installed) return this.installed
    const path = this.runtimePath
    const probe = await this.transport.exec(['sh', '-c', CHECK_SCRIPT, 'sh', this.root, path])
    if (probe.code === 3) {
      throw new HostError(this.transport.node, `refusing runtime root ${this.root}: ${probe.stderr.toString().trim()}; root would run what is there: use a root-owned directory no one else can write (the default /var/lib/tsctl), or fix its owner and mode`)
    }
    if (probe.code !== 0 && probe.code !== 1) throw new HostError(this.transport.node, `checking the runtime root ${this.root} failed (exit ${probe.code}): ${probe.stderr.toString().trim()}`)
    if (probe.code !== 0) {
      const tar = await bundleTar(this.rt.files)
      const r = await this.transport.exec(['sh', '-c', INSTALL_SCRIPT, 'sh', this.root, dirname(path)], {stdin: tar})
      if (r.code !== 0) throw new HostError(this.transport.node, `installing the runtime failed: ${r.stderr.trim()}`)
    }
    this.installed = path
    return path
  }

  /** Runs a verb; returns the raw result (the caller checks the code). */
  async run(args: string[], opts: {stdin?: Buffer | Readable; timeoutMs?: number; onStdout?: (b: Buffer) => void} = {}): Promise<RunResult> {
    const path = await this.ensureInstalled()
    return this.transport.exec([path, '--root', this.root, ...args], opts)
  }

  /** Runs a verb with a terminal (exec -t): stdio handed over; resolves with the exit code. */
  async runInteractive(args: string[]): Promise<number> {
    const path = await this.ensureInstalled()
    if (!this.transport.interactive) throw new HostError(this.transport.node, 'this transport cannot allocate a terminal')
    return this.transport.interactive([path, '--root', this.root, ...args])
  }

  private async ok(args: string[], opts: {stdin?: Buffer | Readable; timeoutMs?: number} = {}): Promise<string> {
    const r = await this.run(args, opts)
    if (r.code !== 0) throw new HostError(this.transport.node, `tsctl-runtime ${args[0]} failed (exit ${r.code}): ${r.stderr.trim()}`)
    return r.stdout.toString()
  }

  /**
   * `key value` facts about the host: kernel, arch, cgroup mode and controllers, overlay, tools,
   * and the layer store (`layers`, `layers_kb`, `images`: read them with `layerStoreFromInfo`).
   */
  async info(): Promise<Record<string, string>> {
    const out: Record<string, string> = {}
    for (const l of (await this.ok(['info'])).split('\n')) {
      const i = l.indexOf(' ')
      if (i > 0) out[l.slice(0, i)] = l.slice(i + 1)
    }
    return out
  }

  /** The layer digests the host does not have yet. */
  async missingLayers(digests: string[]): Promise<string[]> {
    if (digests.length === 0) return []
    return (await this.ok(['layer-has', ...digests])).split('\n').filter(Boolean)
  }

  /** Stores one layer: a tar of `root/…` plus optional `whiteouts`/`opaque` NUL lists (src/host/protocol.md). */
  async addLayer(digest: string, tar: Buffer | Readable): Promise<void> {
    await this.ok(['layer-add', digest], {stdin: tar})
  }

  /**
   * Records that image DIGEST (the pinned manifest or index digest) uses the layers DIFFIDS on
   * this host, so `gcImages` keeps them while the image is kept. Send it before the image's
   * layers (`ensureLayers`): a layer an image record names is never collected in between.
   */
  async addImage(digest: string, diffIds: string[]): Promise<void> {
    await this.ok(['image-add', digest, ...diffIds])
  }

  /**
   * Removes the image records not in KEEP (the images of every workload's retained revisions),
   * then the layers that no remaining record and no pod on the host (running or stopped) uses.
   * KEEP goes on stdin: a fleet can retain thousands. Idempotent.
   */
  async gcImages(keep: string[]): Promise<ImageGcResult> {
    const out = await this.ok(['image-gc', '-'], {stdin: Buffer.from(keep.map((d) => `${d}\n`).join(''))})
    const r = parseImageGc(out)
    if (!r) throw new HostError(this.transport.node, `tsctl-runtime image-gc printed no store line: ${out.trim()}`)
    return r
  }

  /** Starts the pod from its bundle tar; `unchanged` when that spec hash already runs. */
  async apply(uid: string, bundle: Buffer): Promise<ApplyResult> {
    const out = await this.ok(['apply', uid], {stdin: bundle})
    return out.includes('unchanged') ? 'unchanged' : 'started'
  }

  /** All pods on the host, one call. */
  async status(): Promise<ObservedPod[]> {
    return parseStatus(await this.ok(['status']))
  }

  /**
   * The whole ObservedNode (capacity and every pod) in one call. `now` is
   * the observation time (epoch ms) the caller's clock gives. A host that
   * cannot be reached rejects with HostError: the caller records
   * `reachable: false` and no pods.
   */
  async observe(now: number): Promise<ObservedNode> {
    const text = await this.ok(['status'])
    const arch = parseArch(text)
    return {name: this.transport.node, reachable: true, observedAt: now, capacity: parseCapacity(text), ...(arch ? {arch} : {}), ...parseNodeNet(text), pods: parseStatus(text)}
  }

  /**
   * Applies the node's network files (docs/networking.md "Host side": `params`, `cni/bridge.conf`,
   * `cni/portmap.head`, `routes`, `rules.nft`, `dns/hosts`, by path) as one tar on stdin of
   * `net-apply HASH`: bridge, routes, the `tsctl` nftables table, dnsmasq. Idempotent; the
   * host reports HASH as `netHash` in `observe` afterwards. Send it before the node's pod actions.
   */
  async netApply(hash: string, files: Map<string, Buffer | string>): Promise<void> {
    const tree = new Map<string, Buffer>()
    for (const [k, v] of files) tree.set(k, Buffer.isBuffer(v) ? v : Buffer.from(v))
    await this.ok(['net-apply', hash], {stdin: await bundleTar(tree)})
  }

  /** preStop, SIGTERM, grace, SIGKILL. The pod's files stay for logs and status. */
  async stop(uid: string, graceSeconds?: number): Promise<void> {
    await this.ok(['stop', uid, ...(graceSeconds === undefined ? [] : [String(graceSeconds)])])
  }

  /** Stops the pod and removes its mounts, cgroups and files (claims stay). */
  async remove(uid: string, graceSeconds?: number): Promise<void> {
    await this.ok(['remove', uid, ...(graceSeconds === undefined ? [] : [String(graceSeconds)])])
  }

  /** Deletes a PersistentVolumeClaim's host directory (`namespace.claim`). */
  async removeClaim(dirName: string): Promise<void> {
    await this.ok(['remove-claim', dirName])
  }

  /**
   * Swaps the files of a ConfigMap/Secret volume (by name) in a running pod:
   * the kubelet's atomic `..data` symlink swap, no restart. HASH is what
   * status reports for the volume afterwards. Files come from `volumeFiles`.
   */
  async updateFiles(uid: string, volume: string, hash: string, files: Map<string, Buffer>): Promise<void> {
    await this.ok(['update-files', uid, encodeURIComponent(volume), hash], {stdin: await bundleTar(files)})
  }

  /**
   * A container's log (with the rotated part when `all`). With `follow`,
   * streams new lines to `onData` until `timeoutMs` or the transport closes.
   */
  async logs(uid: string, container: string, opts: {all?: boolean; follow?: boolean; onData?: (b: Buffer) => void; timeoutMs?: number} = {}): Promise<string> {
    const args = ['logs', uid, encodeURIComponent(container)]
    if (opts.follow) {
      const r = await this.run([...args, '--follow'], {onStdout: opts.onData, timeoutMs: opts.timeoutMs})
      return r.stdout.toString()
    }
    return this.ok([...args, ...(opts.all ? ['--all'] : [])])
  }

  /** Runs argv inside the container (namespaces, root, cgroup, user); returns its exit code and output. */
  async exec(uid: string, container: string, argv: string[], opts: {stdin?: Buffer | Readable; timeoutMs?: number} = {}): Promise<RunResult> {
    return this.run(['exec', uid, encodeURIComponent(container), ...argv], opts)
  }

  /** Removes stopped pods, half-written bundles and layers, and orphaned cgroups. */
  async gc(): Promise<string[]> {
    return (await this.ok(['gc'])).split('\n').filter(Boolean)
  }
}
