import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {parseTarget, resolveKind} from '../../../src/cli/kinds.js'
import {renderError} from '../../../src/cli/render-error.js'
import {parseSelector} from '../../../src/cli/selector.js'
import {ExitCode, HostError, LockedError, UserError} from '../../../src/errors.js'
import {shouldColor} from '../../../src/render/color.js'

test('kinds: short names, plurals, kubectl resource names', () => {
  for (const [w, k] of [['po', 'Pod'], ['pods', 'Pod'], ['Pod', 'Pod'], ['deploy', 'Deployment'], ['deployment.apps', 'Deployment'], ['rs', 'ReplicaSet'], ['sts', 'StatefulSet'], ['ds', 'DaemonSet'], ['svc', 'Service'], ['cm', 'ConfigMap'], ['no', 'Node'], ['pvc', 'PersistentVolumeClaim'], ['cronjobs', 'CronJob'], ['secret', 'Secret']]) {
    assert.is(resolveKind(w!).kind, k, w)
  }
  assert.throws(() => resolveKind('ingress'), (e: unknown) => e instanceof UserError && e.exitCode === 2 && /unknown resource type "ingress"/.test(e.message))
  assert.equal(parseTarget(['deploy/web']), {kind: resolveKind('deploy'), name: 'web'})
  assert.equal(parseTarget(['po', 'db-0']), {kind: resolveKind('po'), name: 'db-0'})
  assert.throws(() => parseTarget(['deploy/']), /name is missing/)
})

test('label selectors: equality, inequality, set and existence', () => {
  const l = {app: 'web', tier: 'front', env: 'prod'}
  const yes = ['app=web', 'app==web', 'app=web,tier=front', 'tier!=back', 'env in (prod,staging)', 'env notin (dev)', 'app', '!missing', 'missing!=x']
  const no = ['app=db', 'app=web,tier=back', 'env in (dev, staging)', 'env notin (prod)', 'missing', '!app']
  for (const s of yes) assert.ok(parseSelector(s)(l), s)
  for (const s of no) assert.not.ok(parseSelector(s)(l), s)
  assert.throws(() => parseSelector('app=(web'), (e: unknown) => e instanceof UserError)
})

test('errors: user errors keep their code and list diagnostics one per line, no stack', () => {
  const e = new UserError('2 errors in manifests', ExitCode.invalid, [
    {severity: 'error', file: 'manifests/web.yaml', line: 14, col: 9, field: 'spec.replicas', message: 'must be an integer'},
    {severity: 'error', file: 'manifests/web.yaml', line: 20, col: 5, field: 'spec.template.spec.contianers', message: 'unknown field', hint: 'did you mean "containers"?'},
  ])
  const r = renderError(e, false)
  assert.is(r.exitCode, 2)
  assert.is(r.text, 'error: 2 errors in manifests\nerror: manifests/web.yaml:14:9: spec.replicas: must be an integer\nerror: manifests/web.yaml:20:5: spec.template.spec.contianers: unknown field (did you mean "containers"?)')
  assert.is(r.json.diagnostics.length, 2)
  assert.is(renderError(new LockedError('state is locked by x'), false).exitCode, 3)
  assert.is(renderError(new HostError('node-a', 'unreachable'), false).exitCode, 4)
})

test('errors: unexpected ones are "internal error", exit 2, stack only with TSCTL_DEBUG', () => {
  const e = new TypeError('x is undefined')
  const quiet = renderError(e, false)
  assert.is(quiet.exitCode, 2)
  assert.ok(quiet.text.startsWith('internal error: x is undefined'))
  assert.not.match(quiet.text, ' at ')
  assert.match(renderError(e, true).text, /\n\s+at /)
  const parse = Object.assign(new Error('Nonexistent flag: --bogus'), {oclif: {exit: 2}})
  assert.is(renderError(parse, false).exitCode, 2)
})

test('colour only on a TTY, never with NO_COLOR', () => {
  assert.is(shouldColor({isTTY: true}, {}), true)
  assert.is(shouldColor({isTTY: false}, {}), false)
  assert.is(shouldColor({isTTY: true}, {NO_COLOR: '1'}), false)
  assert.is(shouldColor({isTTY: true}, {NO_COLOR: ''}), true)
  assert.is(shouldColor({isTTY: false}, {FORCE_COLOR: '1'}), true)
  assert.is(shouldColor({isTTY: true}, {NO_COLOR: '1', FORCE_COLOR: '1'}), false)
})

test.run()
