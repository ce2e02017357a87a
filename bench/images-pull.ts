// Helper of bench/images.ts: pulls one registry image into an image cache
// with tsctl's own code and nothing else (no repo, no state, no host), so
// the bench can time tsctl's pull against `skopeo copy` as two processes.
//
//   node dist/bench/images-pull.js IMAGE CACHE_DIR
//
// Prints one JSON line: {"ms": …, "layers": N, "bytes": …} where ms is the
// pull inside this process (after Node started and the modules loaded) and
// bytes the compressed layer bytes now in the cache.
import {performance} from 'node:perf_hooks'
import {ImageCache} from '../src/images/cache.js'
import {ImageResolver} from '../src/sync/executor/images.js'

const [image, dir] = process.argv.slice(2)
if (!image || !dir) {
  console.error('usage: images-pull.js IMAGE CACHE_DIR')
  process.exit(2)
}
const t0 = performance.now()
const r = new ImageResolver(process.cwd(), {cache: new ImageCache(dir)})
// The same two steps as a sync: the tag to its pin (one HEAD), then the pinned
// manifest and config. Layers are fetched lazily by a sync (the first time a host
// lacks one), so they are fetched here explicitly, bottom first, as a sync would.
const digest = await r.tagDigest(image)
const img = await r.resolve(image, {digest})
if (img.source.kind !== 'registry') throw new Error(`${image} is not a registry image`)
for (const layer of img.layers) await img.source.fetch(layer)
const ms = Math.round(performance.now() - t0)
console.log(JSON.stringify({ms, layers: img.layers.length, bytes: img.layers.reduce((a, l) => a + l.size, 0)}))
