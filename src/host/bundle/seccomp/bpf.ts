/**
 * A tiny classic-BPF assembler with labels, for seccomp filters only: the
 * compiler (compile.ts) writes straight-line code with forward jumps to
 * labels, and `assemble` lays it out, widening any conditional jump whose
 * 8-bit jt/jf cannot reach its label into `jcond k, 0, 1; ja T; ja F`
 * (ja has a 32-bit offset), so no profile size can overflow a jump.
 */

// linux/filter.h, linux/bpf_common.h
export const BPF_LD_W_ABS = 0x20
export const BPF_ALU_AND_K = 0x54
export const BPF_JA = 0x05
export const BPF_JEQ_K = 0x15
export const BPF_JGT_K = 0x25
export const BPF_JGE_K = 0x35
export const BPF_JSET_K = 0x45
export const BPF_RET_K = 0x06
/** linux/bpf_common.h: the most instructions the kernel accepts in one classic program. */
export const BPF_MAXINSNS = 4096

/** A place in the program; `Asm.place` fixes it. */
export class Label {
  constructor(readonly name: string) {}
}
/** Jump target meaning "the instruction right after this one". */
export const NEXT = 'next'
export type Target = Label | typeof NEXT
export type JumpOp = typeof BPF_JEQ_K | typeof BPF_JGT_K | typeof BPF_JGE_K | typeof BPF_JSET_K

type Item =
  | {kind: 'insn'; code: number; k: number}
  | {kind: 'jump'; code: JumpOp; k: number; jt: Target; jf: Target; wide: boolean}
  | {kind: 'ja'; to: Label}
  | {kind: 'label'; label: Label}

/** One sock_filter, as the kernel reads it. */
export interface SockFilter {
  code: number
  jt: number
  jf: number
  k: number
}

export class Asm {
  private readonly items: Item[] = []
  private labels = 0

  label(name: string): Label {
    return new Label(`${name}#${this.labels++}`)
  }
  place(label: Label): void {
    this.items.push({kind: 'label', label})
  }
  /** Loads the 32-bit word at `offset` of seccomp_data into A. */
  ld(offset: number): void {
    this.items.push({kind: 'insn', code: BPF_LD_W_ABS, k: offset})
  }
  and(k: number): void {
    this.items.push({kind: 'insn', code: BPF_ALU_AND_K, k: k >>> 0})
  }
  jump(code: JumpOp, k: number, jt: Target, jf: Target): void {
    this.items.push({kind: 'jump', code, k: k >>> 0, jt, jf, wide: false})
  }
  ja(to: Label): void {
    this.items.push({kind: 'ja', to})
  }
  ret(k: number): void {
    this.items.push({kind: 'insn', code: BPF_RET_K, k: k >>> 0})
  }

  /**
   * Lays the program out. Widening a jump moves everything after it, which
   * can push another jump out of reach, so layout repeats until no jump
   * changes; jumps only ever widen, so it ends.
   */
  assemble(): SockFilter[] {
    const size = (it: Item): number => (it.kind === 'label' ? 0 : it.kind === 'jump' && it.wide ? 3 : 1)
    for (;;) {
      const at = new Map<Label, number>()
      const pos: number[] = []
      let pc = 0
      for (const it of this.items) {
        pos.push(pc)
        if (it.kind === 'label') at.set(it.label, pc)
        pc += size(it)
      }
      // NEXT is the instruction after the whole item (after a widened jump's two ja, too).
      const where = (t: Target, from: number, after: number): number => {
        if (t === NEXT) return after
        const p = at.get(t)
        if (p === undefined) throw new Error(`seccomp assembler: label ${t.name} is never placed`)
        if (p < from) throw new Error(`seccomp assembler: label ${t.name} is behind its jump (BPF jumps go forward only)`)
        return p
      }
      let widened = false
      this.items.forEach((it, i) => {
        if (it.kind !== 'jump' || it.wide) return
        const next = pos[i] + 1
        if (where(it.jt, next, next) - next > 255 || where(it.jf, next, next) - next > 255) {
          it.wide = true
          widened = true
        }
      })
      if (widened) continue

      const out: SockFilter[] = []
      this.items.forEach((it, i) => {
        const next = pos[i] + 1
        const after = pos[i] + size(it)
        if (it.kind === 'insn') out.push({code: it.code, jt: 0, jf: 0, k: it.k})
        else if (it.kind === 'ja') out.push({code: BPF_JA, jt: 0, jf: 0, k: where(it.to, next, after) - next})
        else if (it.kind === 'jump' && !it.wide) out.push({code: it.code, jt: where(it.jt, next, after) - next, jf: where(it.jf, next, after) - next, k: it.k})
        else if (it.kind === 'jump') {
          // jcond k, 0, 1 / ja T / ja F: true falls into the first ja, false skips to the second.
          out.push({code: it.code, jt: 0, jf: 1, k: it.k})
          out.push({code: BPF_JA, jt: 0, jf: 0, k: where(it.jt, next + 1, after) - (next + 1)})
          out.push({code: BPF_JA, jt: 0, jf: 0, k: where(it.jf, next + 2, after) - (next + 2)})
        }
      })
      return out
    }
  }
}

/** struct sock_filter[] in the host's byte order (both amd64 and arm64 are little-endian): u16 code, u8 jt, u8 jf, u32 k. */
export function encode(prog: readonly SockFilter[]): Buffer {
  const b = Buffer.alloc(prog.length * 8)
  prog.forEach((p, i) => {
    b.writeUInt16LE(p.code, i * 8)
    b.writeUInt8(p.jt, i * 8 + 2)
    b.writeUInt8(p.jf, i * 8 + 3)
    b.writeUInt32LE(p.k >>> 0, i * 8 + 4)
  })
  return b
}
