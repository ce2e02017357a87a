/**
 * Compiles a seccomp profile into the classic-BPF program the host's C helper
 * installs verbatim with prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog).
 * The decisions are the ones runc + libseccomp make for the same profile;
 * README.md lists each rule and the few deliberate differences.
 *
 * Program shape:
 *   ld arch;  jne AUDIT_ARCH_<node>  -> ret KILL_PROCESS
 *   ld nr;    (x86_64) jge 0x40000000 -> ret <default>      x32 is refused
 *             jgt <last nr in profile> -> ret ERRNO(ENOSYS)  runc's -ENOSYS stub
 *   binary search over runs of syscall numbers sharing one decision;
 *   each leaf is `ret <action>` or the syscall's argument rules, in order.
 */
import {DEFAULT_CAPABILITIES} from '../capabilities.js'
import {Asm, BPF_JEQ_K, BPF_JGE_K, BPF_JGT_K, BPF_MAXINSNS, NEXT, encode, type Label, type Target} from './bpf.js'
import {SeccompProfileError, type SeccompAction, type SeccompArg, type SeccompFilter, type SeccompProfile, type SeccompSyscall} from './profile.js'
import {SYSCALLS_AARCH64, SYSCALLS_X86_64} from './syscalls.js'

export type SeccompArch = 'amd64' | 'arm64'

/** Docker's and containerd's default capability set, as the `CAP_…` names profile filters use. */
export const DEFAULT_CAPS: ReadonlySet<string> = new Set(DEFAULT_CAPABILITIES.map((c) => `CAP_${c}`))

// linux/seccomp.h
const RET_KILL_PROCESS = 0x80000000
const RET_KILL_THREAD = 0x00000000
const RET_TRAP = 0x00030000
const RET_ERRNO = 0x00050000
const RET_TRACE = 0x7ff00000
const RET_LOG = 0x7ffc0000
const RET_ALLOW = 0x7fff0000
const EPERM = 1
const ENOSYS = 38
const X32_SYSCALL_BIT = 0x40000000

interface ArchInfo {
  audit: number
  table: ReadonlyMap<string, number>
  /** Names a profile filter may use for this arch (Docker's GOARCH name and libseccomp's). */
  names: readonly string[]
}
const ARCHES: Record<SeccompArch, ArchInfo> = {
  amd64: {audit: 0xc000003e, table: SYSCALLS_X86_64, names: ['amd64', 'SCMP_ARCH_X86_64']},
  arm64: {audit: 0xc00000b7, table: SYSCALLS_AARCH64, names: ['arm64', 'SCMP_ARCH_AARCH64']},
}

// struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]. Little-endian words.
const OFF_NR = 0
const OFF_ARCH = 4
const argLo = (i: number): number => 16 + 8 * i
const argHi = (i: number): number => 20 + 8 * i

/** One condition, in libseccomp's terms: `(arg & mask) <op> datum` on 64 bits. */
interface Cond {
  index: number
  op: SeccompArg['op']
  mask: bigint
  datum: bigint
}
/** One rule for one syscall: conditions ANDed, and the SECCOMP_RET_* value. */
interface Rule {
  conds: Cond[]
  ret: number
}
/** What a syscall number gets: straight to a return value, or its rules in order (then the default). */
type Decision = {ret: number} | {rules: Rule[]}

/**
 * Builds the filter for `arch` and a container holding `caps` (`CAP_…` names,
 * e.g. DEFAULT_CAPS). Returns the sock_filter array, 8 bytes an instruction
 * (u16 code, u8 jt, u8 jf, u32 k, little-endian), ready for the host.
 * Pure and deterministic: the same inputs give the same bytes.
 * Throws SeccompProfileError when the program would exceed the kernel's
 * 4096 instructions.
 */
export function compileSeccomp(profile: SeccompProfile, arch: SeccompArch, caps: ReadonlySet<string>): Buffer {
  const info = ARCHES[arch]
  const def = actionValue(profile.defaultAction, profile.defaultErrnoRet)
  const rules = profile.syscalls.filter((r) => _applies(r, info, caps))

  const decisions = _decide(rules, info, def)
  const a = new Asm()
  const badArch = a.label('bad_arch')
  const ok = a.label('arch_ok')
  a.ld(OFF_ARCH)
  a.jump(BPF_JEQ_K, info.audit, ok, badArch)
  a.place(badArch)
  a.ret(RET_KILL_PROCESS)
  a.place(ok)
  a.ld(OFF_NR)
  if (arch === 'amd64') _retIf(a, BPF_JGE_K, X32_SYSCALL_BIT, def)

  // runc prepends this stub so that syscalls newer than the profile fail with
  // ENOSYS (libc then falls back to an older call) instead of EPERM. Like
  // runc: only when the default refuses, and "newest" counts every applicable
  // rule's names, whatever its action.
  const last = Math.max(-1, ...rules.flatMap((r) => r.names.map((n) => info.table.get(n) ?? -1)))
  if (last >= 0 && !_permissive(profile.defaultAction) && def !== (RET_ERRNO | ENOSYS)) _retIf(a, BPF_JGT_K, last, RET_ERRNO | ENOSYS)

  _search(a, _runs(decisions, def), def)
  const prog = a.assemble()
  if (prog.length > BPF_MAXINSNS) {
    throw new SeccompProfileError(
      `seccomp profile compiles to ${prog.length} BPF instructions on ${arch}; the kernel takes at most ${BPF_MAXINSNS} (BPF_MAXINSNS). ` +
        'Merge rules that share an action into one rule with several names, or replace many EQ rules on one argument with a MASKED_EQ or a range (GE/LE).',
    )
  }
  return encode(prog)
}

/** The SECCOMP_RET_* value of an action, as runc asks libseccomp for it. */
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return RET_ALLOW
    case 'SCMP_ACT_ERRNO':
      return (RET_ERRNO | ((errnoRet ?? EPERM) & 0xffff)) >>> 0
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return RET_KILL_THREAD
    case 'SCMP_ACT_KILL_PROCESS':
      return RET_KILL_PROCESS
    case 'SCMP_ACT_TRAP':
      return RET_TRAP
    case 'SCMP_ACT_TRACE':
      // The data is the tracer's; with no tracer the kernel fails the call with ENOSYS.
      return (RET_TRACE | ((errnoRet ?? EPERM) & 0xffff)) >>> 0
    case 'SCMP_ACT_LOG':
      return RET_LOG
  }
}

/** runc skips its ENOSYS stub for these defaults: a tracer or a logged call should see new syscalls as they are. */
function _permissive(a: SeccompAction): boolean {
  return a === 'SCMP_ACT_ALLOW' || a === 'SCMP_ACT_LOG' || a === 'SCMP_ACT_TRACE'
}

/**
 * Docker's includes/excludes (profiles/seccomp setupSeccomp): excluded when
 * the arch is listed or any listed cap is held; included only when the arch
 * is listed (if any are) and every listed cap is held. minKernel is taken as
 * met on both sides: tsctl's hosts run current kernels (≥ 5.x, far past the
 * 4.8 the default profile asks for), and a host-side kernel check would make
 * the compiled filter depend on which node it lands on.
 */
function _applies(r: SeccompSyscall, info: ArchInfo, caps: ReadonlySet<string>): boolean {
  const archIn = (f: SeccompFilter | undefined): boolean => (f?.arches ?? []).some((a) => info.names.includes(a))
  const ex = r.excludes
  if (archIn(ex) || (ex?.caps ?? []).some((c) => caps.has(c)) || ex?.minKernel !== undefined) return false
  const inc = r.includes
  if (inc?.arches?.length && !archIn(inc)) return false
  if (!(inc?.caps ?? []).every((c) => caps.has(c))) return false
  return true
}

/**
 * Per syscall number, what libseccomp's rule database ends up with when runc
 * adds the rules in profile order:
 *  - a rule whose action equals the default is dropped (runc skips it;
 *    libseccomp would refuse it);
 *  - names unknown on this arch are ignored (runc ignores what libseccomp
 *    cannot resolve);
 *  - the first rule without conditions decides the syscall alone: libseccomp
 *    drops any later rule for a syscall that already has one, and a rule
 *    without conditions replaces the conditional ones before it;
 *  - otherwise the conditional rules are kept in order, first match wins;
 *  - a rule naming one argument twice is split into one rule per condition
 *    (ORed), as runc does because libseccomp takes one comparison per argument.
 */
function _decide(rules: readonly SeccompSyscall[], info: ArchInfo, def: number): Map<number, Decision> {
  const out = new Map<number, Decision>()
  for (const r of rules) {
    const ret = actionValue(r.action, r.errnoRet)
    if (ret === def) continue
    const sets = _conditionSets(r.args ?? [])
    for (const name of r.names) {
      const nr = info.table.get(name)
      if (nr === undefined) continue
      const have = out.get(nr)
      if (have && 'ret' in have) continue
      if (sets.length === 0) out.set(nr, {ret})
      else out.set(nr, {rules: [...(have?.rules ?? []), ...sets.map((conds) => ({conds, ret}))]})
    }
  }
  return out
}

function _conditionSets(args: readonly SeccompArg[]): Cond[][] {
  if (args.length === 0) return []
  const conds = args.map(_cond)
  const repeated = new Set(conds.map((c) => c.index)).size !== conds.length
  return repeated ? conds.map((c) => [c]) : [conds]
}

function _cond(a: SeccompArg): Cond {
  const value = BigInt(a.value)
  if (a.op === 'SCMP_CMP_MASKED_EQ') {
    // libseccomp masks the datum too, so bits outside the mask never make the rule unmatchable.
    return {index: a.index, op: a.op, mask: value, datum: BigInt(a.valueTwo ?? 0) & value}
  }
  return {index: a.index, op: a.op, mask: (1n << 64n) - 1n, datum: value}
}

/** Runs of consecutive syscall numbers with the same decision, covering 0 … 2^32-1. */
interface Run {
  first: number
  decision: Decision
}
function _runs(decisions: Map<number, Decision>, def: number): Run[] {
  const key = (d: Decision): string => JSON.stringify(d, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
  const none: Decision = {ret: def}
  const runs: {first: number; decision: Decision; key: string}[] = []
  const start = (first: number, decision: Decision): void => {
    const k = key(decision)
    if (runs.length && runs[runs.length - 1].key === k) return
    if (runs.length && runs[runs.length - 1].first === first) runs.pop() // an empty run: the new one starts at once
    runs.push({first, decision, key: k})
  }
  start(0, none)
  let prev = -1
  for (const nr of [...decisions.keys()].sort((x, y) => x - y)) {
    if (nr > prev + 1) start(prev + 1, none) // unlisted numbers between get the default
    start(nr, decisions.get(nr)!)
    prev = nr
  }
  start(prev + 1, none)
  return runs.map(({first, decision}) => ({first, decision}))
}

/** A balanced binary search on the run starts; A holds nr throughout, and every leaf ends in ret. */
function _search(a: Asm, runs: readonly Run[], def: number): void {
  if (runs.length === 1) return _leaf(a, runs[0].decision, def)
  const mid = runs.length >> 1
  const high = a.label(`nr_ge_${runs[mid].first}`)
  a.jump(BPF_JGE_K, runs[mid].first, high, NEXT)
  _search(a, runs.slice(0, mid), def)
  a.place(high)
  _search(a, runs.slice(mid), def)
}

function _leaf(a: Asm, d: Decision, def: number): void {
  if ('ret' in d) return a.ret(d.ret)
  for (const rule of d.rules) {
    const miss = a.label('rule_miss')
    for (const c of rule.conds) _emitCond(a, c, miss)
    a.ret(rule.ret)
    a.place(miss)
  }
  a.ret(def)
}

function _retIf(a: Asm, op: typeof BPF_JGE_K | typeof BPF_JGT_K, k: number, ret: number): void {
  const hit = a.label('ret_if')
  const go = a.label('go_on')
  a.jump(op, k, hit, go)
  a.place(hit)
  a.ret(ret)
  a.place(go)
}

/**
 * Falls through when the 64-bit condition holds, jumps to `miss` when not.
 * The high word decides unless it is equal, as libseccomp's hi/lo chains do;
 * NE, LT and LE are the negations of EQ, GE and GT.
 */
function _emitCond(a: Asm, c: Cond, miss: Label): void {
  const hi = Number(c.datum >> 32n)
  const lo = Number(c.datum & 0xffffffffn)
  const mhi = Number(c.mask >> 32n)
  const mlo = Number(c.mask & 0xffffffffn)
  const hold = a.label('cond_ok')
  // match → `yes`, no match → `no`; for negated ops the two swap.
  const negated = c.op === 'SCMP_CMP_NE' || c.op === 'SCMP_CMP_LT' || c.op === 'SCMP_CMP_LE'
  const yes: Target = negated ? miss : hold
  const no: Target = negated ? hold : miss
  switch (c.op) {
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE':
    case 'SCMP_CMP_MASKED_EQ': {
      const words: [number, number, number][] = [[argHi(c.index), mhi, hi], [argLo(c.index), mlo, lo]]
      // A word the mask clears always compares equal (0 == 0), so libseccomp emits nothing for it.
      const live = words.filter(([, m]) => m !== 0)
      if (live.length === 0) {
        if (negated) a.ja(miss)
        break
      }
      live.forEach(([off, m, d], i) => {
        a.ld(off)
        if (m !== 0xffffffff) a.and(m)
        a.jump(BPF_JEQ_K, d, i === live.length - 1 ? yes : NEXT, no)
      })
      break
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      const strict = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_LE' // GT, and LE = not GT
      a.ld(argHi(c.index))
      a.jump(BPF_JGT_K, hi, yes, NEXT)
      a.jump(BPF_JEQ_K, hi, NEXT, no)
      a.ld(argLo(c.index))
      a.jump(strict ? BPF_JGT_K : BPF_JGE_K, lo, yes, no)
      break
    }
  }
  a.place(hold)
}
