/**
 * IPv4 addresses and CIDR blocks as plain numbers: the one place that parses
 * and prints them for the pod network, the service range and the allocators.
 * (IPv6 is not supported by the pod network yet: docs/networking.md.)
 */

export interface Cidr {
  /** network address as an unsigned 32-bit number */
  base: number
  bits: number
}

/** `10.0.0.1` → number, or undefined when not a dotted-quad IPv4 address. */
export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s)
  if (!m) return undefined
  const o = m.slice(1).map(Number)
  if (o.some((x, i) => x > 255 || (m[i + 1].length > 1 && m[i + 1].startsWith('0')))) return undefined
  return ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3]
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/** `10.244.0.0/16` → Cidr, or undefined when malformed or when host bits are set. */
export function parseCidr(s: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s)
  if (!m) return undefined
  const ip = parseIp(m[1])
  const bits = Number(m[2])
  if (ip === undefined || bits > 32) return undefined
  const base = (ip & mask(bits)) >>> 0
  return base === ip ? {base, bits} : undefined
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.bits}`
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.bits)
}

/** The n-th address of the block (0 = the network address). */
export function nth(c: Cidr, n: number): number {
  return (c.base + n) >>> 0
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.bits)) >>> 0) === c.base
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits)
  return ((a.base & mask(bits)) >>> 0) === ((b.base & mask(bits)) >>> 0)
}

/** The i-th sub-block of `bits` inside `c` (i from 0), e.g. the i-th /24 of a /16. */
export function subBlock(c: Cidr, bits: number, i: number): Cidr {
  return {base: (c.base + i * 2 ** (32 - bits)) >>> 0, bits}
}

/** The gateway of a node's pod CIDR: its first host address (`.1` of a /24). */
export function gatewayOf(c: Cidr): number {
  return nth(c, 1)
}
