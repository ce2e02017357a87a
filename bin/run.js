#!/usr/bin/env node
// Entry point. `--version` is answered before oclif loads, because loading
// oclif and its plugins costs more than the 100 ms start-up budget and CI
// scripts call `tsctl --version` often; the output matches oclif's format.
import {readFileSync} from 'node:fs'

const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`tsctl/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
