import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {formatDiagnostic} from '../../src/errors.js'
import {objectKey} from '../../src/manifests/object.js'

test('diagnostic names file, line, column and field', () => {
  const s = formatDiagnostic({severity: 'error', file: 'manifests/web.yaml', line: 14, col: 9, field: 'spec.replicas', message: 'must be an integer'})
  assert.is(s, 'error: manifests/web.yaml:14:9: spec.replicas: must be an integer')
})

test('object keys scope namespaced kinds and not cluster-scoped ones', () => {
  assert.is(objectKey('Deployment', undefined, 'web'), 'Deployment/default/web')
  assert.is(objectKey('Node', 'x', 'node-a'), 'Node/node-a')
})

test.run()
