import type {RuntimeClient} from './runtime-client.js'

/** What `tsctl nodes check` found on one host. */
export interface NodeCheck {
  node: string
  ok: boolean
  /** what the host lacks, each in words a sysadmin can act on */
  problems: string[]
  /** notes that do not stop pods from running */
  warnings: string[]
  /** the runtime's `info` facts */
  facts: Record<string, string>
}

const TOOLS: Record<string, string> = {
  nsenter: 'util-linux (apt-get install util-linux)',
  unshare: 'util-linux (apt-get install util-linux)',
  setsid: 'util-linux (apt-get install util-linux)',
  mount: 'mount (apt-get install mount)',
  umount: 'mount (apt-get install mount)',
  tar: 'tar (apt-get install tar)',
  mv: 'coreutils (apt-get install coreutils)',
  cksum: 'coreutils (apt-get install coreutils)',
}

/** What the pod network (docs/networking.md) needs on a host: the `info` fact, what it is, the Debian package. */
const NETWORK_FACTS: [fact: string, what: string, pkg: string][] = [
  ['tool_ip', '`ip`', 'iproute2'],
  ['tool_nft', '`nft`', 'nftables'],
  ['tool_dnsmasq', '`dnsmasq`', 'dnsmasq-base'],
  ['tool_iptables', '`iptables` (the CNI portmap plugin runs it for hostPorts)', 'iptables'],
  ['cni_bridge', 'the CNI bridge plugin', 'containernetworking-plugins'],
  ['cni_host_local', 'the CNI host-local plugin', 'containernetworking-plugins'],
  ['cni_portmap', 'the CNI portmap plugin', 'containernetworking-plugins'],
]

/** The pod network's missing parts, one finding each, naming the package to install. */
function networkFindings(facts: Record<string, string>): string[] {
  const out: string[] = []
  for (const [fact, what, pkg] of NETWORK_FACTS) {
    if (facts[fact] === 'yes') continue
    const where = fact.startsWith('cni_') && facts.cni_path ? ` in ${facts.cni_path}` : ''
    out.push(`pod network: ${what} is not installed${where}: apt-get install ${pkg}`)
  }
  if (facts.br_netfilter === 'no') out.push('pod network: br_netfilter is not loaded (no net.bridge.bridge-nf-call-iptables): `modprobe br_netfilter` (add it to /etc/modules) — Services between pods on one host need it')
  return out
}

/**
 * Judges a host's `info` facts: pure, so the rules are unit-testable. `network`: whether the
 * fleet's pod network is on (`network:` in tsctl.yaml); its missing parts are then problems,
 * warnings when it is unknown (undefined), and not judged when it is off. ip_forward is not
 * judged: net-apply turns it on.
 */
export function judgeFacts(node: string, facts: Record<string, string>, opts: {network?: boolean} = {}): NodeCheck {
  const problems: string[] = []
  const warnings: string[] = []
  if (facts.root !== 'yes') problems.push('the runtime does not run as root: log in as root (or give the SSH user passwordless root) — namespaces, mounts and cgroups need it')
  if (facts.overlay !== 'yes') problems.push('overlayfs is missing: load it with `modprobe overlay` (add it to /etc/modules) or use a kernel built with CONFIG_OVERLAY_FS')
  if (facts.init !== 'yes') problems.push(`no tsctl-init binary for architecture ${facts.arch ?? '?'}: tsctl ships amd64 and arm64 only`)
  switch (facts.cgroup_mode) {
    case 'none':
    case undefined:
      problems.push('no cgroup hierarchy is mounted: mount cgroup2 on /sys/fs/cgroup (`mount -t cgroup2 none /sys/fs/cgroup`) or the v1 controllers cpu, memory and pids')
      break
    case 'v1':
    case 'hybrid':
      for (const c of ['cpu', 'memory', 'pids']) if (!facts[`cgroup_${c}`] || facts[`cgroup_${c}`] === '-') problems.push(`the cgroup v1 ${c} controller is not mounted: mount it (e.g. \`mkdir -p /sys/fs/cgroup/${c} && mount -t cgroup -o ${c} cgroup /sys/fs/cgroup/${c}\`) — limits cannot be enforced without it`)
      break
    case 'v2': {
      const have = (facts.cgroup2_controllers ?? '').split(',')
      for (const c of ['cpu', 'memory', 'pids']) if (!have.includes(c)) problems.push(`cgroup2 does not offer the ${c} controller: enable it in the parent's cgroup.subtree_control (or boot without cgroup_disable=${c})`)
    }
  }
  for (const [tool, pkg] of Object.entries(TOOLS)) if (facts[`tool_${tool}`] !== 'yes') problems.push(`\`${tool}\` is not installed: install ${pkg}`)
  if (opts.network !== false) (opts.network ? problems : warnings).push(...networkFindings(facts))
  const memKb = Number(facts.memory_kb ?? 0)
  if (memKb && memKb < 256 * 1024) warnings.push(`only ${Math.round(memKb / 1024)} MiB of memory: few pods will fit`)
  return {node, ok: problems.length === 0, problems, warnings, facts}
}

/** Installs the runtime if needed, asks the host what it has, and judges it (`network` as for judgeFacts). */
export async function checkNode(client: RuntimeClient, opts: {network?: boolean} = {}): Promise<NodeCheck> {
  return judgeFacts(client.transport.node, await client.info(), opts)
}
