/**
 * Linux capabilities: their numbers, the default set a container gets, and
 * the set a container's `securityContext.capabilities` asks for, resolved the
 * way containerd's CRI plugin resolves it (so a manifest means on tsctl what
 * it means on a kubelet with containerd).
 */

/** Capability numbers (linux/capability.h), by the name without `CAP_`. */
export const CAPABILITIES: ReadonlyMap<string, number> = new Map(
  [
    'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
    'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
    'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
    'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
    'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
  ].map((name, i) => [name, i]),
)

/** containerd's and Docker's default set (what an unprivileged container holds when it asks for nothing). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE',
  'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
]

/** `net_admin`, `CAP_NET_ADMIN` and `NET_ADMIN` are one capability, as containerd reads them. */
export function capabilityName(s: string): string {
  const u = s.toUpperCase()
  return u.startsWith('CAP_') ? u.slice(4) : u
}

/**
 * The set a container runs with: `ALL` in add starts from every capability,
 * `ALL` in drop from none, then the named adds, then the named drops
 * (containerd's order, so `add: [ALL], drop: [CHOWN]` is all but CHOWN).
 * Names are returned without `CAP_`, sorted by number; unknown names are
 * returned in `unknown` for the caller to report.
 */
export function resolveCapabilities(caps: {add?: readonly string[]; drop?: readonly string[]} | undefined): {names: string[]; unknown: string[]} {
  const add = (caps?.add ?? []).map(capabilityName)
  const drop = (caps?.drop ?? []).map(capabilityName)
  const unknown = [...add, ...drop].filter((n) => n !== 'ALL' && !CAPABILITIES.has(n))
  let set = new Set(DEFAULT_CAPABILITIES)
  if (add.includes('ALL')) set = new Set(CAPABILITIES.keys())
  if (drop.includes('ALL')) set = new Set()
  for (const n of add) if (CAPABILITIES.has(n)) set.add(n)
  for (const n of drop) set.delete(n)
  const names = [...set].sort((a, b) => CAPABILITIES.get(a)! - CAPABILITIES.get(b)!)
  return {names, unknown: [...new Set(unknown)]}
}
