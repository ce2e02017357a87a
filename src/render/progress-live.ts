import type {SyncEvent} from '../sync/events.js'
import type {Palette} from './color.js'
import {bytesText, progressLine} from './progress-lines.js'
import {escapeControl as u} from './untrusted.js'

interface NodeLine {
  name: string
  state: string
  done: number
  total: number
  failed: boolean
  /** layer bytes sent to it this run */
  sent?: number
}

/**
 * The live per-host view on a TTY: one line per node (what it is doing,
 * actions done of planned) and a status line, redrawn in place (cursor up,
 * clear line) at most every 100 ms. Events that matter after the run
 * (failures, unreachable nodes) are also printed above the view, so they
 * stay on screen when it is gone.
 */
export class LiveProgress {
  readonly #nodes = new Map<string, NodeLine>()
  #status = ''
  #drawn = 0
  #timer?: NodeJS.Timeout
  #dirty = false
  #finished = false
  private pulled = 0

  constructor(private readonly out: NodeJS.WritableStream, private readonly p: Palette) {}

  onEvent(e: SyncEvent): void {
    if (this.#finished) return
    const line = (n: string) => {
      let l = this.#nodes.get(n)
      // node names are escaped once, here: draw() pads and cuts them, and a control character would break the cursor arithmetic
      if (!l) this.#nodes.set(n, (l = {name: u(n), state: 'waiting', done: 0, total: 0, failed: false}))
      return l
    }
    switch (e.type) {
      case 'sync-started':
        for (const n of e.nodes) line(n)
        this.#status = `${e.dryRun ? 'dry run of' : 'syncing'} ${u(e.commit.sha.slice(0, 7))} "${u(e.commit.subject)}"`
        break
      case 'observed':
        for (const n of e.nodes) {
          const l = line(n.name)
          if (!l.failed) l.state = n.reachable ? `${n.ready}/${n.pods} pods ready` : this.p.remove(`unreachable: ${u(n.error ?? '')}`)
        }
        this.#status = `pass ${e.pass}: observed`
        break
      case 'pass-started':
        for (const [n, c] of Object.entries(e.perNode)) {
          const l = line(n)
          l.total += c
        }
        this.#status = `pass ${e.pass}: ${e.actions} action(s)`
        break
      case 'action-started':
        line(e.action.node).state = `${e.action.type} ${u(e.action.target.replace(/^Pod\//, ''))}…`
        break
      case 'action-done': {
        const l = line(e.action.node)
        l.done++
        l.state = `${e.action.type} ${u(e.action.target.replace(/^Pod\//, ''))} ${this.p.add('✓')}`
        break
      }
      case 'action-failed': {
        const l = line(e.action.node)
        l.done++
        l.failed = true
        l.state = this.p.remove(`FAILED ${e.action.type} ${u(e.action.target.replace(/^Pod\//, ''))}: ${u(e.error)}`)
        this.above(e)
        break
      }
      case 'node-unreachable':
        this.above(e)
        break
      case 'layer-sent': {
        const l = line(e.node)
        l.sent = (l.sent ?? 0) + e.bytes
        l.state = `sent ${bytesText(l.sent)} of ${u(e.image)} (${bytesText(Math.round(e.bytes / Math.max(e.ms, 1) * 1000))}/s)`
        break
      }
      case 'image-pulled':
        this.pulled += e.bytes
        this.#status = `pulled ${bytesText(this.pulled)} (${u(e.image)})`
        break
      case 'waiting':
        this.#status = `waiting: ${u(e.waitingFor[0] ?? 'pods to become ready')}${e.waitingFor.length > 1 ? ` (+${e.waitingFor.length - 1})` : ''}`
        break
      case 'lock-waiting':
        this.#status = `waiting for the state lock: ${u(e.holder)}`
        break
      default: {
        const text = progressLine(e, this.p)
        if (text) this.#status = text.replace(/^\S+ /, '')
      }
    }
    this.#dirty = true
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined
      this.draw()
    }, 100)
  }

  /** Prints an event's line above the live view. */
  private above(e: SyncEvent): void {
    const text = progressLine(e, this.p)
    if (!text) return
    this.clear()
    this.out.write(text + '\n')
    this.#dirty = true
  }

  private clear(): void {
    if (this.#drawn) this.out.write(`\x1b[${this.#drawn}A\x1b[0J`)
    this.#drawn = 0
  }

  private draw(): void {
    if (!this.#dirty) return
    this.#dirty = false
    const width = Math.max(...[...this.#nodes.values()].map((l) => l.name.length), 4)
    const cols = (this.out as {columns?: number}).columns || 120
    const lines = [...this.#nodes.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((l) => `${l.name.padEnd(width)}  ${l.total ? this.p.dim(`[${l.done}/${l.total}]`) + ' ' : ''}${l.state}`)
    lines.push(this.p.bold(this.#status))
    this.clear()
    // Long lines would wrap and break the cursor arithmetic: cut them at the terminal width.
    this.out.write(lines.map((l) => cut(l, cols - 1)).join('\n') + '\n')
    this.#drawn = lines.length
  }

  /** Draws the last state and leaves it on screen; later events and calls do nothing. */
  finish(): void {
    if (this.#finished) return
    this.#finished = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#dirty = true
    this.draw()
  }
}

function cut(s: string, n: number): string {
  // Count visible characters only; keep escape sequences whole.
  let visible = 0
  let out = ''
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\x1b') {
      const m = /^\x1b\[[0-9;]*[A-Za-z]/.exec(s.slice(i))
      if (m) {
        out += m[0]
        i += m[0].length - 1
        continue
      }
    }
    if (visible >= n) continue
    out += s[i]
    visible++
  }
  return out
}
