import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, statSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, it} from 'node:test'

import {createPrivateDirectory, removePrivateDirectory, writePrivateFile} from '../../src/adapters/process/private-directory.js'

const MODULE = fileURLToPath(new URL('../../src/adapters/process/private-directory.ts', import.meta.url))

describe('private directories for secrets', () => {
  it('are 0700 with 0600 files, and gone when removed', () => {
    const dir = createPrivateDirectory()
    const file = writePrivateFile(dir, 'key', 'secret')
    assert.equal(statSync(dir).mode & 0o777, 0o700)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    removePrivateDirectory(dir)
    assert.equal(existsSync(dir), false)
  })

  it('are removed when the process is interrupted, which then ends as the signal says', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(MODULE)}).then((m) => { console.log(m.createPrivateDirectory()); setInterval(() => {}, 1000) })`], {stdio: ['ignore', 'pipe', 'inherit']})
      const dir = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())))
      assert.ok(existsSync(dir))
      const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, received) => resolve(received)))
      child.kill(signal)
      assert.equal(await ended, signal)
      assert.equal(existsSync(dir), false, `removed on ${signal}`)
    }
  })

  it('left by a process that died are removed by the next one', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!
    const dir = createPrivateDirectory()
    const orphan = path.join(path.dirname(dir), `kedge-private-${dead}-orphan`)
    mkdirSync(orphan, {mode: 0o700})
    const next = createPrivateDirectory()
    assert.equal(existsSync(orphan), false)
    assert.equal(existsSync(dir), true, 'a live process\'s directory is left alone')
    removePrivateDirectory(dir)
    removePrivateDirectory(next)
  })
})
