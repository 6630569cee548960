import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {registerSecretVariable} from '../../src/model/secrets/secret-environment.js'
import {mayPrune, stackDeployArgs, stackDeployEnvironment} from '../../src/model/swarm/stack-invocation.js'

const project = {namespace: 'demo', files: ['/srv/stacks/demo/compose.yaml', '/srv/stacks/demo/compose.prod.yaml', '/home/kedge/run/demo/kedge-override.yaml']}

describe('stackDeployArgs', () => {
  it('deploys the files in order, the override last, without waiting and with the registry credentials', () => {
    assert.deepEqual(stackDeployArgs(project, {prune: false}), [
      'stack',
      'deploy',
      '--with-registry-auth',
      '--resolve-image',
      'always',
      '--detach=true',
      '-c',
      '/srv/stacks/demo/compose.yaml',
      '-c',
      '/srv/stacks/demo/compose.prod.yaml',
      '-c',
      '/home/kedge/run/demo/kedge-override.yaml',
      'demo',
    ])
  })

  it('prunes only when asked', () => {
    const args = stackDeployArgs(project, {prune: true})
    assert.deepEqual(args.slice(-2), ['--prune', 'demo'])
    assert.equal(stackDeployArgs(project, {prune: false}).includes('--prune'), false)
  })

  it('refuses a relative file, no file, and a stack name Docker would refuse or read as an option', () => {
    assert.throws(() => stackDeployArgs({namespace: 'demo', files: ['compose.yaml']}, {prune: false}), /absolute paths, not "compose.yaml"/)
    assert.throws(() => stackDeployArgs({namespace: 'demo', files: []}, {prune: false}), /at least one compose file/)
    for (const namespace of ['-demo', 'Demo', '', 'a b', 'demo/x']) {
      assert.throws(() => stackDeployArgs({...project, namespace}, {prune: false}), /not a stack name/, namespace)
    }
  })
})

describe('mayPrune', () => {
  it("allows --prune only while every service of the stack carries kedge's label", () => {
    assert.equal(mayPrune([{managedByKedge: true}, {managedByKedge: true}]), true)
    assert.equal(mayPrune([{managedByKedge: true}, {managedByKedge: false}]), false)
    assert.equal(mayPrune([]), true)
  })
})

describe('stackDeployEnvironment', () => {
  it('lets the process environment win over .env, and the repository\'s local env over both, as Compose sees them', () => {
    const {environment, ignored} = stackDeployEnvironment({
      dotEnv: {TAG: 'from-dotenv', ONLY_DOTENV: 'd', BOTH: 'dotenv'},
      processEnvironment: {TAG: 'from-process', PATH: '/usr/bin', BOTH: 'process', UNSET: undefined},
      localEnvironment: {BOTH: 'local', PG_PASS: 'secret'},
    })
    assert.deepEqual(environment, {TAG: 'from-process', ONLY_DOTENV: 'd', BOTH: 'local', PATH: '/usr/bin', PG_PASS: 'secret'})
    assert.deepEqual(ignored, [])
  })

  it("leaves kedge's own variables and the registered secret ones out of the process environment", () => {
    registerSecretVariable('SWARM_TEST_GIT_TOKEN')
    const {environment} = stackDeployEnvironment({
      dotEnv: {},
      processEnvironment: {KEDGE_SECRET_KEY: 'k', SWARM_TEST_GIT_TOKEN: 't', LANG: 'C.UTF-8'},
      localEnvironment: {},
    })
    assert.deepEqual(environment, {LANG: 'C.UTF-8'})
  })

  it('keeps out what a committed .env would set for the CLI itself: its engine, the dynamic loader, proxies, its home', () => {
    const {environment, ignored} = stackDeployEnvironment({
      dotEnv: {DOCKER_HOST: 'tcp://elsewhere:2376', DOCKER_CONFIG: '/tmp/x', LD_PRELOAD: '/repo/evil.so', GODEBUG: 'x509ignoreCN=0', https_proxy: 'http://p', HOME: '/repo', TAG: '2', GOOGLE_API_KEY: 'g'},
      processEnvironment: {HOME: '/home/kedge'},
      localEnvironment: {},
    })
    assert.deepEqual(environment, {TAG: '2', GOOGLE_API_KEY: 'g', HOME: '/home/kedge'})
    assert.deepEqual(ignored, ['DOCKER_CONFIG', 'DOCKER_HOST', 'GODEBUG', 'HOME', 'LD_PRELOAD', 'https_proxy'])
  })
})
