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

/** Judges a host's `info` facts: pure, so the rules are unit-testable. */
export function judgeFacts(node: string, facts: Record<string, string>): NodeCheck {
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
  const memKb = Number(facts.memory_kb ?? 0)
  if (memKb && memKb < 256 * 1024) warnings.push(`only ${Math.round(memKb / 1024)} MiB of memory: few pods will fit`)
  return {node, ok: problems.length === 0, problems, warnings, facts}
}

/** Installs the runtime if needed, asks the host what it has, and judges it. */
export async function checkNode(client: RuntimeClient): Promise<NodeCheck> {
  return judgeFacts(client.transport.node, await client.info())
}
