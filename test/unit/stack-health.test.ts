import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type HealthInputs, stackHealth} from '../../src/model/stack/stack-health.js'

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
