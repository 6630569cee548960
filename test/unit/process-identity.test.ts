import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {describe, it} from 'node:test'

import {currentProcess, isProcessRunning} from '../../src/adapters/process/process-identity.js'

describe('process identity', () => {
  it('knows this process runs, and a finished one does not', () => {
    const me = currentProcess()
    assert.match(me.processStart, /^pid:\[\d+\]\/\d+$/)
    assert.equal(isProcessRunning(me), true)
    const child = spawnSync(process.execPath, ['-e', ''])
    assert.equal(isProcessRunning({...me, pid: child.pid!}), false)
  })

  it('tells a reused pid from the process that held it', () => {
    const me = currentProcess()
    assert.equal(isProcessRunning({...me, processStart: me.processStart.replace(/\/\d+$/, '/1')}), false)
  })

  it('counts a process it cannot see as running', () => {
    const me = currentProcess()
    assert.equal(isProcessRunning({...me, host: 'another-host', pid: 999_999}), true)
    assert.equal(isProcessRunning({...me, pid: 999_999, processStart: 'pid:[1]/5'}), true)
  })
})
