import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {composeCommand, docker} from '../helpers/docker.js'
import {tempDir} from '../helpers/temp.js'

/** The integration tests of the deploy, drift and rollback features stand on these facts. */
describe('the test bed', () => {
  it('has a Docker engine that answers', () => {
    assert.match(docker('version', '--format', '{{.Server.Version}}').trim(), /^\d+\.\d+/)
  })

  it('has three distinct local test images', () => {
    const ids = ['1', '2', '3'].map((tag) => docker('image', 'inspect', '--format', '{{.Id}}', `kedge-test/busybox:${tag}`).trim())
    assert.equal(new Set(ids).size, 3)
    assert.equal(docker('run', '--rm', 'kedge-test/busybox:2', 'cat', '/etc/image-version').trim(), '2')
  })

  it('runs a compose stack from a local image, offline', () => {
    const dir = tempDir()
    const project = `kedge-testbed-${randomBytes(3).toString('hex')}`
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  app:\n    image: kedge-test/busybox:1\n')
    const [binary, ...prefix] = composeCommand()
    const compose = (...args: string[]) => execFileSync(binary!, [...prefix, '-p', project, ...args], {cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    try {
      compose('up', '-d')
      const state = docker('ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.State}}').trim()
      assert.equal(state, 'running')
    } finally {
      compose('down', '--remove-orphans', '--timeout', '1')
    }
  })
})
