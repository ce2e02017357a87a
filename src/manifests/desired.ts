import type {Diagnostic} from '../errors.js'
import type {KubeObject, ObjectSource} from './object.js'
import type {RegistryConfig} from './config-registries.js'
import type {NetworkConfig} from '../net/config.js'

/** The commit a pass reads; recorded on every ReplicaSet/revision it creates. */
export interface CommitInfo {
  sha: string
  subject: string
  author: string
  /** ISO 8601, the committer date */
  date: string
}

export interface DesiredObject {
  /** validated and defaulted (Kubernetes defaults applied), namespace always set for namespaced kinds */
  object: KubeObject
  source: ObjectSource
}

/**
 * What a commit asks for: the output of load → validate, the input of
 * reconcile. Objects are sorted by key so the order of files and documents
 * never changes anything downstream.
 */
export interface Desired {
  commit: CommitInfo
  objects: DesiredObject[]
  /** skipped kinds, accepted-but-not-honoured fields, LoadBalancer served as NodePort, … */
  warnings: Diagnostic[]
  /** `registries:` of tsctl.yaml (CA files read); absent when it has none */
  registries?: Record<string, RegistryConfig>
  /** `network:` of tsctl.yaml, resolved; absent = no pod network (docs/networking.md) */
  network?: NetworkConfig
}
