/**
 * Why a node was rejected, interned so the per-node path counts integers,
 * not strings. The texts are kube-scheduler's wording.
 */
const reasonTable: string[] = ['']
const reasonIds = new Map<string, number>()

/** The id of a reason string (kube's wording, e.g. "Insufficient cpu"). */
export function reasonId(text: string): number {
  let id = reasonIds.get(text)
  if (id === undefined) {
    id = reasonTable.length
    reasonTable.push(text)
    reasonIds.set(text, id)
  }
  return id
}

export function reasonText(id: number): string {
  return reasonTable[id]
}
