// The seccomp compiler (src/host/bundle/seccomp/): the bytes it emits are run
// here through a small classic-BPF interpreter over a seccomp_data, and the
// decisions are the ones runc + libseccomp give the same profile.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {compileSeccomp, DEFAULT_CAPS, type SeccompArch} from '../../../src/host/bundle/seccomp/compile.js'
import {DEFAULT_PROFILE} from '../../../src/host/bundle/seccomp/default-profile.js'
import {parseProfile, isKnownSyscall, SeccompProfileError, type SeccompProfile} from '../../../src/host/bundle/seccomp/profile.js'
import {SYSCALLS_AARCH64, SYSCALLS_X86_64} from '../../../src/host/bundle/seccomp/syscalls.js'

const AUDIT = {amd64: 0xc000003e, arm64: 0xc00000b7} as const
const ALLOW = 0x7fff0000
const KILL_PROCESS = 0x80000000
const errno = (e: number): number => 0x00050000 | e
const EPERM = errno(1)
const ENOSYS = errno(38)

/** Checks what the kernel's seccomp_check_filter/bpf_check_classic check, then runs the program on one seccomp_data. */
function run(prog: Buffer, data: {nr: number; arch: number; args?: readonly bigint[]}): number {
  const n = prog.length / 8
  assert.ok(n > 0 && n <= 4096 && prog.length % 8 === 0, 'program size')
  const mem = Buffer.alloc(64)
  mem.writeUInt32LE(data.nr >>> 0, 0)
  mem.writeUInt32LE(data.arch >>> 0, 4)
  ;(data.args ?? []).forEach((v, i) => mem.writeBigUInt64LE(BigInt.asUintN(64, v), 16 + 8 * i))
  let A = 0
  let pc = 0
  for (let steps = 0; steps < 10_000; steps++) {
    if (pc >= n) throw new Error(`fell off the end at ${pc}`)
    const code = prog.readUInt16LE(pc * 8)
    const jt = prog[pc * 8 + 2]
    const jf = prog[pc * 8 + 3]
    const k = prog.readUInt32LE(pc * 8 + 4)
    pc++
    const jump = (cond: boolean): void => {
      const to = pc + (cond ? jt : jf)
      if (to >= n) throw new Error(`jump out of the program at ${pc - 1}`)
      pc = to
    }
    switch (code) {
      case 0x20: // ld [k]
        if (k % 4 || k > 60) throw new Error(`bad load offset ${k}`)
        A = mem.readUInt32LE(k)
        break
      case 0x54: // and #k
        A = (A & k) >>> 0
        break
      case 0x05: // ja k
        if (pc + k >= n) throw new Error('ja out of the program')
        pc += k
        break
      case 0x15:
        jump(A === k)
        break
      case 0x25:
        jump(A > k)
        break
      case 0x35:
        jump(A >= k)
        break
      case 0x45:
        jump((A & k) !== 0)
        break
      case 0x06:
        return k
      default:
        throw new Error(`instruction 0x${code.toString(16)} is not allowed in a seccomp filter`)
    }
  }
  throw new Error('no return')
}

const TABLE = {amd64: SYSCALLS_X86_64, arm64: SYSCALLS_AARCH64}
/** The decision for syscall `name` with `args` under `prog`, built for `arch`. */
function decide(prog: Buffer, arch: SeccompArch, name: string, ...args: (number | bigint)[]): number {
  const nr = TABLE[arch].get(name)
  assert.ok(nr !== undefined, `${name} on ${arch}`)
  return run(prog, {nr, arch: AUDIT[arch], args: args.map(BigInt)})
}
const hex = (v: number): string => `0x${v.toString(16)}`

const CLONE_NEWUSER = 0x10000000
const CLONE_THREAD_FLAGS = 0x003d0f00 // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID

for (const arch of ['amd64', 'arm64'] as const) {
  const prog = compileSeccomp(DEFAULT_PROFILE, arch, DEFAULT_CAPS)
  const admin = compileSeccomp(DEFAULT_PROFILE, arch, new Set([...DEFAULT_CAPS, 'CAP_SYS_ADMIN']))

  test(`default profile on ${arch}: everyday syscalls are allowed`, () => {
    for (const s of ['read', 'write', 'execve', 'openat', 'mmap', 'futex', 'exit_group', 'ptrace', 'name_to_handle_at']) {
      assert.is(hex(decide(prog, arch, s)), hex(ALLOW), s)
    }
  })

  test(`default profile on ${arch}: namespace, key and kernel calls get EPERM`, () => {
    for (const s of ['keyctl', 'add_key', 'request_key', 'unshare', 'mount', 'bpf', 'kexec_load', 'reboot', 'setns', 'open_by_handle_at', 'init_module']) {
      assert.is(hex(decide(prog, arch, s)), hex(EPERM), s)
    }
  })

  test(`default profile on ${arch}: clone may not make a user namespace; clone3 is ENOSYS`, () => {
    assert.is(hex(decide(prog, arch, 'clone', CLONE_THREAD_FLAGS)), hex(ALLOW), 'thread clone')
    assert.is(hex(decide(prog, arch, 'clone', 17)), hex(ALLOW), 'fork-like clone (SIGCHLD)')
    assert.is(hex(decide(prog, arch, 'clone', CLONE_NEWUSER | 17)), hex(EPERM), 'CLONE_NEWUSER')
    assert.is(hex(decide(prog, arch, 'clone', 0x20000000 | 17)), hex(EPERM), 'CLONE_NEWPID')
    // Flags are arg 0 on both arches: the arg-1 rule is s390's only.
    assert.is(hex(decide(prog, arch, 'clone', 17, CLONE_NEWUSER)), hex(ALLOW), 'arg 1 is not the flags here')
    assert.is(hex(decide(prog, arch, 'clone3')), hex(ENOSYS), 'clone3')
  })

  test(`default profile on ${arch}: personality only for the harmless personas`, () => {
    for (const p of [0, 8, 0x20000, 0x20008, 0xffffffff]) assert.is(hex(decide(prog, arch, 'personality', p)), hex(ALLOW), hex(p))
    assert.is(hex(decide(prog, arch, 'personality', 0x0040000)), hex(EPERM), 'ADDR_NO_RANDOMIZE')
    assert.is(hex(decide(prog, arch, 'personality', 0x1_0000_0000n)), hex(EPERM), 'high word set, low word 0')
    assert.is(hex(decide(prog, arch, 'personality', 0x1_ffff_ffffn)), hex(EPERM), 'the 64-bit value, not its low word')
  })

  test(`default profile on ${arch}: socket for everything but AF_VSOCK`, () => {
    assert.is(hex(decide(prog, arch, 'socket', 2)), hex(ALLOW), 'AF_INET')
    assert.is(hex(decide(prog, arch, 'socket', 1)), hex(ALLOW), 'AF_UNIX')
    assert.is(hex(decide(prog, arch, 'socket', 40)), hex(EPERM), 'AF_VSOCK')
  })

  test(`default profile on ${arch}: CAP_SYS_ADMIN opens unshare, mount, any clone and clone3`, () => {
    for (const s of ['unshare', 'mount', 'setns', 'clone3', 'bpf']) assert.is(hex(decide(admin, arch, s)), hex(ALLOW), s)
    assert.is(hex(decide(admin, arch, 'clone', CLONE_NEWUSER | 17)), hex(ALLOW), 'CLONE_NEWUSER with CAP_SYS_ADMIN')
    assert.is(hex(decide(admin, arch, 'keyctl')), hex(EPERM), 'keyctl still refused')
  })

  test(`default profile on ${arch}: another arch is killed`, () => {
    for (const other of [0x40000003 /* i386 */, 0x40000028 /* arm */, AUDIT[arch === 'amd64' ? 'arm64' : 'amd64']]) {
      assert.is(hex(run(prog, {nr: 0, arch: other})), hex(KILL_PROCESS), hex(other))
    }
  })

  test(`default profile on ${arch}: syscalls newer than the profile get ENOSYS (runc's stub)`, () => {
    assert.is(hex(run(prog, {nr: 452 /* fchmodat2 */, arch: AUDIT[arch]})), hex(ENOSYS))
    assert.is(hex(run(prog, {nr: 449 /* futex_waitv */, arch: AUDIT[arch]})), hex(ALLOW))
    assert.is(hex(run(prog, {nr: 450 /* set_mempolicy_home_node: CAP_SYS_NICE */, arch: AUDIT[arch]})), hex(ENOSYS))
  })
}

test('default profile on amd64: arch_prctl and modify_ldt are allowed; an x32 syscall gets the default action', () => {
  const prog = compileSeccomp(DEFAULT_PROFILE, 'amd64', DEFAULT_CAPS)
  assert.is(hex(decide(prog, 'amd64', 'arch_prctl')), hex(ALLOW))
  assert.is(hex(decide(prog, 'amd64', 'modify_ldt')), hex(ALLOW))
  assert.is(hex(run(prog, {nr: 0x40000000 | 1 /* x32 write */, arch: AUDIT.amd64})), hex(EPERM))
  assert.is(hex(run(prog, {nr: 0xffffffff, arch: AUDIT.amd64})), hex(EPERM), 'nr -1')
})

test('every syscall name in the default profile is a real one', () => {
  const unknown = DEFAULT_PROFILE.syscalls.flatMap((r) => r.names).filter((n) => !isKnownSyscall(n))
  assert.equal(unknown, [])
})

test('the default profile is small: well under BPF_MAXINSNS, ALLOW-by-default is a few instructions', () => {
  for (const arch of ['amd64', 'arm64'] as const) assert.ok(compileSeccomp(DEFAULT_PROFILE, arch, DEFAULT_CAPS).length / 8 < 400, arch)
  // arch check (3), load nr (1), x32 refusal (2), default (1)
  const p = compileSeccomp({defaultAction: 'SCMP_ACT_ALLOW', syscalls: []}, 'amd64', DEFAULT_CAPS)
  assert.is(p.length / 8, 7)
})

const user = (p: object): SeccompProfile => parseProfile(JSON.stringify(p), 'profiles/test.json')

test('user profile: GT and MASKED_EQ compare all 64 bits across 2^32', () => {
  const p = parseProfile(
    `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 4294967296, "op": "SCMP_CMP_GT"}]},
      {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 4294967551, "valueTwo": 4294967297, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["lseek"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]},
      {"names": ["pread64"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 3, "value": 8589934592, "op": "SCMP_CMP_LE"}]}
    ]}`,
    'profiles/wide.json',
  )
  for (const arch of ['amd64', 'arm64'] as const) {
    const prog = compileSeccomp(p, arch, DEFAULT_CAPS)
    const w = (v: bigint): string => hex(decide(prog, arch, 'write', 1, 0, v))
    assert.is(w(0x1_0000_0001n), hex(ALLOW), '2^32+1 > 2^32')
    assert.is(w(0x2_0000_0000n), hex(ALLOW))
    assert.is(w(0x1_0000_0000n), hex(EPERM), 'equal is not greater')
    assert.is(w(0xffff_ffffn), hex(EPERM), 'a big low word alone is not greater')
    // mask 0x1_0000_00ff, want 0x1_0000_0001
    const r = (v: bigint): string => hex(decide(prog, arch, 'read', 0, v))
    assert.is(r(0x1_1234_5601n), hex(ALLOW))
    assert.is(r(0x3_0000_0001n), hex(ALLOW), 'bits outside the mask do not matter')
    assert.is(r(0x0_0000_0001n), hex(EPERM), 'the high masked bit must be set')
    assert.is(r(0x1_0000_0002n), hex(EPERM))
    assert.is(hex(decide(prog, arch, 'lseek', 0, -1n)), hex(ALLOW), '2^64-1 read exactly')
    assert.is(hex(decide(prog, arch, 'lseek', 0, (1n << 64n) - 2n)), hex(EPERM), 'and not rounded')
    const pr = (v: bigint): string => hex(decide(prog, arch, 'pread64', 0, 0, 0, v))
    assert.is(pr(0x2_0000_0000n), hex(ALLOW), 'LE: equal')
    assert.is(pr(0x1_ffff_ffffn), hex(ALLOW))
    assert.is(pr(0x2_0000_0001n), hex(EPERM))
  }
})

test('user profile: args in one rule are ANDed, rules for one syscall ORed, repeated args split as runc does', () => {
  const p = user({
    defaultAction: 'SCMP_ACT_KILL_PROCESS',
    syscalls: [
      {names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 1, op: 'SCMP_CMP_EQ'}, {index: 1, value: 0x5401, op: 'SCMP_CMP_EQ'}]},
      {names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 2, op: 'SCMP_CMP_EQ'}]},
      // index 0 twice: runc adds one rule per condition, so this is fd < 5 OR fd > 100
      {names: ['close'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 5, op: 'SCMP_CMP_LT'}, {index: 0, value: 100, op: 'SCMP_CMP_GT'}]},
    ],
  })
  const prog = compileSeccomp(p, 'amd64', DEFAULT_CAPS)
  assert.is(hex(decide(prog, 'amd64', 'ioctl', 1, 0x5401)), hex(ALLOW))
  assert.is(hex(decide(prog, 'amd64', 'ioctl', 1, 0x5402)), hex(KILL_PROCESS), 'AND: second arg differs')
  assert.is(hex(decide(prog, 'amd64', 'ioctl', 2, 0x9999)), hex(ALLOW), 'OR: the second rule')
  assert.is(hex(decide(prog, 'amd64', 'close', 3)), hex(ALLOW))
  assert.is(hex(decide(prog, 'amd64', 'close', 200)), hex(ALLOW))
  assert.is(hex(decide(prog, 'amd64', 'close', 50)), hex(KILL_PROCESS))
})

test("user profile: libseccomp's precedence — a rule without args decides the syscall; rules with the default action are dropped", () => {
  const p = user({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      {names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 1, op: 'SCMP_CMP_EQ'}]},
      {names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 97},
      {names: ['getpid'], action: 'SCMP_ACT_LOG'},
      {names: ['getpid'], action: 'SCMP_ACT_KILL'},
      {names: ['dup'], action: 'SCMP_ACT_ERRNO'}, // = the default (EPERM): dropped, so the next rule stands alone
      {names: ['dup'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 0, op: 'SCMP_CMP_EQ'}]},
      {names: ['getuid'], action: 'SCMP_ACT_TRAP'},
      {names: ['gettid'], action: 'SCMP_ACT_TRACE'},
      {names: ['getppid'], action: 'SCMP_ACT_KILL_THREAD'},
    ],
  })
  const prog = compileSeccomp(p, 'arm64', DEFAULT_CAPS)
  assert.is(hex(decide(prog, 'arm64', 'socket', 1)), hex(errno(97)), 'the later unconditional rule replaced the conditional one')
  assert.is(hex(decide(prog, 'arm64', 'getpid')), hex(0x7ffc0000), 'the first unconditional rule stays')
  assert.is(hex(decide(prog, 'arm64', 'dup', 0)), hex(ALLOW))
  assert.is(hex(decide(prog, 'arm64', 'dup', 1)), hex(EPERM))
  assert.is(hex(decide(prog, 'arm64', 'getuid')), hex(0x00030000), 'TRAP')
  assert.is(hex(decide(prog, 'arm64', 'gettid')), hex(0x7ff00001), 'TRACE with runc\'s data, EPERM')
  assert.is(hex(decide(prog, 'arm64', 'getppid')), hex(0), 'KILL_THREAD')
  assert.is(hex(decide(prog, 'arm64', 'read')), hex(EPERM), 'the default')
})

test('an Unconfined-like profile (defaultAction ALLOW) allows everything, and has no ENOSYS stub', () => {
  const p = user({defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{names: ['reboot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1}]})
  for (const arch of ['amd64', 'arm64'] as const) {
    const prog = compileSeccomp(p, arch, new Set())
    for (const s of ['read', 'mount', 'unshare', 'keyctl', 'bpf']) assert.is(hex(decide(prog, arch, s)), hex(ALLOW), s)
    assert.is(hex(decide(prog, arch, 'reboot')), hex(EPERM))
    assert.is(hex(run(prog, {nr: 455, arch: AUDIT[arch]})), hex(ALLOW), 'a syscall newer than the profile')
  }
})

test('includes/excludes: arches by Docker and libseccomp names, all included caps needed, any excluded cap drops', () => {
  const p = user({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      {names: ['getpid'], action: 'SCMP_ACT_ALLOW', includes: {arches: ['SCMP_ARCH_AARCH64']}},
      {names: ['getuid'], action: 'SCMP_ACT_ALLOW', includes: {caps: ['CAP_CHOWN', 'CAP_SYS_ADMIN']}},
      {names: ['getgid'], action: 'SCMP_ACT_ALLOW', excludes: {caps: ['CAP_KILL', 'CAP_SYS_ADMIN']}},
      {names: ['gettid'], action: 'SCMP_ACT_ALLOW', excludes: {arches: ['amd64']}},
      {names: ['umask'], action: 'SCMP_ACT_ALLOW', includes: {minKernel: '5.4'}},
      // a high-numbered rule that always applies: the calls above stay below runc's ENOSYS cut-off
      {names: ['close_range'], action: 'SCMP_ACT_ALLOW'},
    ],
  })
  const amd = compileSeccomp(p, 'amd64', DEFAULT_CAPS)
  const arm = compileSeccomp(p, 'arm64', DEFAULT_CAPS)
  assert.is(hex(decide(amd, 'amd64', 'getpid')), hex(EPERM))
  assert.is(hex(decide(arm, 'arm64', 'getpid')), hex(ALLOW))
  assert.is(hex(decide(amd, 'amd64', 'getuid')), hex(EPERM), 'CAP_SYS_ADMIN missing')
  assert.is(hex(decide(compileSeccomp(p, 'amd64', new Set(['CAP_CHOWN', 'CAP_SYS_ADMIN'])), 'amd64', 'getuid')), hex(ALLOW))
  assert.is(hex(decide(amd, 'amd64', 'getgid')), hex(EPERM), 'CAP_KILL is held')
  assert.is(hex(decide(compileSeccomp(p, 'amd64', new Set()), 'amd64', 'getgid')), hex(ALLOW))
  assert.is(hex(decide(amd, 'amd64', 'gettid')), hex(EPERM))
  assert.is(hex(decide(arm, 'arm64', 'gettid')), hex(ALLOW))
  assert.is(hex(decide(amd, 'amd64', 'umask')), hex(ALLOW), 'minKernel is taken as met')
})

test('long jumps: a syscall with hundreds of rules still compiles to in-range jumps and the right answers', () => {
  const syscalls = [
    {names: ['write'], action: 'SCMP_ACT_ALLOW', args: Array.from({length: 1}, () => ({index: 0, value: 1, op: 'SCMP_CMP_EQ'}))},
    ...Array.from({length: 300}, (_, i) => ({names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 + (i % 100), args: [{index: 0, value: i * 3, op: 'SCMP_CMP_EQ'}]})),
    {names: ['close', 'getpid', 'exit_group'], action: 'SCMP_ACT_ALLOW'},
  ]
  const p = user({defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls})
  for (const arch of ['amd64', 'arm64'] as const) {
    const prog = compileSeccomp(p, arch, DEFAULT_CAPS)
    assert.ok(prog.length / 8 > 1200, 'big enough to need long jumps')
    let wide = 0
    for (let i = 0; i < prog.length / 8; i++) if (prog.readUInt16LE(i * 8) === 0x05) wide++
    assert.ok(wide > 0, 'some jumps were widened into ja')
    assert.is(hex(decide(prog, arch, 'read', 0)), hex(errno(1)))
    assert.is(hex(decide(prog, arch, 'read', 299 * 3)), hex(errno(1 + (299 % 100))))
    assert.is(hex(decide(prog, arch, 'read', 1)), hex(KILL_PROCESS))
    for (const s of ['close', 'getpid', 'exit_group']) assert.is(hex(decide(prog, arch, s)), hex(ALLOW), s)
    assert.is(hex(decide(prog, arch, 'write', 1)), hex(ALLOW))
    assert.is(hex(decide(prog, arch, 'write', 2)), hex(KILL_PROCESS))
  }
})

test('a profile of 5,000 rules is refused with a clear error', () => {
  const syscalls = Array.from({length: 5000}, (_, i) => ({names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: i, op: 'SCMP_CMP_EQ'}]}))
  const p = user({defaultAction: 'SCMP_ACT_ERRNO', syscalls})
  try {
    compileSeccomp(p, 'amd64', DEFAULT_CAPS)
    assert.unreachable('should have thrown')
  } catch (e) {
    assert.instance(e, SeccompProfileError)
    assert.match((e as Error).message, /compiles to \d+ BPF instructions on amd64; the kernel takes at most 4096 \(BPF_MAXINSNS\)/)
  }
})

function parseError(json: string): SeccompProfileError {
  try {
    parseProfile(json, 'profiles/x.json')
  } catch (e) {
    assert.instance(e, SeccompProfileError)
    return e as SeccompProfileError
  }
  throw new Error('parseProfile accepted it')
}

test('parseProfile: errors name the file and the field and say what to do', () => {
  const e = parseError(
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        {names: ['read'], action: 'SCMP_ACT_ALLOW'},
        {names: ['write'], action: 'SCMP_ACT_ALLOW'},
        {names: ['close'], action: 'SCMP_ACT_ALLOW'},
        {names: ['open'], action: 'SCMP_ACT_FOO'},
        {names: ['opn'], action: 'SCMP_ACT_ALLOW'},
        {names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{index: 7, value: 1, op: 'SCMP_CMP_EQ'}, {index: 0, value: -1, op: 'EQ'}]},
        {names: ['read'], action: 'SCMP_ACT_KILL', errnoRet: 5},
        {names: ['read'], action: 'SCMP_ACT_ALLOW', includes: {caps: ['SYS_ADMIN'], arches: ['amd46']}},
        {name: 'read', names: ['write'], action: 'SCMP_ACT_ALLOW'},
        {names: ['read'], action: 'SCMP_ACT_NOTIFY', extra: 1},
      ],
    }),
  )
  const m = e.message
  assert.match(m, 'profiles/x.json: syscalls[3].action: unknown action "SCMP_ACT_FOO"; use SCMP_ACT_ALLOW, SCMP_ACT_ERRNO')
  assert.match(m, 'profiles/x.json: syscalls[4].names[0]: unknown syscall "opn"')
  assert.match(m, 'profiles/x.json: syscalls[5].args[0].index: must be the argument number, 0 to 5')
  assert.match(m, 'profiles/x.json: syscalls[5].args[1].value: must be an unsigned 64-bit integer')
  assert.match(m, 'profiles/x.json: syscalls[5].args[1].op: unknown operator "EQ"; use SCMP_CMP_NE')
  assert.match(m, 'profiles/x.json: syscalls[6].errnoRet: SCMP_ACT_KILL takes no errno')
  assert.match(m, 'profiles/x.json: syscalls[7].includes.caps[0]: unknown capability "SYS_ADMIN"; write it as Docker does, e.g. "CAP_SYS_ADMIN"')
  assert.match(m, 'profiles/x.json: syscalls[7].includes.arches[0]: unknown architecture "amd46"')
  assert.match(m, 'profiles/x.json: syscalls[8]: both name and names are set')
  assert.match(m, 'profiles/x.json: syscalls[9].action: SCMP_ACT_NOTIFY needs a seccomp agent')
  assert.match(m, 'profiles/x.json: syscalls[9].extra: unknown field')
  assert.is(e.problems.length, 11, 'all problems at once')
})

test('parseProfile: bad JSON, a missing defaultAction, flags', () => {
  assert.match(parseError('{"defaultAction": ').message, /^profiles\/x\.json: not valid JSON: /)
  assert.match(parseError('[]').message, /^profiles\/x\.json: the profile must be a JSON object/)
  assert.match(parseError('{"syscalls": []}').message, 'profiles/x.json: defaultAction: required; use one of SCMP_ACT_ALLOW')
  assert.match(parseError('{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"]}').message, 'profiles/x.json: flags: not supported')
  assert.match(parseError('{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}').message, 'profiles/x.json: defaultErrnoRet: SCMP_ACT_ALLOW takes no errno')
})

test('parseProfile: Docker\'s own format reads back — legacy name, architectures ignored, other arches\' names kept', () => {
  const p = parseProfile(
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      archMap: [{architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86']}],
      syscalls: [
        {name: 'getpid', action: 'SCMP_ACT_ALLOW', args: null},
        {names: ['chown32', 'chown', 'arm_fadvise64_64'], action: 'SCMP_ACT_ALLOW', args: [], comment: 'chown32 is i386-only'},
      ],
    }),
    'profiles/docker.json',
  )
  assert.equal(p.syscalls.map((s) => s.names), [['getpid'], ['chown32', 'chown', 'arm_fadvise64_64']])
  const prog = compileSeccomp(p, 'amd64', DEFAULT_CAPS)
  assert.is(hex(decide(prog, 'amd64', 'getpid')), hex(ALLOW))
  assert.is(hex(decide(prog, 'amd64', 'chown')), hex(ALLOW))
})

test('the default profile as JSON parses back to itself, comments included', () => {
  assert.equal(parseProfile(JSON.stringify(DEFAULT_PROFILE), 'default.json'), JSON.parse(JSON.stringify(DEFAULT_PROFILE)))
})

test('compiling is deterministic', () => {
  assert.equal(compileSeccomp(DEFAULT_PROFILE, 'arm64', DEFAULT_CAPS), compileSeccomp(DEFAULT_PROFILE, 'arm64', new Set([...DEFAULT_CAPS].reverse())))
})

test.run()
