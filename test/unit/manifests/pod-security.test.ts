// Pod Security Standards as pod-security-admission evaluates them at
// "latest". Failing cases and their reason/detail strings are taken from
// kube's own policy/check_*_test.go, so a mismatch here is a mismatch with kube.
import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {
  checkPodSecurity,
  podSecurityMessage,
  type ContainerLike,
  type PodSecurityLevel,
  type PodSecurityViolation,
  type PodSpecLike,
} from '../../../src/manifests/pod-security.js'

type Meta = {annotations?: Record<string, string>}

const check = (level: PodSecurityLevel, spec: PodSpecLike, meta: Meta = {}): PodSecurityViolation[] => checkPodSecurity(level, meta, spec)
const reasons = (vs: PodSecurityViolation[]): string[] => vs.map((v) => v.reason)

/** A container that satisfies every restricted container-level rule. */
function ok(name: string, extra: Partial<ContainerLike> = {}): ContainerLike {
  return {name, ...extra, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: ['ALL']}, ...extra.securityContext}}
}

/** A pod that passes restricted; tests change only what they are about. */
function restrictedPod(containers: ContainerLike[] = [ok('app')], extra: Partial<PodSpecLike> = {}): PodSpecLike {
  return {...extra, securityContext: {runAsNonRoot: true, seccompProfile: {type: 'RuntimeDefault'}, ...extra.securityContext}, containers}
}

function expectOne(vs: PodSecurityViolation[], want: PodSecurityViolation): void {
  assert.equal(vs, [want])
}

test('privileged admits everything', () => {
  const spec: PodSpecLike = {hostNetwork: true, containers: [{name: 'x', securityContext: {privileged: true}}], volumes: [{name: 'y', hostPath: {path: '/'}}]}
  assert.equal(check('privileged', spec), [])
})

test('the restricted fixture pod passes every level', () => {
  for (const level of ['privileged', 'baseline', 'restricted'] as const) assert.equal(check(level, restrictedPod()), [], level)
  assert.equal(check('baseline', {}), [], 'an empty spec is baseline')
})

// ---------------------------------------------------------------- baseline checks

test('privileged: containers that set privileged=true (check_privileged_test.go)', () => {
  const spec: PodSpecLike = {
    containers: [
      {name: 'a', securityContext: null},
      {name: 'b', securityContext: {}},
      {name: 'c', securityContext: {privileged: false}},
      {name: 'd', securityContext: {privileged: true}},
      {name: 'e', securityContext: {privileged: true}},
    ],
  }
  for (const level of ['baseline', 'restricted'] as const) {
    const vs = check(level, level === 'baseline' ? spec : restrictedPod(spec.containers!.map((c) => ok(c.name!, {securityContext: {...c.securityContext}}))))
    assert.equal(vs[0], {
      reason: 'privileged',
      detail: 'containers "d", "e" must not set securityContext.privileged=true',
      pointers: ['/containers/3/securityContext/privileged', '/containers/4/securityContext/privileged'],
    }, level)
  }
  assert.equal(check('baseline', {containers: spec.containers!.slice(0, 3)}), [])
})

test('privileged: init and ephemeral containers count, with their own pointers', () => {
  const spec: PodSpecLike = {
    initContainers: [{name: 'init', securityContext: {privileged: true}}],
    containers: [{name: 'app'}],
    ephemeralContainers: [{name: 'debug', securityContext: {privileged: true}}],
  }
  expectOne(check('baseline', spec), {
    reason: 'privileged',
    detail: 'containers "init", "debug" must not set securityContext.privileged=true',
    pointers: ['/initContainers/0/securityContext/privileged', '/ephemeralContainers/0/securityContext/privileged'],
  })
})

test('host namespaces (check_hostNamespaces_test.go)', () => {
  expectOne(check('baseline', {hostNetwork: true, hostIPC: true, hostPID: true}), {
    reason: 'host namespaces',
    detail: 'hostNetwork=true, hostPID=true, hostIPC=true',
    pointers: ['/hostNetwork', '/hostPID', '/hostIPC'],
  })
  expectOne(check('restricted', restrictedPod(undefined, {hostPID: true})), {reason: 'host namespaces', detail: 'hostPID=true', pointers: ['/hostPID']})
  assert.equal(check('baseline', {hostNetwork: false, hostPID: false, hostIPC: false}), [])
})

test('hostPath volumes (baseline only: restricted reports them as restricted volume types)', () => {
  const spec: PodSpecLike = {volumes: [{name: 'a', emptyDir: {}}, {name: 'b', hostPath: {path: '/var'}}, {name: 'c', hostPath: {path: '/etc'}}]}
  expectOne(check('baseline', spec), {reason: 'hostPath volumes', detail: 'volumes "b", "c"', pointers: ['/volumes/1/hostPath', '/volumes/2/hostPath']})
  expectOne(check('baseline', {volumes: [{name: 'y', hostPath: {path: '/'}}]}), {reason: 'hostPath volumes', detail: 'volume "y"', pointers: ['/volumes/0/hostPath']})
  assert.equal(reasons(check('restricted', restrictedPod(undefined, {volumes: [{name: 'y', hostPath: {path: '/'}}]}))), ['restricted volume types'])
  assert.equal(check('baseline', {volumes: [{name: 'a', emptyDir: {}}, {name: 'b', configMap: {name: 'x'}}]}), [])
})

test('host ports (check_hostPorts_test.go)', () => {
  expectOne(check('baseline', {containers: [{name: 'a', ports: [{hostPort: 0}]}, {name: 'b', ports: [{hostPort: 0}, {hostPort: 20}]}]}), {
    reason: 'hostPort',
    detail: 'container "b" uses hostPort 20',
    pointers: ['/containers/1/ports/1/hostPort'],
  })
  const multi: PodSpecLike = {
    containers: [
      {name: 'a', ports: [{hostPort: 0}]},
      {name: 'b', ports: [{hostPort: 0}, {hostPort: 10}, {hostPort: 20}]},
      {name: 'c', ports: [{hostPort: 0}, {hostPort: 10}, {hostPort: 30}]},
    ],
  }
  expectOne(check('baseline', multi), {
    reason: 'hostPort',
    detail: 'containers "b", "c" use hostPorts 10, 20, 30',
    pointers: ['/containers/1/ports/1/hostPort', '/containers/1/ports/2/hostPort', '/containers/2/ports/1/hostPort', '/containers/2/ports/2/hostPort'],
  })
  assert.is(check('baseline', {containers: [{name: 'a', ports: [{hostPort: 9}, {hostPort: 8080}]}]})[0].detail, 'container "a" uses hostPorts 8080, 9', 'kube sorts ports as strings')
  assert.equal(check('baseline', {containers: [{name: 'a', ports: [{}, {hostPort: 0}]}]}), [])
})

test('non-default capabilities (check_capabilities_baseline_test.go)', () => {
  const spec: PodSpecLike = {
    containers: [
      {name: 'a', securityContext: {capabilities: {add: ['FOO', 'BAR']}}},
      {name: 'b', securityContext: {capabilities: {add: ['BAR', 'BAZ']}}},
    ],
  }
  expectOne(check('baseline', spec), {
    reason: 'non-default capabilities',
    detail: 'containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add',
    pointers: ['/containers/0/securityContext/capabilities/add/0', '/containers/0/securityContext/capabilities/add/1', '/containers/1/securityContext/capabilities/add/0', '/containers/1/securityContext/capabilities/add/1'],
  })
  const defaults = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']
  assert.equal(check('baseline', {containers: [{name: 'a', securityContext: {capabilities: {add: defaults, drop: ['NET_RAW']}}}]}), [])
  assert.is(check('baseline', {containers: [{name: 'a', securityContext: {capabilities: {add: ['NET_RAW']}}}]})[0].reason, 'non-default capabilities')
})

test('AppArmor: pod and container fields (check_appArmorProfile_test.go)', () => {
  expectOne(check('baseline', {securityContext: {appArmorProfile: {type: 'Unconfined'}}}), {
    reason: 'forbidden AppArmor profile',
    detail: 'pod must not set AppArmor profile type to "Unconfined"',
    pointers: ['/securityContext/appArmorProfile/type'],
  })
  expectOne(check('baseline', {securityContext: {appArmorProfile: {type: 'RuntimeDefault'}}, containers: [{name: 'foo'}], initContainers: [{name: 'bar', securityContext: {appArmorProfile: {type: 'Unconfined'}}}]}), {
    reason: 'forbidden AppArmor profile',
    detail: 'container "bar" must not set AppArmor profile type to "Unconfined"',
    pointers: ['/initContainers/0/securityContext/appArmorProfile/type'],
  })
  assert.equal(check('baseline', {securityContext: {appArmorProfile: {type: 'RuntimeDefault'}}, containers: [{name: 'foo', securityContext: {appArmorProfile: {type: 'Localhost'}}}]}), [])
})

test('AppArmor: the deprecated annotations still count, and have no spec pointer', () => {
  const annotations = {
    'container.apparmor.security.beta.kubernetes.io/': 'bogus',
    'container.apparmor.security.beta.kubernetes.io/a': '',
    'container.apparmor.security.beta.kubernetes.io/b': 'runtime/default',
    'container.apparmor.security.beta.kubernetes.io/c': 'localhost/',
    'container.apparmor.security.beta.kubernetes.io/d': 'localhost/foo',
    'container.apparmor.security.beta.kubernetes.io/f': 'unknown',
    'container.apparmor.security.beta.kubernetes.io/e': 'unconfined',
  }
  expectOne(check('baseline', {}, {annotations}), {
    reason: 'forbidden AppArmor profiles',
    detail:
      'annotations must not set AppArmor profile type to ' +
      '"container.apparmor.security.beta.kubernetes.io/="bogus"", ' +
      '"container.apparmor.security.beta.kubernetes.io/e="unconfined"", ' +
      '"container.apparmor.security.beta.kubernetes.io/f="unknown""',
    pointers: [],
  })
  assert.equal(check('baseline', {}, {annotations: {'container.apparmor.security.beta.kubernetes.io/test': 'runtime/default', env: 'prod'}}), [])
  const both = check('baseline', {containers: [{name: 'x', securityContext: {appArmorProfile: {type: 'Unconfined'}}}]}, {annotations: {'container.apparmor.security.beta.kubernetes.io/x': 'unconfined'}})
  assert.is(both[0].detail, 'container "x" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/x="unconfined""')
  assert.is(both[0].reason, 'forbidden AppArmor profiles')
})

test('seLinuxOptions (check_seLinuxOptions_test.go, 1.31 types)', () => {
  const spec: PodSpecLike = {
    securityContext: {seLinuxOptions: {type: 'foo', user: 'bar', role: 'baz'}},
    containers: [
      {name: 'a', securityContext: {seLinuxOptions: {type: 'container_t'}}},
      {name: 'b', securityContext: {seLinuxOptions: {type: 'container_init_t'}}},
      {name: 'c', securityContext: {seLinuxOptions: {type: 'container_kvm_t'}}},
      {name: 'd', securityContext: {seLinuxOptions: {type: 'container_engine_t'}}},
      {name: 'e', securityContext: {seLinuxOptions: {type: 'bar'}}},
      {name: 'f', securityContext: {seLinuxOptions: {user: 'bar'}}},
      {name: 'g', securityContext: {seLinuxOptions: {role: 'baz'}}},
    ],
  }
  expectOne(check('baseline', spec), {
    reason: 'seLinuxOptions',
    detail: 'pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set',
    pointers: [
      '/securityContext/seLinuxOptions/type',
      '/securityContext/seLinuxOptions/user',
      '/securityContext/seLinuxOptions/role',
      '/containers/4/securityContext/seLinuxOptions/type',
      '/containers/5/securityContext/seLinuxOptions/user',
      '/containers/6/securityContext/seLinuxOptions/role',
    ],
  })
  assert.is(check('baseline', {securityContext: {seLinuxOptions: {user: 'bad'}}})[0].detail, 'pod set forbidden securityContext.seLinuxOptions: user may not be set')
  assert.is(check('baseline', {securityContext: {seLinuxOptions: {type: 'bad'}}})[0].detail, 'pod set forbidden securityContext.seLinuxOptions: type "bad"')
  assert.equal(check('baseline', {securityContext: {seLinuxOptions: {level: 's0:c1,c2'}}, containers: spec.containers!.slice(0, 4)}), [])
})

test('procMount: baseline forbids Unmasked unless the pod is in a user namespace (1.35)', () => {
  const spec: PodSpecLike = {containers: [{name: 'a', securityContext: {procMount: 'Unmasked'}}, {name: 'b', securityContext: {procMount: 'Default'}}]}
  const want = {reason: 'procMount', detail: 'container "a" must not set securityContext.procMount to "Unmasked"', pointers: ['/containers/0/securityContext/procMount']}
  expectOne(check('baseline', spec), want)
  expectOne(check('baseline', {...spec, hostUsers: true}), want)
  assert.equal(check('baseline', {...spec, hostUsers: false}), [])
  assert.equal(check('baseline', {containers: [{name: 'b', securityContext: {procMount: 'Default'}}]}), [])
})

test('procMount: restricted replaces it with the unconditional check (procMount_restricted)', () => {
  const spec = restrictedPod([ok('a', {securityContext: {procMount: 'Unmasked'}})], {hostUsers: false})
  expectOne(check('restricted', spec), {reason: 'procMount', detail: 'container "a" must not set securityContext.procMount to "Unmasked"', pointers: ['/containers/0/securityContext/procMount']})
  assert.equal(check('restricted', restrictedPod([ok('a', {securityContext: {procMount: 'Default'}})])), [])
})

test('seccompProfile at baseline: only explicit bad types', () => {
  const spec: PodSpecLike = {
    securityContext: {seccompProfile: {type: 'RuntimeDefault'}},
    containers: [
      {name: 'a', securityContext: null},
      {name: 'b', securityContext: {}},
      {name: 'c', securityContext: {seccompProfile: {type: 'Unconfined'}}},
      {name: 'd', securityContext: {seccompProfile: {type: 'Unconfined'}}},
      {name: 'e', securityContext: {seccompProfile: {type: 'RuntimeDefault'}}},
    ],
  }
  expectOne(check('baseline', spec), {
    reason: 'seccompProfile',
    detail: 'containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"',
    pointers: ['/containers/2/securityContext/seccompProfile/type', '/containers/3/securityContext/seccompProfile/type'],
  })
  expectOne(check('baseline', {securityContext: {seccompProfile: {type: 'Unconfined'}}, containers: [{name: 'c', securityContext: {seccompProfile: {type: 'Unconfined'}}}]}), {
    reason: 'seccompProfile',
    detail: 'pod and container "c" must not set securityContext.seccompProfile.type to "Unconfined"',
    pointers: ['/securityContext/seccompProfile/type', '/containers/0/securityContext/seccompProfile/type'],
  })
  assert.equal(check('baseline', {containers: [{name: 'a'}, {name: 'b', securityContext: {seccompProfile: {type: 'Localhost'}}}]}), [], 'unset is fine at baseline')
})

test('sysctls: the 1.32 safe set, reported in spec order (check_sysctls_test.go)', () => {
  expectOne(check('baseline', {securityContext: {sysctls: [{name: 'a'}, {name: 'b'}]}}), {reason: 'forbidden sysctls', detail: 'a, b', pointers: ['/securityContext/sysctls/0/name', '/securityContext/sysctls/1/name']})
  const safe = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']
  assert.equal(check('baseline', {securityContext: {sysctls: safe.map((name) => ({name, value: '1'}))}}), [])
  assert.is(check('baseline', {securityContext: {sysctls: [{name: 'kernel.shm_rmid_forced'}, {name: 'net.core.somaxconn'}, {name: 'kernel.msgmax'}]}})[0].detail, 'net.core.somaxconn, kernel.msgmax')
})

test('hostProcess (check_windowsHostProcess_test.go)', () => {
  const spec: PodSpecLike = {
    securityContext: {windowsOptions: {hostProcess: true}},
    containers: [
      {name: 'a', securityContext: null},
      {name: 'b', securityContext: {}},
      {name: 'c', securityContext: {windowsOptions: {}}},
      {name: 'd', securityContext: {windowsOptions: {hostProcess: false}}},
      {name: 'e', securityContext: {windowsOptions: {hostProcess: true}}},
      {name: 'f', securityContext: {windowsOptions: {hostProcess: true}}},
    ],
  }
  expectOne(check('baseline', spec), {
    reason: 'hostProcess',
    detail: 'pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true',
    pointers: ['/securityContext/windowsOptions/hostProcess', '/containers/4/securityContext/windowsOptions/hostProcess', '/containers/5/securityContext/windowsOptions/hostProcess'],
  })
  assert.equal(check('baseline', {containers: spec.containers!.slice(0, 4)}), [])
})

test('probe or lifecycle host (check_hostProbesAndhostLifecycle_test.go): even localhost', () => {
  expectOne(
    check('baseline', {
      containers: [
        {
          name: 'a',
          livenessProbe: {httpGet: {host: '127.0.0.1'}},
          readinessProbe: {tcpSocket: {host: '::1'}},
          startupProbe: {httpGet: {host: 'localhost'}},
        },
      ],
    }),
    {
      reason: 'probe or lifecycle host',
      detail: 'container "a" uses probe or lifecycle hosts "127.0.0.1", "::1", "localhost"',
      pointers: ['/containers/0/livenessProbe/httpGet/host', '/containers/0/readinessProbe/tcpSocket/host', '/containers/0/startupProbe/httpGet/host'],
    },
  )
  const multi: PodSpecLike = {
    containers: [
      {name: 'valid'},
      {name: 'invalid1', livenessProbe: {httpGet: {host: 'a.com'}}},
      {name: 'invalid2', lifecycle: {preStop: {tcpSocket: {host: 'b.com'}}}, startupProbe: {httpGet: {host: 'a.com'}}},
    ],
  }
  expectOne(check('baseline', multi), {
    reason: 'probe or lifecycle host',
    detail: 'containers "invalid1", "invalid2" use probe or lifecycle hosts "a.com", "b.com"',
    pointers: ['/containers/1/livenessProbe/httpGet/host', '/containers/2/startupProbe/httpGet/host', '/containers/2/lifecycle/preStop/tcpSocket/host'],
  })
  assert.is(check('baseline', {initContainers: [{name: 'init', livenessProbe: {httpGet: {host: 'invalid.init.host'}}}]})[0].detail, 'container "init" uses probe or lifecycle host "invalid.init.host"')
  assert.is(check('baseline', {containers: [{name: 'z'}, {name: 'b', lifecycle: {postStart: {httpGet: {host: 'x'}}}}, {name: 'a', readinessProbe: {tcpSocket: {host: 'x'}}}]})[0].detail, 'containers "a", "b" use probe or lifecycle host "x"', 'container names sorted, as kube holds them in a set')
  assert.equal(check('baseline', {containers: [{name: 'a', livenessProbe: {httpGet: {}}, readinessProbe: {tcpSocket: {host: ''}}, lifecycle: {postStart: {httpGet: {}}}}]}), [])
})

// ---------------------------------------------------------------- restricted checks

test('allowPrivilegeEscalation must be false; missing fields point at the nearest existing ancestor', () => {
  const spec = restrictedPod([ok('a'), {name: 'b', securityContext: {capabilities: {drop: ['ALL']}}}, ok('c', {securityContext: {allowPrivilegeEscalation: true}})])
  expectOne(check('restricted', spec), {
    reason: 'allowPrivilegeEscalation != false',
    detail: 'containers "b", "c" must set securityContext.allowPrivilegeEscalation=false',
    pointers: ['/containers/1/securityContext', '/containers/2/securityContext/allowPrivilegeEscalation'],
  })
  assert.equal(check('baseline', spec), [], 'a restricted-only rule')
  assert.equal(check('restricted', restrictedPod([ok('a')])), [])
})

test('capabilities at restricted: drop ALL, add at most NET_BIND_SERVICE (check_capabilities_restricted_test.go)', () => {
  const sc = {allowPrivilegeEscalation: false}
  const spec = restrictedPod([
    {name: 'a', securityContext: {...sc, capabilities: {add: ['FOO', 'BAR']}}},
    {name: 'b', securityContext: {...sc, capabilities: {add: ['BAR', 'BAZ']}}},
    {name: 'c', securityContext: {...sc, capabilities: {add: ['NET_BIND_SERVICE', 'CHOWN'], drop: ['ALL', 'FOO']}}},
  ])
  expectOne(check('restricted', spec), {
    reason: 'unrestricted capabilities',
    detail: 'containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add',
    pointers: [
      '/containers/0/securityContext/capabilities',
      '/containers/1/securityContext/capabilities',
      '/containers/0/securityContext/capabilities/add/0',
      '/containers/0/securityContext/capabilities/add/1',
      '/containers/1/securityContext/capabilities/add/0',
      '/containers/1/securityContext/capabilities/add/1',
      '/containers/2/securityContext/capabilities/add/1',
    ],
  })
  expectOne(check('restricted', restrictedPod([{name: 'a', securityContext: {...sc, capabilities: {drop: ['NET_RAW']}}}])), {
    reason: 'unrestricted capabilities',
    detail: 'container "a" must set securityContext.capabilities.drop=["ALL"]',
    pointers: ['/containers/0/securityContext/capabilities/drop'],
  })
  assert.equal(check('restricted', restrictedPod([ok('a', {securityContext: {capabilities: {drop: ['ALL'], add: ['NET_BIND_SERVICE']}}})])), [])
})

test('capabilities at restricted replace the baseline check instead of adding to it', () => {
  const spec = restrictedPod([ok('a', {securityContext: {capabilities: {drop: ['ALL'], add: ['SYS_ADMIN']}}})])
  assert.equal(reasons(check('baseline', spec)), ['non-default capabilities'])
  assert.equal(reasons(check('restricted', spec)), ['unrestricted capabilities'])
})

test('restricted volume types (check_restrictedVolumes_test.go)', () => {
  const volumes = [
    ...['emptyDir', 'secret', 'persistentVolumeClaim', 'downwardAPI', 'configMap', 'projected', 'csi', 'ephemeral', 'image'].map((s, i) => ({name: `a${i + 1}`, [s]: {}})),
    ...['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos'].map((s, i) => ({name: `b${i + 1}`, [s]: {}})),
    {name: 'c1'},
  ]
  const [v] = check('restricted', restrictedPod(undefined, {volumes}))
  assert.is(v.reason, 'restricted volume types')
  assert.is(
    v.detail,
    'volumes "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11", "b12", "b13", "b14", "b15", "b16", "b17", "b18", "b19", "b20", "b21", "c1"' +
      ' use restricted volume types ' +
      '"awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", ' +
      '"hostPath", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "unknown", "vsphereVolume"',
  )
  assert.equal(v.pointers.slice(0, 2), ['/volumes/9/hostPath', '/volumes/10/gcePersistentDisk'])
  assert.is(v.pointers[v.pointers.length - 1], '/volumes/30', 'a volume without a known source points at the volume')
  assert.equal(check('restricted', restrictedPod(undefined, {volumes: volumes.slice(0, 9)})), [])
  assert.equal(check('restricted', restrictedPod(undefined, {volumes: [{name: 'n', nfs: {server: 's', path: '/'}}]}))[0].detail, 'volume "n" uses restricted volume type "nfs"')
  assert.equal(check('baseline', {volumes: [{name: 'n', nfs: {server: 's', path: '/'}}]}), [], 'baseline only forbids hostPath')
})

test('runAsNonRoot (check_runAsNonRoot_test.go)', () => {
  const base = (containers: ContainerLike[], pod?: boolean): PodSpecLike => ({securityContext: {seccompProfile: {type: 'RuntimeDefault'}, runAsNonRoot: pod}, containers: containers.map((c) => ok(c.name!, c))})
  expectOne(check('restricted', {...base([{name: 'a'}]), securityContext: {seccompProfile: {type: 'RuntimeDefault'}}}), {
    reason: 'runAsNonRoot != true',
    detail: 'pod or container "a" must set securityContext.runAsNonRoot=true',
    pointers: ['/containers/0/securityContext', '/securityContext'],
  })
  expectOne(check('restricted', base([{name: 'a'}], false)), {reason: 'runAsNonRoot != true', detail: 'pod must not set securityContext.runAsNonRoot=false', pointers: ['/securityContext/runAsNonRoot']})
  const mixed = [{name: 'a'}, {name: 'b'}, {name: 'c', securityContext: {runAsNonRoot: false}}, {name: 'd', securityContext: {runAsNonRoot: false}}, {name: 'e', securityContext: {runAsNonRoot: true}}]
  expectOne(check('restricted', base(mixed, true)), {
    reason: 'runAsNonRoot != true',
    detail: 'containers "c", "d" must not set securityContext.runAsNonRoot=false',
    pointers: ['/containers/2/securityContext/runAsNonRoot', '/containers/3/securityContext/runAsNonRoot'],
  })
  const fallthrough = [{name: 'a'}, {name: 'b'}, {name: 'd', securityContext: {runAsNonRoot: true}}]
  assert.is(check('restricted', base(fallthrough))[0].detail, 'pod or containers "a", "b" must set securityContext.runAsNonRoot=true')
  assert.equal(check('restricted', {...base([{name: 'a'}], false), hostUsers: false}), [], 'user namespaces relax it (1.35)')
  assert.equal(check('restricted', base([{name: 'a', securityContext: {runAsNonRoot: true}}])), [])
})

test('runAsUser=0 (check_runAsUser_test.go)', () => {
  expectOne(check('restricted', restrictedPod(undefined, {securityContext: {runAsUser: 0}})), {reason: 'runAsUser=0', detail: 'pod must not set runAsUser=0', pointers: ['/securityContext/runAsUser']})
  const spec = restrictedPod([ok('a'), ok('c', {securityContext: {runAsUser: 0}}), ok('d', {securityContext: {runAsUser: 0}}), ok('e', {securityContext: {runAsUser: 1}})], {securityContext: {runAsUser: 1000}})
  expectOne(check('restricted', spec), {
    reason: 'runAsUser=0',
    detail: 'containers "c", "d" must not set runAsUser=0',
    pointers: ['/containers/1/securityContext/runAsUser', '/containers/2/securityContext/runAsUser'],
  })
  assert.equal(check('restricted', restrictedPod(undefined, {securityContext: {runAsUser: 0}, hostUsers: false})), [], 'user namespaces relax it (1.35)')
  assert.equal(reasons(check('restricted', restrictedPod(undefined, {securityContext: {runAsUser: 0}, hostUsers: true}))), ['runAsUser=0'])
  assert.equal(check('baseline', {securityContext: {runAsUser: 0}}), [])
})

test('seccompProfile at restricted: must be set, at pod or container level (check_seccompProfile_restricted_test.go)', () => {
  const pod = (containers: ContainerLike[], type?: string): PodSpecLike => ({securityContext: {runAsNonRoot: true, ...(type ? {seccompProfile: {type}} : {})}, containers: containers.map((c) => ok(c.name!, c))})
  expectOne(check('restricted', pod([{name: 'a'}])), {
    reason: 'seccompProfile',
    detail: 'pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    pointers: ['/containers/0/securityContext', '/securityContext'],
  })
  expectOne(check('restricted', pod([{name: 'a'}], 'Unconfined')), {reason: 'seccompProfile', detail: 'pod must not set securityContext.seccompProfile.type to "Unconfined"', pointers: ['/securityContext/seccompProfile/type']})
  const fallthrough = [{name: 'a'}, {name: 'b'}, {name: 'd', securityContext: {seccompProfile: {type: 'RuntimeDefault'}}}]
  assert.is(check('restricted', pod(fallthrough))[0].detail, 'pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"')
  assert.equal(reasons(check('restricted', pod([{name: 'a', securityContext: {seccompProfile: {type: 'Unconfined'}}}], 'RuntimeDefault'))), ['seccompProfile'], 'the baseline seccomp check is replaced, not doubled')
  assert.equal(check('restricted', pod([{name: 'a', securityContext: {seccompProfile: {type: 'Localhost'}}}])), [])
})

test('Windows pods are exempt from the Linux-only restricted fields (1.25)', () => {
  const spec: PodSpecLike = {os: {name: 'windows'}, securityContext: {runAsNonRoot: true}, containers: [{name: 'a'}]}
  assert.equal(check('restricted', spec), [])
  assert.equal(reasons(check('restricted', {...spec, os: {name: 'linux'}})), ['allowPrivilegeEscalation != false', 'unrestricted capabilities', 'seccompProfile'])
})

// ---------------------------------------------------------------- order and messages

test('violations come in kube order: baseline check IDs sorted, then restricted IDs sorted', () => {
  const spec: PodSpecLike = {
    hostNetwork: true,
    securityContext: {appArmorProfile: {type: 'Unconfined'}, seLinuxOptions: {user: 'u'}, sysctls: [{name: 'kernel.msgmax'}], windowsOptions: {hostProcess: true}, runAsUser: 0},
    containers: [
      {
        name: 'x',
        ports: [{hostPort: 80}],
        livenessProbe: {httpGet: {host: 'h'}},
        securityContext: {privileged: true, procMount: 'Unmasked', seccompProfile: {type: 'Unconfined'}, capabilities: {add: ['SYS_ADMIN']}},
      },
    ],
    volumes: [{name: 'y', hostPath: {path: '/'}}],
  }
  assert.equal(reasons(check('baseline', spec)), [
    'forbidden AppArmor profile',
    'non-default capabilities',
    'host namespaces',
    'hostPath volumes',
    'hostPort',
    'probe or lifecycle host',
    'privileged',
    'procMount',
    'seLinuxOptions',
    'seccompProfile',
    'forbidden sysctls',
    'hostProcess',
  ])
  assert.equal(reasons(check('restricted', spec)), [
    'forbidden AppArmor profile',
    'host namespaces',
    'hostPort',
    'probe or lifecycle host',
    'privileged',
    'seLinuxOptions',
    'forbidden sysctls',
    'hostProcess',
    'allowPrivilegeEscalation != false',
    'unrestricted capabilities',
    'procMount',
    'restricted volume types',
    'runAsNonRoot != true',
    'runAsUser=0',
    'seccompProfile',
  ])
})

test('message: the one kubectl prints for a bare container under restricted', () => {
  const spec: PodSpecLike = {containers: [{name: 'nginx'}]}
  assert.is(
    podSecurityMessage('restricted', check('restricted', spec)),
    'violates PodSecurity "restricted:latest": ' +
      'allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), ' +
      'runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  )
})

test('message: baseline with a privileged container and a hostPath volume (check-ID order)', () => {
  const spec: PodSpecLike = {containers: [{name: 'x', securityContext: {privileged: true}}], volumes: [{name: 'y', hostPath: {path: '/data'}}]}
  assert.is(
    podSecurityMessage('baseline', check('baseline', spec)),
    'violates PodSecurity "baseline:latest": hostPath volumes (volume "y"), privileged (container "x" must not set securityContext.privileged=true)',
  )
})

test('message: several details of one check stay inside its parentheses', () => {
  const spec = restrictedPod([{name: 'a', securityContext: {allowPrivilegeEscalation: false, capabilities: {add: ['NET_ADMIN']}}}], {hostNetwork: true, hostPID: true})
  assert.is(
    podSecurityMessage('restricted', check('restricted', spec)),
    'violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true, hostPID=true), ' +
      'unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"]; container "a" must not include "NET_ADMIN" in securityContext.capabilities.add)',
  )
})

test('message: nothing to report, and a reason without detail', () => {
  assert.is(podSecurityMessage('baseline', []), '')
  assert.is(
    podSecurityMessage('baseline', [{reason: 'a', detail: '', pointers: []}, {reason: '', detail: 'd', pointers: []}]),
    'violates PodSecurity "baseline:latest": a, unknown forbidden reason (d)',
  )
})

test('the input is not changed', () => {
  const spec = restrictedPod([{name: 'a'}], {volumes: [{name: 'v', nfs: {}}]})
  const before = JSON.stringify(spec)
  check('restricted', spec)
  assert.is(JSON.stringify(spec), before)
})

test.run()
