import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {StackContainer} from '../../src/model/stack/containers.js'
import {ownedContainers} from '../../src/model/stack/project-ownership.js'
import {carriedHashes, keepRunningLabels} from '../../src/model/stack/running-labels.js'
import type {SnapshotService} from '../../src/model/stack/stack-snapshot.js'
import {fakeContainer} from '../helpers/fake-container.js'

const kedge = (service: string, repository = 'shop', extra: Record<string, string> = {}): StackContainer =>
  fakeContainer(service, {id: `${service}-${repository}`, name: `app-${service}-1`, labels: {'io.kedge.managed': 'true', 'io.kedge.repo': repository, 'io.kedge.config-hash': `h-${service}`, 'com.docker.compose.project': 'app', ...extra}})
const handmade = (service: string, extra: Record<string, string> = {}): StackContainer =>
  fakeContainer(service, {id: `${service}-hand`, name: `app-${service}-hand`, managedByKedge: false, labels: {'com.docker.compose.project': 'app', 'com.docker.compose.service': service, ...extra}})

describe('ownedContainers', () => {
  it("takes kedge's own containers of the repository", () => {
    assert.deepEqual(ownedContainers('shop', 'app', [kedge('web')], {deployedHere: false}).map((container) => container.id), ['web-shop'])
  })

  it('refuses a project holding containers kedge did not start, before its first deploy there', () => {
    assert.throws(() => ownedContainers('shop', 'app', [handmade('web')], {deployedHere: false}), (error: Error & {code?: string}) => {
      assert.equal(error.code, 'project_taken')
      assert.match(error.message, /the Compose project "app" has containers kedge did not deploy for shop: app-web-hand/)
      return true
    })
  })

  const stack = new Set(['web', 'db'])

  it("adopts the containers an operator made for the stack's services in a project kedge deployed, as drift to replace", () => {
    assert.deepEqual(ownedContainers('shop', 'app', [kedge('db'), handmade('web')], {deployedHere: false, services: stack}).map((container) => container.id), ['db-shop', 'web-hand'])
    assert.deepEqual(ownedContainers('shop', 'app', [handmade('web')], {deployedHere: true, services: stack}).map((container) => container.id), ['web-hand'])
  })

  it('leaves alone a container an operator started for a service the stack does not run (a profile kedge.yaml does not list)', () => {
    assert.deepEqual(ownedContainers('shop', 'app', [kedge('web'), handmade('adminer')], {deployedHere: true, services: stack}).map((container) => container.id), ['web-shop'])
  })

  it("always refuses another repository's containers, and leaves one-off containers out", () => {
    assert.throws(() => ownedContainers('shop', 'app', [kedge('web'), kedge('db', 'blog')], {deployedHere: true}), /kedge did not deploy for shop: app-db-1/)
    const oneOff = handmade('tools', {'com.docker.compose.oneoff': 'True'})
    assert.deepEqual(ownedContainers('shop', 'app', [oneOff], {deployedHere: false}), [])
    assert.deepEqual(ownedContainers('shop', 'app', [kedge('web'), oneOff], {deployedHere: true}).map((container) => container.id), ['web-shop'])
  })
})

describe('keepRunningLabels', () => {
  const service = (name: string, overrides: Partial<SnapshotService> = {}): SnapshotService => ({name, image: 'img:1', replicas: 1, hash: `h-${name}`, commit: 'new', ...overrides})

  it('keeps the commit and hash label of containers that run the service, so Compose only starts or scales them', () => {
    const running = kedge('web', 'shop', {'io.kedge.commit': 'old', 'io.kedge.config-hash': 'former'})
    const [web] = keepRunningLabels([service('web', {hash: 'now', formerHashes: ['former']})], [running])
    assert.equal(web!.commit, 'old')
    assert.equal(web!.hash, 'former')
    assert.deepEqual(web!.formerHashes, ['now'])
  })

  it('gives a changed service, or one without containers, the new labels', () => {
    const running = kedge('web', 'shop', {'io.kedge.commit': 'old', 'io.kedge.config-hash': 'other'})
    assert.deepEqual(keepRunningLabels([service('web'), service('db')], [running]), [service('web'), service('db')])
  })
})

describe('carriedHashes', () => {
  it('carries the label a previous deploy kept, so the next change of replicas scales instead of recreating', () => {
    // Deployed by an older kedge with a hash that counted replicas: kept as the label, ours among its aliases.
    const previous = {hash: 'with-replicas-2', formerHashes: ['printed-2', 'now']}
    assert.deepEqual(carriedHashes('now', ['printed-3', 'with-replicas-3'], previous), {unchanged: true, formerHashes: ['printed-3', 'with-replicas-3', 'with-replicas-2', 'printed-2']})
  })

  it('carries nothing for a changed configuration, or without a previous deploy', () => {
    assert.deepEqual(carriedHashes('new', ['printed-new'], {hash: 'old', formerHashes: ['printed-old']}), {unchanged: false, formerHashes: ['printed-new']})
    assert.deepEqual(carriedHashes('new', ['printed-new'], undefined), {unchanged: false, formerHashes: ['printed-new']})
    assert.equal(carriedHashes('h', ['printed'], {hash: 'printed'}).unchanged, true, 'an older label of the same configuration')
  })
})
