/**
 * Items carrying a label selector, bucketed by one `key=value` the selector
 * requires, so "which of these might select this pod?" looks at the pod's
 * own labels instead of every item. Items whose selector requires no single
 * value sit in a list every lookup visits. Callers re-check the full match:
 * a bucket hit is necessary, not sufficient.
 */
export class LabelIndex<T> {
  private readonly buckets = new Map<string, T[]>()
  private readonly unbucketed: T[] = []
  private readonly scratch: T[] = []

  add(item: T, bucket: string | null): void {
    if (bucket === null) {
      this.unbucketed.push(item)
      return
    }
    const list = this.buckets.get(bucket)
    if (list) list.push(item)
    else this.buckets.set(bucket, [item])
  }

  /**
   * Every item that could match a pod with these bucket keys, in one array
   * (reused: valid until the next call). For hot paths that would rather
   * not pay a callback per item.
   */
  candidates(keys: readonly string[]): readonly T[] {
    const out = this.scratch
    out.length = 0
    if (this.buckets.size > 0)
      for (let k = 0; k < keys.length; k++) {
        const list = this.buckets.get(keys[k])
        if (list) for (let j = 0; j < list.length; j++) out.push(list[j])
      }
    const u = this.unbucketed
    for (let j = 0; j < u.length; j++) out.push(u[j])
    return out
  }

  /** Visit every item that could match a pod with these bucket keys (`key=value` per label). */
  forEach(keys: readonly string[], fn: (item: T) => void): void {
    if (this.buckets.size > 0)
      for (let k = 0; k < keys.length; k++) {
        const list = this.buckets.get(keys[k])
        if (list) for (let j = 0; j < list.length; j++) fn(list[j])
      }
    const u = this.unbucketed
    for (let j = 0; j < u.length; j++) fn(u[j])
  }
}
