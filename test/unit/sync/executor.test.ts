// The executor runs exactly the plan: per node in order, deletes of every
// node before anything else, a failing node stops only its own remaining
// actions. Checked on RuntimeClients over a transport that records argv.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import type {KubeObject} from '../../../src/manifests/object.js'
import type {Action} from '../../../src/reconcile/plan.js'
import {RuntimeClient} from '../../../src/host/runtime-client.js'
import {executePlan} from '../../../src/sync/executor/executor.js'
import {ImageResolver} from '../../../src/sync/executor/images.js'
import type {RunOptions, RunResult, Transport} from '../../../src/transport/transport.js'
import {emptyState} from '../../../src/state/model.js'

/** Records every command as `node verb args…`; FAIL says which verbs exit non-zero on which node. */
class Recorder implements Transport {
  constructor(readonly node: string, private readonly log: string[], private readonly fail: (node: string, verb: string) => boolean = () => false) {}
  async exec(argv: string[], _opts?: RunOptions): Promise<RunResult> {
    // the runtime root check before the first verb (RuntimeClient.ensureInstalled): installed
    if (argv[0] === 'sh' && argv[1] === '-c') return {code: 0, stdout: Buffer.alloc(0), stderr: ''}
    const verb = argv[3]
    this.log.push([this.node, verb, ...argv.slice(4)].join(' '))
    await new Promise((r) => setTimeout(r, 1))
    if (this.fail(this.node, verb)) return {code: 1, stdout: Buffer.alloc(0), stderr: 'disk full'}
    return {code: 0, stdout: Buffer.from(verb === 'apply' ? 'started\n' : ''), stderr: ''}
  }
  async close(): Promise<void> {}
}

/** An image with no layers: nothing to send, nothing to read from disk. */
const noImages = {forPod: async () => [], config: () => ({layers: []}), prepare: async () => {}} as unknown as ImageResolver

const files = {files: new Map([['tsctl-runtime', Buffer.from('')]]), hash: 'h'}
function hosts(log: string[], fail?: (node: string, verb: string) => boolean) {
  const clients = new Map<string, RuntimeClient>()
  return {
    client(node: string) {
      let c = clients.get(node)
      if (!c) clients.set(node, (c = new RuntimeClient(new Recorder(node, log, fail), {root: '/r', files})))
      return c
    },
  }
}

const pod = (name: string, node: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {name, namespace: 'default', uid: `uid-${name}`},
  spec: {nodeName: node, containers: [{name: 'c', image: 'oci:none', command: ['true']}]},
})
const create = (name: string, node: string): Action => ({type: 'create', node, target: `Pod/default/${name}`, pod: pod(name, node), specHash: 'abc', reason: 'new'})
const del = (name: string, node: string): Action => ({type: 'delete', node, target: `Pod/default/${name}`, uid: `uid-${name}`, gracePeriodSeconds: 3, reason: 'old'})

test('deletes on every node run before any create; each node keeps the plan order', async () => {
  const log: string[] = []
  const plan = {actions: [create('a1', 'a'), create('a2', 'a'), del('b0', 'b'), create('b1', 'b')]}
  const res = await executePlan(plan, {hosts: hosts(log), state: () => emptyState('l'), images: noImages})
  assert.equal(res.failedNodes.size, 0)
  assert.is(log[0], 'b remove uid-b0 3')
  assert.equal(log.filter((l) => l.startsWith('a ')), ['a apply uid-a1', 'a apply uid-a2'])
  assert.equal(res.outcomes.map((o) => o.outcome.ok), [true, true, true, true])
})

test('a failing node stops its remaining actions, not the other nodes\'', async () => {
  const log: string[] = []
  const plan = {actions: [create('a1', 'a'), create('a2', 'a'), create('b1', 'b'), create('b2', 'b')]}
  const after: string[] = []
  const res = await executePlan(plan, {
    hosts: hosts(log, (node, verb) => node === 'a' && verb === 'apply'),
    state: () => emptyState('l'),
    images: noImages,
    afterAction: async (a, o) => void after.push(`${a.target} ${o.ok}`),
  })
  assert.equal([...res.failedNodes.keys()], ['a'])
  assert.match(res.failedNodes.get('a')!, 'disk full')
  assert.equal(log.filter((l) => l.startsWith('a ')), ['a apply uid-a1'], 'a2 never ran')
  assert.equal(log.filter((l) => l.startsWith('b ')), ['b apply uid-b1', 'b apply uid-b2'])
  assert.equal(after.sort(), ['Pod/default/a1 false', 'Pod/default/b1 true', 'Pod/default/b2 true'])
})

test('a replace under a new UID removes the old incarnation first; under the same UID apply replaces it', async () => {
  const log: string[] = []
  const replace = (oldUid: string): Action => ({type: 'replace', node: 'a', target: 'Pod/default/db-0', oldUid, oldSpecHash: 'old', pod: pod('db-0', 'a'), specHash: 'new1', gracePeriodSeconds: 5, reason: 'changed'})
  await executePlan({actions: [replace('uid-old')]}, {hosts: hosts(log), state: () => emptyState('l'), images: noImages})
  assert.equal(log, ['a remove uid-old 5', 'a apply uid-db-0'])
  log.length = 0
  await executePlan({actions: [replace('uid-db-0')]}, {hosts: hosts(log), state: () => emptyState('l'), images: noImages})
  assert.equal(log, ['a apply uid-db-0'])
})

test('shouldStop stops before the next action', async () => {
  const log: string[] = []
  let n = 0
  const res = await executePlan({actions: [create('a1', 'a'), create('a2', 'a')]}, {
    hosts: hosts(log),
    state: () => emptyState('l'),
    images: noImages,
    shouldStop: () => n++ > 0,
  })
  assert.ok(res.stopped)
  assert.equal(log, ['a apply uid-a1'])
})

test.run()
