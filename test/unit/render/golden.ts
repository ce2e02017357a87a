// Golden files of the renderers: test/unit/render/golden/<name> (test/fixtures/golden.ts).
import {golden as compare} from '../../fixtures/golden.js'

export function golden(name: string, actual: string): void {
  compare('test/unit/render/golden', name, actual)
}
