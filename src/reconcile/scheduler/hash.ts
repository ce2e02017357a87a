/**
 * The stable hashes behind the tie-break. kube-scheduler breaks ties between
 * equally scored nodes at random; tsctl must give the same answer for the
 * same input, yet still spread replicas whose scores tie, so it picks the
 * tied node with the largest tieHash(pod, node) — a different, fixed order of
 * nodes for every pod.
 */

/** FNV-1a, 32-bit, over the UTF-16 code units of `s`. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** murmur3's fmix32 of (podHash XOR nodeHash): mixes the two FNV-1a halves so every bit matters. */
export function tieHash(podHash: number, nodeHash: number): number {
  let h = (podHash ^ nodeHash) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
