#!/usr/bin/env node
// Generates src/host/bundle/seccomp/syscalls.ts: the syscall name → number
// tables the seccomp compiler needs, read from this machine's Linux UAPI
// headers (package linux-libc-dev), so the numbers are the kernel's own and
// not a copy of someone's list.
//
//   x86_64   /usr/include/x86_64-linux-gnu/asm/unistd_64.h (plain #defines)
//   aarch64  /usr/include/asm-generic/unistd.h, the generic table arm64 uses,
//            run through a tiny preprocessor with arm64's __ARCH_WANT_* set
//            (read from /usr/aarch64-linux-gnu/include/asm/unistd.h when the
//            arm64 cross headers are installed, else arm64's known list)
//   names    i386 (unistd_32.h) and x32 (unistd_x32.h) names, used only to
//            tell "unknown on this arch" (ignored, as libseccomp does) from
//            "unknown on every arch" (a typo, reported)
//
// Usage: node scripts/gen-syscalls.mjs            write the file
//        node scripts/gen-syscalls.mjs --check    exit 1 when it is stale
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

const root = new URL('..', import.meta.url).pathname
const out = join(root, 'src', 'host', 'bundle', 'seccomp', 'syscalls.ts')
const inc = process.env.TSCTL_UAPI_INCLUDE ?? '/usr/include'
const X86_64_H = join(inc, 'x86_64-linux-gnu/asm/unistd_64.h')
const I386_H = join(inc, 'x86_64-linux-gnu/asm/unistd_32.h')
const X32_H = join(inc, 'x86_64-linux-gnu/asm/unistd_x32.h')
const GENERIC_H = join(inc, 'asm-generic/unistd.h')
const ARM64_ASM_H = '/usr/aarch64-linux-gnu/include/asm/unistd.h'
// arch/arm64/include/uapi/asm/unistd.h as of Linux 6.1, for machines without the cross headers.
const ARM64_WANTS = ['__ARCH_WANT_RENAMEAT', '__ARCH_WANT_NEW_STAT', '__ARCH_WANT_SET_GET_RLIMIT', '__ARCH_WANT_TIME32_SYSCALLS', '__ARCH_WANT_SYS_CLONE3', '__ARCH_WANT_MEMFD_SECRET']

// Names that are real syscalls but appear in none of the tables above: other
// architectures' own calls (Docker's default profile lists several) and calls
// newer than these headers. A profile may name them; they are ignored on
// amd64/arm64 exactly like a name libseccomp does not know for the arch.
const ELSEWHERE = [
  // arm (32-bit), also m68k, parisc…: recv and send are calls of their own there
  'recv', 'send', 'arm_fadvise64_64', 'arm_sync_file_range', 'breakpoint', 'cacheflush', 'set_tls', 'usr26', 'usr32', 'sync_file_range2',
  // powerpc
  'swapcontext', 'switch_endian', 'subpage_prot', 'spu_create', 'spu_run', 'sys_debug_setcontext', 'rtas', 'multiplexer',
  // s390
  's390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr', 's390_guarded_storage', 's390_sthyi',
  // riscv, mips
  'riscv_flush_icache', 'riscv_hwprobe', 'sysmips', 'cachectl',
  // added to Linux after 6.1 (numbers shared by x86_64 and the generic table)
  'cachestat', 'fchmodat2', 'map_shadow_stack', 'futex_wake', 'futex_wait', 'futex_requeue', 'statmount', 'listmount',
  'lsm_get_self_attr', 'lsm_set_self_attr', 'lsm_list_modules', 'mseal', 'setxattrat', 'getxattrat', 'listxattrat',
  'removexattrat', 'open_tree_attr', 'file_getattr', 'file_setattr', 'uretprobe',
]

function need(path) {
  if (!existsSync(path)) {
    console.error(`gen-syscalls: ${path} is missing; install linux-libc-dev (apt-get install linux-libc-dev)`)
    process.exit(1)
  }
  return readFileSync(path, 'utf8')
}

/** `#define __NR_read 0` lines; x32's `(__X32_SYSCALL_BIT + 0)` counts as its offset. */
function plainTable(text) {
  const m = new Map()
  for (const [, name, num] of text.matchAll(/^#define __NR_(\w+)\s+\(?(?:__X32_SYSCALL_BIT\s*\+\s*)?(\d+)\)?\s*$/gm)) m.set(name, Number(num))
  return m
}

/**
 * Just enough of the C preprocessor for asm-generic/unistd.h: #define/#undef
 * of object-like macros, #ifdef/#ifndef/#if/#else/#endif, and #if
 * expressions of defined(), !, ==, !=, &&, || and integers.
 */
function preprocess(text, predefined) {
  const macros = new Map(Object.entries(predefined))
  const stack = [] // each: {taking, taken} — taken: some branch of this #if already ran
  const live = () => stack.every((s) => s.taking)
  const value = (tok) => {
    let v = tok
    for (let i = 0; i < 20 && macros.has(v); i++) v = macros.get(v).replace(/[()\s]/g, '')
    return /^\d+$/.test(v) ? Number(v) : 0
  }
  const evaluate = (expr) => {
    const toks = expr.replace(/defined\s*\(\s*(\w+)\s*\)/g, (_, n) => (macros.has(n) ? '1' : '0')).match(/\d+|\w+|==|!=|&&|\|\||[()!]/g) ?? []
    let i = 0
    const primary = () => {
      const t = toks[i++]
      if (t === '(') { const v = or(); i++; return v }
      if (t === '!') return primary() ? 0 : 1
      return /^\d+$/.test(t) ? Number(t) : value(t)
    }
    const eq = () => { let v = primary(); while (toks[i] === '==' || toks[i] === '!=') { const op = toks[i++]; const r = primary(); v = op === '==' ? +(v === r) : +(v !== r) } return v }
    const and = () => { let v = eq(); while (toks[i] === '&&') { i++; const r = eq(); v = +(v && r) } return v }
    const or = () => { let v = and(); while (toks[i] === '||') { i++; const r = and(); v = +(v || r) } return v }
    return or() !== 0
  }
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    let m
    if ((m = line.match(/^#\s*ifdef\s+(\w+)/))) { const t = live() && macros.has(m[1]); stack.push({taking: t, taken: t}) }
    else if ((m = line.match(/^#\s*ifndef\s+(\w+)/))) { const t = live() && !macros.has(m[1]); stack.push({taking: t, taken: t}) }
    else if ((m = line.match(/^#\s*if\s+(.*)/))) { const t = live() && evaluate(m[1]); stack.push({taking: t, taken: t}) }
    else if (/^#\s*else/.test(line)) { const s = stack.pop(); const t = live() && !s.taken; stack.push({taking: t, taken: true}) }
    else if (/^#\s*endif/.test(line)) stack.pop()
    else if (!live()) continue
    else if ((m = line.match(/^#\s*define\s+(\w+)(\s+(.*))?$/)) && !/^#\s*define\s+\w+\(/.test(line)) macros.set(m[1], (m[3] ?? '').replace(/\/\*.*\*\//, '').trim())
    else if ((m = line.match(/^#\s*undef\s+(\w+)/))) macros.delete(m[1])
  }
  const table = new Map()
  for (const name of macros.keys()) {
    if (!name.startsWith('__NR_') || name.startsWith('__NR3264_')) continue
    const n = name.slice(5)
    if (n === 'syscalls' || n === 'arch_specific_syscall') continue // bounds, not calls
    table.set(n, value(name))
  }
  return table
}

const x86_64 = plainTable(need(X86_64_H))
const arm64Wants = existsSync(ARM64_ASM_H) ? [...readFileSync(ARM64_ASM_H, 'utf8').matchAll(/^#define (__ARCH_WANT_\w+)/gm)].map((m) => m[1]) : ARM64_WANTS
const aarch64 = preprocess(need(GENERIC_H), {__BITS_PER_LONG: '64', ...Object.fromEntries(arm64Wants.map((w) => [w, '1']))})
const elsewhere = new Set([...plainTable(need(I386_H)).keys(), ...plainTable(need(X32_H)).keys(), ...ELSEWHERE])
for (const n of [...x86_64.keys(), ...aarch64.keys()]) elsewhere.delete(n)

const version = (readFileSync(join(inc, 'linux/version.h'), 'utf8').match(/LINUX_VERSION_MAJOR (\d+)[\s\S]*PATCHLEVEL (\d+)[\s\S]*SUBLEVEL (\d+)/) ?? []).slice(1).join('.') || 'unknown'

function table(name, doc, m) {
  const rows = [...m].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `['${k}', ${v}]`)
  const lines = []
  for (let i = 0; i < rows.length; i += 6) lines.push('  ' + rows.slice(i, i + 6).join(', ') + ',')
  return `/** ${doc} */\nexport const ${name}: ReadonlyMap<string, number> = new Map([\n${lines.join('\n')}\n])\n`
}
function names(name, doc, s) {
  const sorted = [...s].sort()
  const lines = []
  for (let i = 0; i < sorted.length; i += 8) lines.push('  ' + sorted.slice(i, i + 8).map((n) => `'${n}'`).join(', ') + ',')
  return `/** ${doc} */\nexport const ${name}: ReadonlySet<string> = new Set([\n${lines.join('\n')}\n])\n`
}

const text = `// GENERATED by scripts/gen-syscalls.mjs — do not edit; run \`node scripts/gen-syscalls.mjs\`.
// From the Linux ${version} UAPI headers (linux-libc-dev):
//   x86_64   ${X86_64_H}
//   aarch64  ${GENERIC_H} with __BITS_PER_LONG=64 and ${arm64Wants.join(', ')}
//   elsewhere ${I386_H}, ${X32_H}, and the generator's list of other arches' and post-${version} calls

${table('SYSCALLS_X86_64', `x86_64 syscall numbers (${x86_64.size} calls).`, x86_64)}
${table('SYSCALLS_AARCH64', `aarch64 syscall numbers, the asm-generic table (${aarch64.size} calls).`, aarch64)}
${names('SYSCALLS_ELSEWHERE', 'Real syscall names that are in neither table above (other architectures, or newer than these headers).', elsewhere)}`

if (process.argv.includes('--check')) {
  const old = existsSync(out) ? readFileSync(out, 'utf8') : ''
  if (old !== text) {
    console.error(`gen-syscalls: ${out} is stale; run node scripts/gen-syscalls.mjs`)
    process.exit(1)
  }
} else {
  writeFileSync(out, text)
  console.log(`gen-syscalls: wrote ${out} (x86_64 ${x86_64.size}, aarch64 ${aarch64.size}, elsewhere ${elsewhere.size})`)
}
