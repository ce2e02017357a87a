import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {didYouMean, editDistance} from '../../../src/manifests/suggest.js'

test('edit distance counts a transposition as one edit', () => {
  assert.is(editDistance('containers', 'containres'), 1)
  assert.is(editDistance('abc', 'abc'), 0)
  assert.is(editDistance('', 'ab'), 2)
})

test('didYouMean picks a close candidate, or none', () => {
  assert.is(didYouMean('containres', ['volumes', 'containers', 'initContainers']), 'containers')
  assert.is(didYouMean('imagepullpolicy', ['imagePullPolicy', 'image']), 'imagePullPolicy')
  assert.is(didYouMean('zzzz', ['containers']), undefined)
})

test.run()
