// Golden files for what reconcile serialises: the first pass of a small
// app (plan, summary, new state) and the converged end state. Names, UIDs
// and spec hashes are part of the contract: a host runs the pods a state
// names, so a change here means every running pod would be replaced after
// an upgrade. Regenerate on purpose with UPDATE_GOLDEN=1.
import {test} from 'uvu'
import {converge} from '../../../src/reconcile/converge.js'
import {emptyState} from '../../../src/state/model.js'
import {golden as compare} from '../../fixtures/golden.js'
import {configMap, cronjob, daemonset, deployment, desired, job, node, service, statefulset, T0} from './fixtures.js'

function golden(name: string, value: unknown) {
  compare('test/unit/reconcile/testdata', name, JSON.stringify(value, null, 2) + '\n')
}

test('example app: first pass and converged end state', () => {
  const objs = [
    node('a').label('zone', 'a'),
    node('b').label('zone', 'b').taint('dedicated', 'batch'),
    configMap('web-config', {'index.html': 'hello'}),
    deployment('web').replicas(3).configVolume('web-config'),
    service('web', {app: 'web'}),
    statefulset('db').replicas(2).claim('data'),
    daemonset('agent'),
    job('migrate'),
    cronjob('report').schedule('0 * * * *'),
  ]
  const c = converge({desired: desired(objs, 'feedface'.repeat(5), 'example'), state: emptyState('golden'), observed: {nodes: {}}, now: T0})
  golden('first-pass.json', {plan: c.first.plan, summary: c.first.summary, events: c.first.events})
  golden('converged-state.json', {passes: c.passes, stuck: c.stuck, rollouts: c.final.rollouts, state: c.final.state})
})

test.run()
