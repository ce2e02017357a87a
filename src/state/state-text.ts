import type {State} from './model.js'

/**
 * The state file's text, `JSON.stringify(state, null, 2) + '\n'` byte for
 * byte, built from one cached text per object so a write after one action
 * re-serialises the objects it changed, not all of them (the whole state is
 * ~25 MB at 1,000 hosts, and sync writes after every action).
 *
 * An object's text is reused only when the caller promises the object is
 * unchanged (`unchanged(key)`, from a WriteHint) *and* it is the same object
 * (identity) as last time. The promise is needed because sync mutates objects
 * in place (recordOutcome sets a started pod's phase and PodScheduled): an
 * identity match alone would write stale text. Identity guards against a
 * wrong promise about a replaced object. Without a promise everything is
 * serialised again, and the cache refreshed.
 */
export class StateText {
  /** objectKey → the object last rendered and its member bytes (`    "key": {…}`, at the depth of state.objects) */
  #members = new Map<string, {object: unknown; bytes: Buffer}>()
  /** the output buffer, reused: a new 25 MB one per write is memory the GC frees late */
  #out?: Buffer

  /**
   * The bytes, valid until the next render (the buffer is reused): write
   * them before rendering again.
   */
  render(state: State, unchanged?: (key: string) => boolean): Buffer {
    const objects = state.objects as unknown
    if (typeof (state as {toJSON?: unknown}).toJSON === 'function' || !isPlainRecord(objects)) {
      this.#members.clear()
      return Buffer.from(JSON.stringify(state, null, 2) + '\n')
    }
    // pieces, never joined: the one copy of the whole text is the output buffer
    const pieces: (string | Buffer)[] = []
    for (const k of Object.keys(state)) {
      if (k === 'objects') {
        pieces.push(pieces.length ? ',\n' : '{\n', `  ${JSON.stringify(k)}: `)
        this.#objects(objects, unchanged, pieces)
        continue
      }
      const m = member(k, (state as unknown as Record<string, unknown>)[k])
      if (m !== undefined) pieces.push(pieces.length ? ',\n' : '{\n', m)
    }
    pieces.push(pieces.length ? '\n}\n' : '{}\n')
    let size = 0
    for (const p of pieces) size += typeof p === 'string' ? Buffer.byteLength(p) : p.length
    // grown with room to spare, so a state growing by a few objects does not reallocate every write
    if (!this.#out || this.#out.length < size) this.#out = Buffer.allocUnsafeSlow(Math.ceil(size * 1.25))
    const out = this.#out
    let off = 0
    for (const p of pieces) off += typeof p === 'string' ? out.write(p, off) : p.copy(out, off)
    return out.subarray(0, off)
  }

  #objects(objects: Record<string, unknown>, unchanged: ((key: string) => boolean) | undefined, pieces: (string | Buffer)[]): void {
    const next = new Map<string, {object: unknown; bytes: Buffer}>()
    for (const key of Object.keys(objects)) {
      const object = objects[key]
      let m = this.#members.get(key)
      if (!m || m.object !== object || !unchanged?.(key)) {
        const one = member(key, object)
        if (one === undefined) continue
        // JSON strings never hold a raw newline, so every newline starts a line to indent
        // Buffer.from slices Node's shared pool (fast); a kept slice keeps its 8 KiB slab, at most
        // a few objects' worth, and every reconcile's full write replaces all of them
        m = {object, bytes: Buffer.from('  ' + one.replaceAll('\n', '\n  '))}
      }
      pieces.push(next.size ? ',\n' : '{\n', m.bytes)
      next.set(key, m)
    }
    pieces.push(next.size ? '\n  }' : '{}')
    this.#members = next
  }
}

/** `  "key": value` as JSON.stringify(…, null, 2) writes a member of a top-level object (toJSON, undefined and functions as JSON does), or undefined when JSON leaves it out. */
function member(key: string, value: unknown): string | undefined {
  const t = JSON.stringify({[key]: value}, null, 2)
  return t === '{}' ? undefined : t.slice(2, -2)
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as {toJSON?: unknown}).toJSON !== 'function'
}
