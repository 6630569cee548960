import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {exitCodeFromStatus, healthFromStatus, isInterruptedRecreate, toStackContainer, type StackContainer} from '../../src/model/stack/containers.js'
import {describeChanges, joinersToReplace, planChanges, type DesiredService} from '../../src/model/stack/plan.js'
import {fakeContainer} from '../helpers/fake-container.js'

function container(service: string, overrides: Partial<StackContainer> & {hash?: string} = {}): StackContainer {
  const {hash, ...rest} = overrides
  return fakeContainer(service, {imageId: 'sha256:1', labels: {'io.kedge.config-hash': hash ?? `h-${service}`}, ...rest})
}
const desired = (name: string, overrides: Partial<DesiredService> = {}): DesiredService => ({name, image: 'img:1', replicas: 1, hash: 'h-' + name, ...overrides})

describe('planChanges', () => {
  it('plans nothing when every service runs its hash', () => {
    assert.deepEqual(planChanges([desired('web'), desired('db')], [container('web'), container('db')]), [])
  })

  it('creates missing services and replicas, recreates changed ones, starts stopped ones, removes extras', () => {
    const changes = planChanges(
      [desired('web', {hash: 'new', image: 'img:2'}), desired('db'), desired('cache'), desired('queue', {replicas: 2}), desired('off', {replicas: 0})],
      [container('web'), container('db', {state: 'exited'}), container('queue'), container('old', {image: 'legacy:1'})],
    )
    assert.deepEqual(changes, [
      {service: 'web', action: 'recreate', from: 'img:1', to: 'img:2'},
      {service: 'db', action: 'start', from: 'img:1', to: 'img:1'},
      {service: 'cache', action: 'create', from: null, to: 'img:1'},
      {service: 'queue', action: 'scale', from: 'img:1', to: 'img:1'},
      {service: 'old', action: 'remove', from: 'legacy:1', to: null},
    ])
    assert.equal(describeChanges(changes), 'recreate web, start db, create cache, scale queue, remove old')
    assert.equal(describeChanges([]), 'no changes')
  })

  it('takes a container labelled with the hash older kedge versions computed as unchanged, so upgrading kedge recreates nothing', () => {
    const upgraded = desired('web', {hash: 'canonical', formerHash: 'h-web'})
    assert.deepEqual(planChanges([upgraded], [container('web')]), [])
    assert.deepEqual(planChanges([upgraded], [container('web', {hash: 'canonical'})]), [])
    assert.deepEqual(planChanges([upgraded], [container('web', {hash: 'other'})]).map((change) => change.action), ['recreate'])
    assert.deepEqual(planChanges([desired('web', {hash: 'canonical'})], [container('web')]).map((change) => change.action), ['recreate'], 'without a former hash, only the hash counts')
  })

  it('scales a service whose containers run its configuration but are too few or too many, recreating none', () => {
    assert.deepEqual(planChanges([desired('web', {replicas: 3})], [container('web'), container('web')]).map((change) => change.action), ['scale'])
    assert.deepEqual(planChanges([desired('web', {replicas: 1})], [container('web'), container('web'), container('web')]).map((change) => change.action), ['scale'])
    assert.deepEqual(planChanges([desired('web', {replicas: 2})], [container('web'), container('web', {hash: 'old'})]).map((change) => change.action), ['recreate'])
  })

  it('recreates a service whose container lacks kedge hash label, as one an operator started by hand', () => {
    const handmade = container('web', {labels: {'com.docker.compose.project': 'app'}, managedByKedge: false})
    assert.deepEqual(planChanges([desired('web')], [handmade]).map((change) => change.action), ['recreate'])
  })

  it('recreates a service that joins the namespace of one created anew, and removes its containers first', () => {
    const services = [desired('db', {hash: 'new'}), desired('side', {joins: ['db']}), desired('proxy', {joins: ['side']}), desired('worker')]
    const actual = [container('db'), container('side'), container('proxy'), container('worker')]
    const changes = planChanges(services, actual)
    assert.deepEqual(changes.map((change) => [change.service, change.action, change.joining]), [
      ['db', 'recreate', undefined],
      ['side', 'recreate', 'db'],
      ['proxy', 'recreate', 'side'],
    ])
    assert.deepEqual(joinersToReplace(changes, actual), [actual[1]!.id, actual[2]!.id])
    assert.deepEqual(planChanges([desired('db'), desired('side', {joins: ['db']})], [container('db'), container('side')]), [], 'nothing renewed, nothing to follow')
  })

  it('takes each hash of formerHashes as unchanged', () => {
    assert.deepEqual(planChanges([desired('web', {hash: 'now', formerHashes: ['printed', 'h-web']})], [container('web')]), [])
  })

  it('does not start a one-shot job again that completed', () => {
    assert.deepEqual(planChanges([desired('migrate', {oneShot: true})], [container('migrate', {state: 'exited', exitCode: 0})]), [])
    assert.deepEqual(planChanges([desired('web')], [container('web', {state: 'exited', exitCode: 0})]).map((change) => change.action), ['start'])
  })
})

describe('containers', () => {
  it('reads health and exit codes from the engine status', () => {
    assert.equal(healthFromStatus('Up 3 minutes (healthy)'), 'healthy')
    assert.equal(healthFromStatus('Up 3 seconds (health: starting)'), 'starting')
    assert.equal(healthFromStatus('Up 1 hour (unhealthy)'), 'unhealthy')
    assert.equal(healthFromStatus('Up 1 hour'), null)
    assert.equal(exitCodeFromStatus('Exited (137) 2 minutes ago'), 137)
    assert.equal(exitCodeFromStatus('Up 2 minutes'), null)
  })

  it('maps an engine listing, preferring kedge labels', () => {
    const mapped = toStackContainer({
      Id: 'abc',
      Names: ['/app_web_1'],
      Image: 'img:1',
      ImageID: 'sha256:1',
      State: 'exited',
      Status: 'Exited (2) 1 second ago',
      Labels: {'io.kedge.managed': 'true', 'io.kedge.service': 'web', 'com.docker.compose.service': 'other'},
    })
    assert.equal(mapped.name, 'app_web_1')
    assert.equal(mapped.service, 'web')
    assert.equal(mapped.exitCode, 2)
    assert.equal(mapped.managedByKedge, true)
    assert.equal(toStackContainer({...mapped, Id: 'x', Names: [], ImageID: '', State: '', Status: '', Image: '', Labels: null}).managedByKedge, false)
  })

  it('recognises only the leftovers of a Compose v1 recreate of its own project', () => {
    const leftover = container('web', {id: '0123456789abcdef0000', name: '0123456789ab_app_web_1'})
    assert.equal(isInterruptedRecreate(leftover, 'app'), true)
    assert.equal(isInterruptedRecreate(leftover, 'other'), false)
    assert.equal(isInterruptedRecreate({...leftover, id: 'ffffffffffff0000'}, 'app'), false)
    assert.equal(isInterruptedRecreate(container('web'), 'app'), false)
  })

  it('recognises the new container a Compose v2 recreate left under its temporary name, prefixed by the replaced id', () => {
    const leftover = container('web', {id: 'ffffffffffff0000', name: '0123456789ab_app-web-1'})
    assert.equal(isInterruptedRecreate(leftover, 'app'), true)
    assert.equal(isInterruptedRecreate(leftover, 'other'), false)
    assert.equal(isInterruptedRecreate({...leftover, name: '0123456789ab_app-worker-1'}, 'app'), false)
    assert.equal(isInterruptedRecreate({...leftover, name: 'app-web-1'}, 'app'), false)
    assert.equal(isInterruptedRecreate({...leftover, name: '0123456789ab_aXp-web-1'}, 'a.p'), false, 'the project name is matched literally')
    assert.equal(isInterruptedRecreate({...leftover, name: '0123456789ab_a.p-web-1'}, 'a.p'), true)
  })
})
