/**
 * Services' environment variables, as the kubelet sets them
 * (pkg/kubelet/envvars `FromServices`, kubelet_pods.go `getServiceEnvVarMap`):
 * for each Service of the pod's namespace with a cluster IP,
 *
 *   WEB_SERVICE_HOST=10.96.0.7        WEB_PORT=tcp://10.96.0.7:80
 *   WEB_SERVICE_PORT=80               WEB_PORT_80_TCP=tcp://10.96.0.7:80
 *   WEB_SERVICE_PORT_HTTP=80          WEB_PORT_80_TCP_PROTO=tcp
 *                                     WEB_PORT_80_TCP_PORT=80
 *                                     WEB_PORT_80_TCP_ADDR=10.96.0.7
 *
 * (the second column is Docker links' format).
 */
import {serviceClusterIP} from './service-ports.js'
import type {NetService} from './types.js'

/** One variable, core/v1 EnvVar's shape. */
export interface ServiceEnvVar {
  name: string
  value: string
}

/** `envvars.makeEnvVariableName`: upper case, `-` → `_` (Service names are DNS-1035 labels). */
function envName(s: string): string {
  return s.replace(/-/g, '_').toUpperCase()
}

function ofService(svc: NetService, ip: string): ServiceEnvVar[] {
  const prefix = envName(svc.metadata.name)
  const ports = svc.spec?.ports ?? []
  const out: ServiceEnvVar[] = [{name: `${prefix}_SERVICE_HOST`, value: ip}]
  if (ports.length === 0) return out
  out.push({name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port)})
  for (const p of ports) if (p.name) out.push({name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port)})
  ports.forEach((p, i) => {
    const proto = p.protocol ?? 'TCP'
    const url = `${proto.toLowerCase()}://${ip}:${p.port}`
    if (i === 0) out.push({name: `${prefix}_PORT`, value: url})
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`
    out.push(
      {name: pp, value: url},
      {name: `${pp}_PROTO`, value: proto.toLowerCase()},
      {name: `${pp}_PORT`, value: String(p.port)},
      {name: `${pp}_ADDR`, value: ip},
    )
  })
  return out
}

/**
 * The service variables of a pod in `namespace` (the caller leaves them out
 * when `enableServiceLinks: false`). Services without a cluster IP
 * (headless, ExternalName, not allocated yet) give none. Ordered by Service
 * name, then as `FromServices` lists them; a name given twice keeps the last
 * value (the kubelet collects them in a map). The container's own `env`
 * wins over these: the caller applies them first.
 */
export function serviceEnv(services: NetService[], namespace: string): ServiceEnvVar[] {
  const mine = services
    .filter((s) => (s.metadata.namespace ?? 'default') === namespace)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
  const vars = new Map<string, string>()
  for (const svc of mine) {
    const ip = serviceClusterIP(svc)
    if (ip) for (const v of ofService(svc, ip)) vars.set(v.name, v.value)
  }
  return [...vars.entries()].map(([name, value]) => ({name, value}))
}
