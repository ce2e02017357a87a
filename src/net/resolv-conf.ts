/**
 * A pod's `/etc/resolv.conf` from its dnsPolicy and dnsConfig, following the
 * kubelet (pkg/kubelet/network/dns/dns.go `GetPodDNS`), with the node's
 * resolver (dnsmasq on the pod gateway) standing in for the cluster DNS
 * Service.
 */
import type {PodDNSConfig, PodSpec} from '../manifests/generated/index.js'
import type {NetworkConfig} from './config.js'

/** core/v1 validation.MaxDNSNameservers (and glibc's MAXNS). */
export const MAX_DNS_NAMESERVERS = 3
/** core/v1 validation.MaxDNSSearchPaths (ExpandedDNSConfig, always on since 1.28). */
export const MAX_DNS_SEARCH_PATHS = 32
/** core/v1 validation.MaxDNSSearchListChars. */
export const MAX_DNS_SEARCH_CHARS = 2048
/** The kubelet's `defaultDNSOptions`. */
const DEFAULT_OPTIONS = ['ndots:5']
/** A search domain longer than a DNS-1123 subdomain (glibc 2.28 aborts on these) is dropped. */
const MAX_SEARCH_LENGTH = 253

/** Everything `podResolvConf` reads. */
export interface ResolvConfInput {
  config: NetworkConfig
  /** the node's pod gateway address, where its resolver listens */
  gateway: string
  namespace: string
  dnsPolicy?: PodSpec['dnsPolicy']
  dnsConfig?: PodDNSConfig
  hostNetwork?: boolean
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)]
}

// mergeDNSOptions: by name, the pod's value replacing the base one. The
// kubelet goes through a Go map (random order); here the base's order, then
// the pod's new names in their order.
function mergeOptions(base: string[], extra: PodDNSConfig['options']): string[] {
  const opts = new Map<string, string>()
  for (const o of base) {
    const i = o.indexOf(':')
    if (i === -1) opts.set(o, '')
    else opts.set(o.slice(0, i), o.slice(i + 1))
  }
  for (const o of extra ?? []) if (o.name !== undefined) opts.set(o.name, o.value ?? '')
  return [...opts.entries()].map(([k, v]) => (v ? `${k}:${v}` : k))
}

// formDNSSearchFitsLimits: at most 32 domains, none longer than 253, the
// line at most 2048 characters (domains cut from the end).
function fitSearches(searches: string[]): string[] {
  let s = searches.slice(0, MAX_DNS_SEARCH_PATHS).filter((d) => d.length <= MAX_SEARCH_LENGTH)
  while (s.length && s.join(' ').length > MAX_DNS_SEARCH_CHARS) s = s.slice(0, -1)
  return s
}

/**
 * The resolv.conf text of a pod, or undefined for "the host's own"
 * (`Default`, and `ClusterFirst` on the host's network, as the kubelet
 * falls back). ClusterFirst / ClusterFirstWithHostNet: the node's resolver,
 * `search <ns>.svc.D svc.D D`, `options ndots:5`; None: only dnsConfig
 * (an empty text without one: the API requires it).
 * dnsConfig is merged as the kubelet does: nameservers and searches
 * appended without duplicates, options replaced by name; then at most 3
 * nameservers and 32 search domains. Pure.
 */
export function podResolvConf(input: ResolvConfInput): string | undefined {
  const policy = input.dnsPolicy ?? 'ClusterFirst'
  let nameservers: string[]
  let searches: string[]
  let options: string[]
  if (policy === 'None') {
    nameservers = []
    searches = []
    options = []
  } else if (policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !input.hostNetwork)) {
    const d = input.config.clusterDomain
    nameservers = [input.gateway]
    searches = unique([`${input.namespace}.svc.${d}`, `svc.${d}`, d])
    options = [...DEFAULT_OPTIONS]
  } else {
    return undefined
  }
  const dc = input.dnsConfig
  if (dc) {
    nameservers = unique([...nameservers, ...(dc.nameservers ?? [])])
    searches = unique([...searches, ...(dc.searches ?? [])])
    options = mergeOptions(options, dc.options)
  }
  nameservers = nameservers.slice(0, MAX_DNS_NAMESERVERS)
  searches = fitSearches(searches)
  const lines = nameservers.map((n) => `nameserver ${n}`)
  if (searches.length) lines.push(`search ${searches.join(' ')}`)
  if (options.length) lines.push(`options ${options.join(' ')}`)
  return lines.length ? lines.join('\n') + '\n' : ''
}
