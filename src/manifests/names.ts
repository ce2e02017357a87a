/**
 * Kubernetes' name and label syntax (apimachinery's validation package),
 * each returning undefined when valid or a message saying what is wrong.
 */
const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const qualifiedName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const configKey = /^[-._a-zA-Z0-9]+$/

/** DNS-1123 label: `web-1` (most names of things inside a pod, namespaces). */
export function checkDNS1123Label(s: string): string | undefined {
  if (s.length > 63) return `"${s}" is longer than 63 characters`
  if (!label.test(s)) return `"${s}" is not a valid DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit`
  return undefined
}

/** DNS-1123 subdomain: `web.v1` (most object names). */
export function checkDNS1123Subdomain(s: string): string | undefined {
  if (s.length > 253) return `"${s}" is longer than 253 characters`
  if (!subdomain.test(s)) return `"${s}" is not a valid DNS-1123 subdomain: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit`
  return undefined
}

/** DNS-1035 label: like a DNS-1123 label but starting with a letter (Service names). */
export function checkDNS1035Label(s: string): string | undefined {
  if (s.length > 63) return `"${s}" is longer than 63 characters`
  if (!dns1035.test(s)) return `"${s}" is not a valid DNS-1035 label: lowercase letters, digits and "-", starting with a letter`
  return undefined
}

/** A container port name (IANA_SVC_NAME): at most 15 characters, a letter among them, no "--". */
export function checkPortName(s: string): string | undefined {
  if (s.length > 15) return `port name "${s}" is longer than 15 characters`
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) || s.includes('--') || !/[a-z]/.test(s)) {
    return `port name "${s}" must be lowercase letters, digits and "-" with at least one letter and no "--"`
  }
  return undefined
}

/** A label or annotation key: optional DNS subdomain prefix and "/", then a name of at most 63 characters. */
export function checkLabelKey(k: string): string | undefined {
  const slash = k.lastIndexOf('/')
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined
  const name = slash >= 0 ? k.slice(slash + 1) : k
  if (prefix !== undefined && (prefix === '' || checkDNS1123Subdomain(prefix))) return `key "${k}" has an invalid prefix: it must be a DNS subdomain like example.com`
  if (name.length === 0 || name.length > 63 || !qualifiedName.test(name)) {
    return `key "${k}" is not valid: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit`
  }
  return undefined
}

/** A label value: empty, or at most 63 letters, digits, "-", "_", "." starting and ending alphanumeric. */
export function checkLabelValue(v: string): string | undefined {
  if (v === '') return undefined
  if (v.length > 63 || !qualifiedName.test(v)) return `label value "${v}" is not valid: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit`
  return undefined
}

/** A ConfigMap or Secret key (it becomes a file name). */
export function checkConfigKey(k: string): string | undefined {
  if (k.length > 253 || !configKey.test(k) || k === '.' || k === '..') return `key "${k}" must be letters, digits, "-", "_" and "." (it becomes a file name)`
  return undefined
}
