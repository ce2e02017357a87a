// clone keeps JSON's rules exactly (it replaced a stringify/parse round
// trip): undefined properties dropped, odd array items and numbers null,
// toJSON honoured, and a "__proto__" key stays data.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {clone} from '../../../src/reconcile/util.js'

const viaJson = (v: unknown) => JSON.parse(JSON.stringify(v))

test('same result as a JSON round trip', () => {
  const cases: unknown[] = [
    {a: 1, b: undefined, c: [1, undefined, NaN, () => 1], d: {e: null, f: 'x', g: Infinity}, h: new Date(0)},
    [],
    'str',
    5,
    null,
    {n: {m: [{}, [[]]]}, s: Symbol.for('x')},
  ]
  for (const c of cases) assert.equal(clone(c), viaJson(c))
  assert.not.ok('nodeName' in clone({nodeName: undefined}), 'an undefined property is gone, as after JSON')
})

test('a deep copy: changing it leaves the original alone', () => {
  const o = {spec: {containers: [{name: 'a', env: [{name: 'X', value: '1'}]}]}}
  const c = clone(o)
  c.spec.containers[0].env[0].value = '2'
  assert.is(o.spec.containers[0].env[0].value, '1')
})

test('"__proto__" stays an own property, never the prototype', () => {
  const evil = JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}')
  const c = clone(evil) as Record<string, unknown>
  assert.is(Object.getPrototypeOf(c), Object.prototype)
  assert.is((c as {polluted?: number}).polluted, undefined)
  assert.equal(JSON.stringify(c), JSON.stringify(evil))
})

test.run()
