import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type HealthInputs, stackHealth} from '../../src/model/stack/stack-health.js'
import type {RepositoryStatus} from '../../src/usecases/repositories/repository-status.js'
import {overviewOf} from '../../src/usecases/stacks/overview.js'

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
      ['rolled_back', {lastDeployment: {status: 'rolled_back', trigger: 'auto_rollback'}}],
      ['rolled_back', {lastDeployment: {status: 'rolled_back', trigger: 'rollback'}, inSync: false}],
      ['rolled_back', {lastDeployment: {status: 'rolled_back', trigger: 'git'}}],
      ['not_deployed', {lastDeployment: null, deployed: null, inSync: false}],
    ]
    for (const [health, change] of cases) assert.equal(stackHealth({...SETTLED, ...change}), health, JSON.stringify(change))
  })
})

describe('a stack as the overview lists it', () => {
  const status = {
    name: 'shop',
    stack: 'api',
    address: 'shop/api',
    url: 'file:///srv/shop.git',
    branch: 'main',
    mode: 'manual',
    auth: {kind: 'none'},
    project: 'shop-api',
    engine: 'local',
    head: {commit: 'b'.repeat(40), checkedAt: null},
    deployed: {commit: 'a'.repeat(40), at: '2026-12-06T10:00:03.000Z', trigger: 'manual'},
    lastDeployment: {commit: 'a'.repeat(40), status: 'success', trigger: 'manual', at: '2026-12-06T10:00:03.000Z', startedAt: '2026-12-06T10:00:00.500Z', finishedAt: '2026-12-06T10:00:03.000Z', error: null},
    inSync: false,
    health: 'behind',
    failedAttempt: null,
    pending: null,
    pendingImages: [],
    pinned: null,
    hold: null,
    lastError: null,
    drift: {entries: [{service: 'web', type: 'stopped', expected: 'running', actual: 'exited', container: 'shop-api-web-1'}], checkedAt: null},
    services: [],
    engineError: null,
    rowError: null,
  } satisfies RepositoryStatus

  it('says how long the last deploy took, how far behind it is, and whether the repository names it alone', () => {
    const row = overviewOf(status, 3)
    assert.deepEqual(
      [row.address, row.root, row.health, row.behind, row.driftCount, row.lastDeployment?.seconds],
      ['shop/api', false, 'behind', 3, 1, 2.5],
    )
    assert.equal(overviewOf({...status, address: 'shop'}, 0).root, true)
    assert.equal(overviewOf({...status, lastDeployment: {...status.lastDeployment, finishedAt: null}}, null).lastDeployment?.seconds, null, 'under way')
  })
})
