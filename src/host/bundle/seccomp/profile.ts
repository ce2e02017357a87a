/**
 * The seccomp profile shape (Docker's `profiles/seccomp` JSON, which is the
 * OCI `linux.seccomp` shape plus Docker's includes/excludes), and the parser
 * for a user's `Localhost` profile. The compiler (compile.ts) takes a
 * `SeccompProfile`; the RuntimeDefault one is default-profile.ts.
 */
import {CAPABILITIES} from '../capabilities.js'
import {SYSCALLS_AARCH64, SYSCALLS_ELSEWHERE, SYSCALLS_X86_64} from './syscalls.js'

export const ACTIONS = [
  'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG',
] as const
export type SeccompAction = (typeof ACTIONS)[number]

export const OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const
export type SeccompOperator = (typeof OPERATORS)[number]

/**
 * One comparison of a syscall argument, on all 64 bits. For MASKED_EQ `value`
 * is the mask and `valueTwo` the expected result (`(arg & value) == valueTwo`),
 * as in libseccomp's SCMP_CMP_MASKED_EQ; the other operators ignore valueTwo.
 * Values above 2^53 are bigints (parseProfile reads them exactly).
 */
export interface SeccompArg {
  index: number
  value: number | bigint
  valueTwo?: number | bigint
  op: SeccompOperator
}

/** Docker's rule filter. caps are `CAP_…` names; arches Docker's names (amd64, arm64, x32, …, or SCMP_ARCH_…). */
export interface SeccompFilter {
  caps?: readonly string[]
  arches?: readonly string[]
  minKernel?: string
}

export interface SeccompSyscall {
  names: readonly string[]
  action: SeccompAction
  /** errno for SCMP_ACT_ERRNO (EPERM when absent, as the OCI spec says), or the tracer's data for SCMP_ACT_TRACE. */
  errnoRet?: number
  /** ANDed; one rule per syscall and condition set. */
  args?: readonly SeccompArg[]
  /** The rule applies only when all of these hold: every cap held, the arch listed. */
  includes?: SeccompFilter
  /** The rule is dropped when any of these holds: a listed cap held, the arch listed. */
  excludes?: SeccompFilter
  comment?: string
}

export interface SeccompProfile {
  defaultAction: SeccompAction
  defaultErrnoRet?: number
  syscalls: readonly SeccompSyscall[]
}

/** A profile that cannot be used, or does not compile; the message names the file and field and says what to do. */
export class SeccompProfileError extends Error {
  constructor(message: string, readonly problems: readonly string[] = [message]) {
    super(message)
    this.name = 'SeccompProfileError'
  }
}

/** Docker's arch names a filter may use; only amd64/arm64 (and their SCMP_ARCH_ names) ever match on tsctl's hosts. */
export const ARCH_NAMES: ReadonlySet<string> = new Set([
  '386', 'amd64', 'arm', 'arm64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64n32', 'mips64p32', 'mips64p32le', 'mipsel64',
  'mipsel64n32', 'ppc', 'ppc64', 'ppc64le', 'riscv64', 's390', 's390x', 'loong64', 'x32', 'x86',
  ...['X86', 'X86_64', 'X32', 'ARM', 'AARCH64', 'MIPS', 'MIPS64', 'MIPS64N32', 'MIPSEL', 'MIPSEL64', 'MIPSEL64N32', 'PPC', 'PPC64',
    'PPC64LE', 'S390', 'S390X', 'PARISC', 'PARISC64', 'RISCV64', 'LOONGARCH64', 'M68K', 'SH', 'SHEB'].map((a) => `SCMP_ARCH_${a}`),
])

/** True when some Linux architecture has a syscall of that name. */
export function isKnownSyscall(name: string): boolean {
  return SYSCALLS_X86_64.has(name) || SYSCALLS_AARCH64.has(name) || SYSCALLS_ELSEWHERE.has(name)
}

const U64_MAX = (1n << 64n) - 1n
// A marker the number pre-pass puts around integers too big for a double, so
// the validator can turn them into exact bigints; it cannot occur in JSON text.
const BIG = '\u0000big:'

/**
 * Reads and checks a user's seccomp profile (Docker/OCI JSON, what
 * `seccompProfile: {type: Localhost, localhostProfile: …}` points at).
 * Reports every problem at once, each as `file: field: what; what to do`.
 *
 * Accepted as Docker does: `name` (legacy, one syscall) or `names`;
 * `architectures` and `archMap` are ignored, because the filter is compiled
 * for the node's own arch and a compat arch (i386, arm32, x32) is refused
 * outright (see README.md). A syscall name no arch knows is an error (a typo
 * would silently do nothing); a name only some arches know is kept and
 * ignored where unknown, as libseccomp ignores it.
 */
export function parseProfile(json: string, file: string): SeccompProfile {
  let raw: unknown
  try {
    raw = JSON.parse(_bigIntegersAsMarkers(json))
  } catch (e) {
    throw new SeccompProfileError(`${file}: not valid JSON: ${e instanceof Error ? e.message : String(e)}; a seccomp profile is a JSON object like {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [...]}`)
  }
  const problems: string[] = []
  const bad = (field: string, msg: string): void => void problems.push(`${file}: ${field}: ${msg}`)
  if (!_isObject(raw)) throw new SeccompProfileError(`${file}: the profile must be a JSON object with defaultAction and syscalls`)

  _unknownFields(raw, ['defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls', 'flags', 'listenerPath', 'listenerMetadata'], '', bad)
  for (const f of ['flags', 'listenerPath', 'listenerMetadata']) {
    if (raw[f] !== undefined && !(Array.isArray(raw[f]) && raw[f].length === 0) && raw[f] !== '') {
      bad(f, `not supported: the host installs the filter with prctl(PR_SET_SECCOMP), which takes no flags and has no notify listener; remove ${f}`)
    }
  }
  const defaultAction = _action(raw.defaultAction, 'defaultAction', bad)
  const defaultErrnoRet = _errno(raw.defaultErrnoRet, 'defaultErrnoRet', defaultAction, bad)
  if (raw.architectures !== undefined && !(Array.isArray(raw.architectures) && raw.architectures.every((a) => typeof a === 'string'))) {
    bad('architectures', 'must be a list of names like "SCMP_ARCH_X86_64" (it is ignored: the filter is always built for the node\'s arch)')
  }

  const syscalls: SeccompSyscall[] = []
  if (raw.syscalls !== undefined && !Array.isArray(raw.syscalls)) bad('syscalls', 'must be a list of rules like {"names": ["read"], "action": "SCMP_ACT_ALLOW"}')
  const list: unknown[] = Array.isArray(raw.syscalls) ? raw.syscalls : []
  list.forEach((r, i) => {
    const at = `syscalls[${i}]`
    if (!_isObject(r)) return bad(at, 'must be an object like {"names": ["read"], "action": "SCMP_ACT_ALLOW"}')
    _unknownFields(r, ['names', 'name', 'action', 'errnoRet', 'args', 'includes', 'excludes', 'comment'], at + '.', bad)
    const names = _names(r, at, bad)
    const action = _action(r.action, `${at}.action`, bad)
    const errnoRet = _errno(r.errnoRet, `${at}.errnoRet`, action, bad)
    const args = _args(r.args, `${at}.args`, bad)
    const includes = _filter(r.includes, `${at}.includes`, bad)
    const excludes = _filter(r.excludes, `${at}.excludes`, bad)
    if (r.comment !== undefined && typeof r.comment !== 'string') bad(`${at}.comment`, 'must be a string')
    if (!names || !action) return
    const rule: SeccompSyscall = {names, action}
    if (errnoRet !== undefined) rule.errnoRet = errnoRet
    if (args?.length) rule.args = args
    if (includes) rule.includes = includes
    if (excludes) rule.excludes = excludes
    if (typeof r.comment === 'string') rule.comment = r.comment
    syscalls.push(rule)
  })

  if (problems.length || !defaultAction) {
    throw new SeccompProfileError(problems.join('\n') || `${file}: defaultAction: required`, problems)
  }
  const profile: SeccompProfile = {defaultAction, syscalls}
  if (defaultErrnoRet !== undefined) profile.defaultErrnoRet = defaultErrnoRet
  return profile
}

type Bad = (field: string, msg: string) => void

function _isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Integers a double cannot hold exactly (masks like 0xffffffffffffffff) become marked strings; the rest of the text is untouched. */
function _bigIntegersAsMarkers(json: string): string {
  return json.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (tok) =>
    /^-?\d+$/.test(tok) && !Number.isSafeInteger(Number(tok)) ? JSON.stringify(BIG + tok) : tok,
  )
}

function _unknownFields(o: Record<string, unknown>, known: readonly string[], at: string, bad: Bad): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) bad(at + k, `unknown field; the fields here are ${known.join(', ')}`)
  }
}

function _action(v: unknown, field: string, bad: Bad): SeccompAction | undefined {
  if (typeof v === 'string' && (ACTIONS as readonly string[]).includes(v)) return v as SeccompAction
  if (v === undefined) bad(field, `required; use one of ${ACTIONS.join(', ')}`)
  else if (v === 'SCMP_ACT_NOTIFY') bad(field, 'SCMP_ACT_NOTIFY needs a seccomp agent listening on a socket, which tsctl does not run; use SCMP_ACT_ERRNO or SCMP_ACT_TRACE')
  else bad(field, `unknown action ${JSON.stringify(v)}; use ${ACTIONS.join(', ')}`)
  return undefined
}

function _errno(v: unknown, field: string, action: SeccompAction | undefined, bad: Bad): number | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 4095) {
    bad(field, `must be an errno number from 0 to 4095 (the kernel caps errno at 4095), e.g. 1 for EPERM or 38 for ENOSYS`)
    return undefined
  }
  // The OCI runtime spec: an errno given with an action that takes none MUST fail.
  if (action && action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') {
    bad(field, `${action} takes no errno; remove it, or use SCMP_ACT_ERRNO`)
    return undefined
  }
  return v
}

function _names(r: Record<string, unknown>, at: string, bad: Bad): string[] | undefined {
  if (r.name !== undefined && r.names !== undefined) {
    bad(at, 'both name and names are set; use names (name is the legacy one-syscall form)')
    return undefined
  }
  const field = r.name !== undefined ? `${at}.name` : `${at}.names`
  const list: unknown[] | undefined = r.name !== undefined ? [r.name] : Array.isArray(r.names) ? r.names : undefined
  if (!list || list.length === 0) {
    bad(field, r.names === undefined && r.name === undefined ? 'required: the syscalls this rule is for, e.g. "names": ["read", "write"]' : 'must be a non-empty list of syscall names, e.g. ["read", "write"]')
    return undefined
  }
  let ok = true
  list.forEach((n, j) => {
    const f = r.name !== undefined ? field : `${field}[${j}]`
    if (typeof n !== 'string' || n === '') {
      ok = false
      bad(f, 'must be a syscall name (a string such as "read")')
    } else if (!isKnownSyscall(n)) {
      ok = false
      bad(f, `unknown syscall ${JSON.stringify(n)}: no Linux architecture has a syscall of that name; check the spelling against syscalls(2) (names have no sys_ prefix)`)
    }
  })
  return ok ? (list as string[]) : undefined
}

function _u64(v: unknown, field: string, bad: Bad): number | bigint | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v
  if (typeof v === 'string' && v.startsWith(BIG)) {
    const b = BigInt(v.slice(BIG.length))
    if (b >= 0n && b <= U64_MAX) return b
  }
  bad(field, 'must be an unsigned 64-bit integer (0 to 18446744073709551615) written as a JSON number')
  return undefined
}

function _args(v: unknown, field: string, bad: Bad): SeccompArg[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v)) {
    bad(field, 'must be a list like [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]')
    return undefined
  }
  const out: SeccompArg[] = []
  v.forEach((a: unknown, k) => {
    const at = `${field}[${k}]`
    if (!_isObject(a)) return bad(at, 'must be an object like {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}')
    _unknownFields(a, ['index', 'value', 'valueTwo', 'op'], at + '.', bad)
    const index = a.index
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) bad(`${at}.index`, 'must be the argument number, 0 to 5')
    const value = _u64(a.value ?? 0, `${at}.value`, bad)
    const valueTwo = a.valueTwo === undefined ? undefined : _u64(a.valueTwo, `${at}.valueTwo`, bad)
    const op = a.op
    if (typeof op !== 'string' || !(OPERATORS as readonly string[]).includes(op)) {
      bad(`${at}.op`, `${op === undefined ? 'required' : `unknown operator ${JSON.stringify(op)}`}; use ${OPERATORS.join(', ')}`)
      return
    }
    if (typeof index !== 'number' || value === undefined) return
    const arg: SeccompArg = {index, value, op: op as SeccompOperator}
    if (valueTwo !== undefined) arg.valueTwo = valueTwo
    out.push(arg)
  })
  return out
}

function _filter(v: unknown, field: string, bad: Bad): SeccompFilter | undefined {
  if (v === undefined || v === null) return undefined
  if (!_isObject(v)) {
    bad(field, 'must be an object like {"caps": ["CAP_SYS_ADMIN"], "arches": ["amd64"]}')
    return undefined
  }
  _unknownFields(v, ['caps', 'arches', 'minKernel'], field + '.', bad)
  const out: SeccompFilter = {}
  const strings = (x: unknown, f: string, check: (s: string) => string | undefined): string[] | undefined => {
    if (x === undefined || x === null) return undefined
    if (!Array.isArray(x)) return void bad(f, 'must be a list of strings')
    let ok = true
    x.forEach((s: unknown, j) => {
      const why = typeof s === 'string' ? check(s) : 'must be a string'
      if (why) {
        ok = false
        bad(`${f}[${j}]`, why)
      }
    })
    return ok ? (x as string[]) : undefined
  }
  const caps = strings(v.caps, `${field}.caps`, (s) =>
    s.startsWith('CAP_') && CAPABILITIES.has(s.slice(4)) ? undefined : `unknown capability ${JSON.stringify(s)}; write it as Docker does, e.g. "CAP_SYS_ADMIN"`,
  )
  const arches = strings(v.arches, `${field}.arches`, (s) =>
    ARCH_NAMES.has(s) ? undefined : `unknown architecture ${JSON.stringify(s)}; use Docker's names, e.g. "amd64", "arm64" or "SCMP_ARCH_X86_64"`,
  )
  if (caps?.length) out.caps = caps
  if (arches?.length) out.arches = arches
  if (v.minKernel !== undefined) {
    if (typeof v.minKernel === 'string' && /^\d+\.\d+(\.\d+)?$/.test(v.minKernel)) out.minKernel = v.minKernel
    else bad(`${field}.minKernel`, 'must be a kernel version like "4.8"')
  }
  return out
}
