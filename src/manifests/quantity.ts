/**
 * Kubernetes resource quantities: `100m`, `0.5`, `1.5Gi`, `256M`, `1e3`.
 * The grammar is apimachinery's (`resource.Quantity`): a signed decimal
 * number, then a binary suffix (Ki…Ei), a decimal suffix (n u m "" k M G T P E)
 * or an exponent (e3, E-2). Pure; used by validation and the scheduler.
 */
const binary: Record<string, number> = {Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60}
const decimal: Record<string, number> = {n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18}
const pattern = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/

/** The quantity as a plain number (1.5Gi → 1610612736, 100m → 0.1), or undefined when it does not parse. */
export function parseQuantity(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined
  const m = pattern.exec(input.trim())
  if (!m || input.trim() !== input) return undefined
  const n = Number(m[1])
  const suffix = m[2] ?? ''
  let factor: number
  if (suffix in binary) factor = binary[suffix]
  else if (suffix in decimal) factor = decimal[suffix]
  else factor = 10 ** Number(suffix.slice(1))
  const v = n * factor
  return Number.isFinite(v) ? v : undefined
}

/** CPU in millicores, rounded up as Kubernetes does (`MilliValue`). */
export function milliCPU(q: string | number | undefined): number {
  if (q === undefined) return 0
  const v = parseQuantity(q)
  return v === undefined ? 0 : Math.ceil(Math.round(v * 1e9) / 1e6)
}

/** Memory (or any byte quantity) in bytes, rounded up (`Value`). */
export function bytes(q: string | number | undefined): number {
  if (q === undefined) return 0
  const v = parseQuantity(q)
  return v === undefined ? 0 : Math.ceil(v - 1e-9)
}

/**
 * Whether the scheduler counts a resource beside cpu, memory and pods
 * (v1helper.IsScalarResourceName): extended resources (`example.com/gpu`,
 * any name with a domain), hugepages-*, attachable-volumes-*, and
 * ephemeral-storage. Other bare names are not counted, as in Kubernetes.
 */
export function isScalarResourceName(name: string): boolean {
  return name === 'ephemeral-storage' || name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')
}

/**
 * A resource amount as the scheduler's framework.Resource.Add keeps it:
 * cpu in millicores (MilliValue), every other resource as Value() (an
 * integer, rounded up). The one rule for requests and node allocatable.
 */
export function resourceValue(name: string, q: string | number | undefined): number {
  return name === 'cpu' ? milliCPU(q) : bytes(q)
}
