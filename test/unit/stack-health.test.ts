import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type HealthInputs, stackHealth} from '../../src/model/stack/stack-health.js'
import {ChangeFeed, type LiveEvent} from '../../src/drivers/http/live/change-feed.js'

const SETTLED: HealthInputs = {hold: null, lastDeployment: {status: 'success', trigger: 'git'}, deployed: {commit: 'a'}, inSync: true, driftCount: 0}

describe('a stack\'s health at a glance', () => {
  it('names what needs a person first', () => {
    const cases: Array<[string, Partial<HealthInputs>]> = [
      ['in_sync', {}],
      ['behind', {inSync: false}],
      ['drifted', {driftCount: 2}],
      ['deploying', {lastDeployment: {status: 'pending', trigger: 'git'}, driftCount: 2, hold: {kind: 'suspended'}}],
      ['suspended', {hold: {kind: 'suspended'}, driftCount: 1}],
      ['down', {hold: {kind: 'down'}}],
      ['gone', {hold: {kind: 'gone'}}],
      ['failed', {lastDeployment: {status: 'failed', trigger: 'git'}}],
      ['drifted', {lastDeployment: {status: 'failed', trigger: 'git'}, driftCount: 1}],
      ['rolled_back', {lastDeployment: {status: 'success', trigger: 'auto_rollback'}}],
      ['rolled_back', {lastDeployment: {status: 'success', trigger: 'rollback'}, inSync: false}],
      ['rolled_back', {lastDeployment: {status: 'rolled_back', trigger: 'git'}}],
      ['not_deployed', {lastDeployment: null, deployed: null, inSync: false}],
    ]
    for (const [health, change] of cases) assert.equal(stackHealth({...SETTLED, ...change}), health, JSON.stringify(change))
  })
})

describe('the dashboard\'s change feed', () => {
  it('tells each repository once per burst, and anything once for all', async () => {
    const heard: LiveEvent[] = []
    const watching: boolean[] = []
    const feed = new ChangeFeed((now) => watching.push(now))
    feed.change('lost')
    const unsubscribe = feed.subscribe((event) => heard.push(event))
    feed.change('web')
    feed.change('web')
    feed.change('shop')
    await new Promise((resolve) => setTimeout(resolve, 150))
    feed.change('web')
    feed.change(null)
    await new Promise((resolve) => setTimeout(resolve, 150))
    feed.progress('a1b2c3d4', 'web', 'web: pulling images', new Date(0))
    assert.deepEqual(heard, [
      {kind: 'change', repo: 'web'},
      {kind: 'change', repo: 'shop'},
      {kind: 'change', repo: null},
      {kind: 'progress', action: 'a1b2c3d4', address: 'web', step: 'web: pulling images', at: '1970-01-01T00:00:00.000Z'},
    ])
    unsubscribe()
    assert.deepEqual(watching, [true, false], 'the costly sources run only while a stream is open')
  })
})
