import {type Diagnostic, ExitCode, UserError} from '../errors.js'
import type {KubeObject} from '../manifests/object.js'

/**
 * How to reach a Node over SSH: `spec.ssh` of a Node manifest. Every field is
 * optional; what is not given comes from the user's ~/.ssh/config and ssh's
 * defaults, exactly as for `ssh ADDRESS`.
 */
export interface NodeSshSpec {
  /** login user (ssh -l); default: ssh_config's User, else the local user */
  user?: string
  /** default: ssh_config's Port, else 22 */
  port?: number
  /** a private key (ssh -i, with IdentitiesOnly); default: agent and ssh_config */
  identityFile?: string
  /** bastion(s), as ssh -J takes them: `[user@]host[:port][,…]` */
  proxyJump?: string
  /**
   * The host's public key(s), as in known_hosts without the host name
   * (`ssh-ed25519 AAAA…`). When set, only these keys are accepted and the
   * user's known_hosts is not consulted.
   */
  hostKey?: string | string[]
}

/** A Node as the SSH transport needs it. */
export interface SshTarget {
  /** metadata.name, for messages */
  node: string
  /** spec.address: a host name, an IP address, or an ssh_config Host alias */
  address: string
  ssh?: NodeSshSpec
}

// Values reach ssh's argv (never a shell), but ssh re-parses some of them:
// ProxyJump becomes a command line run by /bin/sh, and a leading `-` would
// read as an option. So each field admits only what it can mean.
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[?[0-9A-Fa-f:.]+\]?)$/
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/
const JUMP = /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*@)?(?:[A-Za-z0-9_][A-Za-z0-9_.-]*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/
const KEY = /^(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com|ssh-ed25519-cert-v01@openssh\.com) [A-Za-z0-9+/]+={0,2}(?: [^\n\r]*)?$/

/**
 * Checks a Node's address and spec.ssh before any of it reaches ssh.
 * Returns every problem (field paths relative to the Node); the manifests
 * validator can report them with file positions.
 */
export function sshTargetDiagnostics(t: SshTarget): Diagnostic[] {
  const object = `Node/${t.node}`
  const out: Diagnostic[] = []
  const bad = (field: string, message: string, hint?: string) => out.push({severity: 'error', object, field, message, hint})
  if (!HOST.test(t.address)) bad('spec.address', `not a host name or IP address: ${JSON.stringify(t.address)}`, 'use a DNS name, an IPv4/IPv6 address, or an ssh_config Host alias')
  const s = t.ssh ?? {}
  if (s.user !== undefined && !USER.test(s.user)) bad('spec.ssh.user', `not a user name: ${JSON.stringify(s.user)}`)
  if (s.port !== undefined && !(Number.isInteger(s.port) && s.port >= 1 && s.port <= 65535)) bad('spec.ssh.port', `not a port: ${s.port}`, '1..65535')
  if (s.identityFile !== undefined && (!s.identityFile || /[\0\n\r]/.test(s.identityFile) || s.identityFile.startsWith('-'))) {
    bad('spec.ssh.identityFile', `not a usable path: ${JSON.stringify(s.identityFile)}`)
  }
  if (s.proxyJump !== undefined && !s.proxyJump.split(',').every((j) => JUMP.test(j))) {
    bad('spec.ssh.proxyJump', `not a jump host list: ${JSON.stringify(s.proxyJump)}`, 'write [user@]host[:port], several separated by commas')
  }
  if (s.hostKey !== undefined) {
    const keys = Array.isArray(s.hostKey) ? s.hostKey : [s.hostKey]
    if (keys.length === 0) bad('spec.ssh.hostKey', 'empty list of host keys')
    keys.forEach((k, i) => {
      if (typeof k !== 'string' || !KEY.test(k.trim())) {
        bad(Array.isArray(s.hostKey) ? `spec.ssh.hostKey[${i}]` : 'spec.ssh.hostKey', 'not a public key line', 'paste the "TYPE BASE64" part of ssh-keyscan\'s output, e.g. "ssh-ed25519 AAAAC3…"')
      }
    })
  }
  return out
}

/** Throws UserError (exit 2) listing every problem sshTargetDiagnostics finds. */
export function checkSshTarget(t: SshTarget): void {
  const d = sshTargetDiagnostics(t)
  if (d.length) throw new UserError(`Node/${t.node}: invalid SSH settings`, ExitCode.invalid, d)
}

/**
 * The SSH target of a Node manifest: metadata.name, spec.address and
 * spec.ssh, checked (UserError, exit 2, on a bad field). The schema validates
 * shapes first; this only picks the fields and checks what ssh would misread.
 * A Node with `address: local` takes the local transport: do not call this for it.
 */
export function sshTargetOf(node: KubeObject): SshTarget {
  const spec = (node.spec ?? {}) as {address?: unknown; ssh?: NodeSshSpec}
  if (typeof spec.address !== 'string') {
    throw new UserError(`Node/${node.metadata.name}: spec.address is required`, ExitCode.invalid, [
      {severity: 'error', object: `Node/${node.metadata.name}`, field: 'spec.address', message: 'required: the host name or IP address to reach it by SSH'},
    ])
  }
  const t: SshTarget = {node: node.metadata.name, address: spec.address, ...(spec.ssh ? {ssh: spec.ssh} : {})}
  checkSshTarget(t)
  return t
}
