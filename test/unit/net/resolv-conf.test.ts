import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {podResolvConf, type ResolvConfInput} from '../../../src/net/resolv-conf.js'
import {netConfig} from './builders.js'

const base: ResolvConfInput = {config: netConfig(), gateway: '198.19.0.1', namespace: 'shop'}
const conf = (over: Partial<ResolvConfInput> = {}) => podResolvConf({...base, ...over})

test('ClusterFirst (the default): the node’s resolver, the namespace’s search path, ndots:5', () => {
  const expected = 'nameserver 198.19.0.1\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n'
  assert.is(conf(), expected)
  assert.is(conf({dnsPolicy: 'ClusterFirst'}), expected)
})

test('the host network: ClusterFirst falls back to the host’s file, ClusterFirstWithHostNet does not', () => {
  assert.is(conf({hostNetwork: true}), undefined)
  assert.is(conf({dnsPolicy: 'Default'}), undefined)
  assert.match(conf({dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true})!, /^nameserver 198\.19\.0\.1\n/)
})

test('None: only dnsConfig', () => {
  assert.is(conf({dnsPolicy: 'None', dnsConfig: {nameservers: ['198.18.0.53'], searches: ['corp.invalid'], options: [{name: 'edns0'}]}}), 'nameserver 198.18.0.53\nsearch corp.invalid\noptions edns0\n')
  assert.is(conf({dnsPolicy: 'None'}), '')
})

test('dnsConfig merged as the kubelet does: appended without duplicates, options replaced by name', () => {
  const text = conf({
    dnsConfig: {
      nameservers: ['198.18.0.53', '198.19.0.1'],
      searches: ['svc.cluster.local', 'corp.invalid'],
      options: [{name: 'ndots', value: '2'}, {name: 'single-request-reopen'}],
    },
  })
  assert.is(text, 'nameserver 198.19.0.1\nnameserver 198.18.0.53\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.invalid\noptions ndots:2 single-request-reopen\n')
})

test('limits: 3 nameservers, 32 search domains, no domain over 253 characters', () => {
  const text = conf({
    dnsConfig: {
      nameservers: ['198.18.0.1', '198.18.0.2', '198.18.0.3'],
      searches: [`${'a'.repeat(250)}.invalid`, ...Array.from({length: 40}, (_, i) => `d${i}.invalid`)],
    },
  })!
  assert.equal(text.split('\n').filter((l) => l.startsWith('nameserver')), ['nameserver 198.19.0.1', 'nameserver 198.18.0.1', 'nameserver 198.18.0.2'])
  const search = text.split('\n').find((l) => l.startsWith('search '))!.split(' ').slice(1)
  assert.is(search.length, 31)
  assert.is(search[3], 'd0.invalid')
  assert.not.ok(search.some((d) => d.length > 253))
})

test('the search line is cut from the end to 2048 characters', () => {
  const long = Array.from({length: 20}, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(150)}.invalid`)
  const search = conf({dnsConfig: {searches: long}})!.split('\n').find((l) => l.startsWith('search '))!.slice('search '.length)
  assert.ok(search.length <= 2048, String(search.length))
  assert.ok(search.length > 2048 - 170)
  assert.match(search, /^shop\.svc\.cluster\.local /)
})

test.run()
