// One label-selector semantics: the table below is run through validation's
// selectorMatches (src/manifests/selector.ts) and the scheduler's compiled
// Selector (src/reconcile/scheduler/selector.ts); both must give the answer
// apimachinery's LabelSelectorAsSelector gives.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {selectorMatches, type LabelSelectorLike} from '../../../src/manifests/selector.js'
import {Selector} from '../../../src/reconcile/scheduler/selector.js'

const L = {app: 'web', tier: 'front', 'app.kubernetes.io/version': '3'}
const table: [string, LabelSelectorLike, Record<string, string>, boolean][] = [
  ['empty selector matches everything', {}, L, true],
  ['empty selector matches no labels too', {}, {}, true],
  ['matchLabels equal', {matchLabels: {app: 'web'}}, L, true],
  ['matchLabels differ', {matchLabels: {app: 'api'}}, L, false],
  ['matchLabels missing key', {matchLabels: {env: 'prod'}}, L, false],
  ['matchLabels and expressions are ANDed', {matchLabels: {app: 'web'}, matchExpressions: [{key: 'tier', operator: 'In', values: ['back']}]}, L, false],
  ['In one of several', {matchExpressions: [{key: 'tier', operator: 'In', values: ['back', 'front']}]}, L, true],
  ['In on a missing key', {matchExpressions: [{key: 'env', operator: 'In', values: ['prod']}]}, L, false],
  ['NotIn matches a missing key', {matchExpressions: [{key: 'env', operator: 'NotIn', values: ['prod']}]}, L, true],
  ['NotIn a value it has', {matchExpressions: [{key: 'app', operator: 'NotIn', values: ['api', 'web']}]}, L, false],
  ['Exists', {matchExpressions: [{key: 'tier', operator: 'Exists'}]}, L, true],
  ['Exists on a missing key', {matchExpressions: [{key: 'env', operator: 'Exists'}]}, L, false],
  ['DoesNotExist on a missing key', {matchExpressions: [{key: 'env', operator: 'DoesNotExist'}]}, L, true],
  ['DoesNotExist on a present key', {matchExpressions: [{key: 'app', operator: 'DoesNotExist'}]}, L, false],
  ['Gt is not a label-selector operator', {matchExpressions: [{key: 'app.kubernetes.io/version', operator: 'Gt', values: ['1']}]}, L, false],
  ['an unknown operator never matches', {matchExpressions: [{key: 'app', operator: 'Equals', values: ['web']}]}, L, false],
  ['a key named like an Object property is still missing', {matchExpressions: [{key: 'constructor', operator: 'Exists'}]}, L, false],
  ['DoesNotExist on an Object property name', {matchExpressions: [{key: 'toString', operator: 'DoesNotExist'}]}, L, true],
]

for (const [name, sel, labels, want] of table) {
  test(`selector: ${name}`, () => {
    assert.is(selectorMatches(sel, labels), want, 'manifests/selector.ts')
    assert.is(Selector.from(sel as never).matches(labels), want, 'scheduler Selector')
  })
}

test('an absent selector matches nothing in the scheduler (labels.Nothing())', () => {
  assert.is(Selector.from(undefined).matches(L), false)
  assert.is(Selector.from(null).matches({}), false)
})

test.run()
