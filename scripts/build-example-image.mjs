#!/usr/bin/env node
// Builds the example app's image: an OCI image layout at DIR/images/busybox
// (tag "latest", two layers) from Debian's busybox-static, which the example
// manifests use as `image: oci:images/busybox`.
//
// Usage: node scripts/build-example-image.mjs [DIR]   (DIR defaults to .)
// Needs a build first (`npm run build`): it uses the compiled fixture builder,
// so there is one tar writer and one layout writer in the project.
// Environment: TSCTL_BUSYBOX=/path/to/static/busybox (default /bin/busybox).
import {existsSync} from 'node:fs'
import {resolve, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const builder = join(root, 'dist', 'test', 'fixtures', 'busybox-image.js')
if (!existsSync(builder)) {
  process.stderr.write(`build-example-image: ${builder} is missing; run \`npm run build\` first\n`)
  process.exit(2)
}
const {buildBusyboxLayout, BUSYBOX} = await import(builder)
if (!existsSync(BUSYBOX)) {
  process.stderr.write(`build-example-image: ${BUSYBOX} not found; install busybox-static (apt-get install busybox-static) or set TSCTL_BUSYBOX\n`)
  process.exit(2)
}
const dir = join(resolve(process.argv[2] ?? '.'), 'images', 'busybox')
const img = await buildBusyboxLayout(dir)
process.stdout.write(`${dir}: ${img.manifest.digest} (tag latest, ${img.layers.length} layers)\n`)
