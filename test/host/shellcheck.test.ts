// The host runtime is POSIX sh and ShellCheck-clean.
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {runtimeSourceDir} from '../../src/host/runtime-client.js'

const missing = spawnSync('sh', ['-c', 'command -v shellcheck']).status !== 0
if (missing) console.log('SKIP: shellcheck is not installed (apt-get install shellcheck)')

;(missing ? test.skip : test)('tsctl-runtime and build.sh pass shellcheck as POSIX sh', () => {
  const dir = runtimeSourceDir()
  const r = spawnSync('shellcheck', ['-s', 'sh', join(dir, 'tsctl-runtime'), join(dir, 'build.sh')], {encoding: 'utf8'})
  assert.is(r.status, 0, r.stdout + r.stderr)
})

test.run()
