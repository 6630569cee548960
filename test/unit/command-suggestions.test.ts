import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {closestCommands, editDistance} from '../../src/drivers/cli/command-suggestions.js'

const COMMANDS = ['diff', 'down', 'history', 'notify add', 'notify list', 'repo add', 'repo list', 'repo remove', 'repo set', 'rollback', 'serve', 'status', 'sync', 'up', 'version']

describe('did you mean', () => {
  it('counts insertions, deletions, substitutions and swaps as one edit each', () => {
    assert.equal(editDistance('status', 'status'), 0)
    assert.equal(editDistance('statu', 'status'), 1)
    assert.equal(editDistance('stauts', 'status'), 1)
    assert.equal(editDistance('sync', 'sink'), 2)
    assert.equal(editDistance('', 'up'), 2)
  })

  it('suggests the closest commands for a typo', () => {
    assert.deepEqual(closestCommands('statu', COMMANDS), ['status'])
    assert.deepEqual(closestCommands('histroy', COMMANDS), ['history'])
    assert.deepEqual(closestCommands('repo lsit', COMMANDS), ['repo list'])
    assert.deepEqual(closestCommands('rollbak', COMMANDS), ['rollback'])
  })

  it("suggests a topic's commands for the topic alone, and nothing for what is far from every command", () => {
    assert.deepEqual(closestCommands('notify', COMMANDS), ['notify add', 'notify list'])
    assert.deepEqual(closestCommands('deploy-everything', COMMANDS), [])
    assert.deepEqual(closestCommands('', COMMANDS), [])
  })
})
