import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {StackContainer} from '../../src/model/stack/containers.js'
import {assessServices} from '../../src/usecases/deploying/health-gate.js'
import type {DesiredService} from '../../src/model/stack/plan.js'
import {fakeContainer} from '../helpers/fake-container.js'

const service = (name: string, replicas = 1): DesiredService => ({name, image: 'img:1', replicas, hash: `new-${name}`})
const container = (name: string, overrides: Partial<StackContainer> = {}, hash = `new-${name}`) => fakeContainer(name, {id: name, ...overrides}, hash)

describe('assessServices', () => {
  it('is ready when every replica of the new configuration runs, healthy where checked', () => {
    assert.deepEqual(assessServices([service('web', 2), service('db')], [container('web'), container('web'), container('db', {health: 'healthy'})]), {verdict: 'ready'})
  })

  it('waits for containers still starting, for missing replicas, and ignores the old configuration', () => {
    assert.deepEqual(assessServices([service('db')], [container('db', {health: 'starting'})]), {verdict: 'waiting', reason: 'service db is not healthy yet'})
    assert.deepEqual(assessServices([service('web', 2)], [container('web')]), {verdict: 'waiting', reason: 'service web is not running yet'})
    assert.deepEqual(assessServices([service('web')], [container('web', {state: 'exited', exitCode: 1}, 'old-web')]), {verdict: 'waiting', reason: 'service web is not running yet'})
  })

  it('names every service that is not ready, not only the first', () => {
    const assessment = assessServices([service('web'), service('db'), service('cache')], [container('web', {health: 'starting'}), container('cache')])
    assert.deepEqual(assessment, {verdict: 'waiting', reason: 'service web is not healthy yet; service db is not running yet'})
  })

  it("waits until the engine says a container without a healthcheck has run for a second; one with a healthcheck counts once healthy", () => {
    const justStarted = container('web', {status: 'Up Less than a second'})
    assert.deepEqual(assessServices([service('web')], [justStarted]), {verdict: 'waiting', reason: 'service web has not run for a second yet'})
    assert.deepEqual(assessServices([service('web')], [{...justStarted, status: 'Up 1 second'}]), {verdict: 'ready'})
    const healthyAtOnce = container('db', {status: 'Up Less than a second (healthy)', health: 'healthy'})
    assert.deepEqual(assessServices([service('db')], [healthyAtOnce]), {verdict: 'ready'})
    assert.deepEqual(assessServices([service('db')], [{...healthyAtOnce, status: 'Up Less than a second (health: starting)', health: 'starting'}]), {verdict: 'waiting', reason: 'service db is not healthy yet'})
  })

  it('fails as soon as a new container exits or turns unhealthy; a restart is waited on, the caller counts them', () => {
    assert.deepEqual(assessServices([service('web')], [container('web', {state: 'exited', exitCode: 4})]), {verdict: 'failed', reason: 'service web exited with code 4'})
    assert.deepEqual(assessServices([service('web')], [container('web', {health: 'unhealthy'})]), {verdict: 'failed', reason: 'service web is unhealthy'})
    assert.deepEqual(assessServices([service('web')], [container('web', {state: 'restarting'})]), {verdict: 'waiting', reason: 'service web keeps restarting', restarting: true})
  })

  it('counts a job that exited 0 as done, and any other service that exits as failed', () => {
    const job = {...service('migrate'), oneShot: true}
    assert.deepEqual(assessServices([job], [container('migrate', {state: 'exited', exitCode: 0})]), {verdict: 'ready'})
    assert.deepEqual(assessServices([job], [container('migrate', {state: 'exited', exitCode: 1})]), {verdict: 'failed', reason: 'service migrate exited with code 1'})
    assert.deepEqual(assessServices([service('migrate')], [container('migrate', {state: 'exited', exitCode: 0})]), {verdict: 'failed', reason: 'service migrate exited with code 0'})
  })
})
