/**
 * The parts of a Pod spec the bundle compiler reads. The generated manifest
 * types (src/manifests/generated/) are richer; this is the narrow view the
 * runtime needs, so the runtime builds without depending on them.
 */
export interface EnvVar {
  name: string
  value?: string
  valueFrom?: {
    configMapKeyRef?: {name: string; key: string; optional?: boolean}
    secretKeyRef?: {name: string; key: string; optional?: boolean}
    fieldRef?: {fieldPath: string}
    resourceFieldRef?: ResourceFieldRef
  }
}

/** A container's resource as a number (the downward API): `limits.cpu`, `requests.memory`, … */
export interface ResourceFieldRef {
  containerName?: string
  resource: string
  divisor?: string | number
}

export interface Probe {
  exec?: {command?: string[]}
  httpGet?: {path?: string; port: number | string}
  tcpSocket?: {port: number | string}
  initialDelaySeconds?: number
  periodSeconds?: number
  timeoutSeconds?: number
  successThreshold?: number
  failureThreshold?: number
}

export interface SecurityContext {
  runAsUser?: number
  runAsGroup?: number
  privileged?: boolean
  allowPrivilegeEscalation?: boolean
  readOnlyRootFilesystem?: boolean
  capabilities?: {add?: string[]; drop?: string[]}
  seccompProfile?: {type: string; localhostProfile?: string}
}

export interface Container {
  name: string
  image: string
  command?: string[]
  args?: string[]
  workingDir?: string
  env?: EnvVar[]
  envFrom?: {configMapRef?: {name: string}; secretRef?: {name: string}; prefix?: string}[]
  ports?: {name?: string; containerPort: number}[]
  resources?: {requests?: Record<string, string | number>; limits?: Record<string, string | number>}
  volumeMounts?: {name: string; mountPath: string; subPath?: string; readOnly?: boolean}[]
  livenessProbe?: Probe
  readinessProbe?: Probe
  startupProbe?: Probe
  lifecycle?: {postStart?: {exec?: {command?: string[]}}; preStop?: {exec?: {command?: string[]}}}
  securityContext?: SecurityContext
}

export interface KeyToPath {
  key: string
  path: string
  mode?: number
}

export interface DownwardItem {
  path: string
  fieldRef?: {fieldPath: string}
  resourceFieldRef?: ResourceFieldRef
  mode?: number
}

export interface Volume {
  name: string
  emptyDir?: {medium?: string; sizeLimit?: string}
  hostPath?: {path: string; type?: string}
  configMap?: {name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean}
  secret?: {secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean}
  downwardAPI?: {items?: DownwardItem[]; defaultMode?: number}
  projected?: {
    defaultMode?: number
    sources?: {
      configMap?: {name: string; items?: KeyToPath[]}
      secret?: {name: string; items?: KeyToPath[]}
      downwardAPI?: {items?: DownwardItem[]}
    }[]
  }
  persistentVolumeClaim?: {claimName: string; readOnly?: boolean}
}

export interface PodSpec {
  containers: Container[]
  initContainers?: Container[]
  volumes?: Volume[]
  restartPolicy?: 'Always' | 'OnFailure' | 'Never'
  terminationGracePeriodSeconds?: number
  hostNetwork?: boolean
  hostPID?: boolean
  hostIPC?: boolean
  shareProcessNamespace?: boolean
  hostname?: string
  hostAliases?: {ip: string; hostnames?: string[]}[]
  dnsConfig?: {nameservers?: string[]; searches?: string[]; options?: {name: string; value?: string}[]}
  securityContext?: SecurityContext
}
