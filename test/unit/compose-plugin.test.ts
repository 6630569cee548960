import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {composePluginPath} from '../../src/adapters/compose/compose-plugin.js'

const root = mkdtempSync(path.join(tmpdir(), 'kedge-compose-plugin-'))
after(() => rmSync(root, {recursive: true, force: true}))

function plugin(directory: string, executable = true): string {
  mkdirSync(directory, {recursive: true})
  const file = path.join(directory, 'docker-compose')
  writeFileSync(file, '#!/bin/sh\n')
  chmodSync(file, executable ? 0o755 : 0o644)
  return file
}

describe('the Compose plugin, where the Docker CLI finds it', () => {
  it("takes the config file's extra directories first, then DOCKER_CONFIG/cli-plugins", () => {
    const config = path.join(root, 'config-a')
    const own = plugin(path.join(config, 'cli-plugins'))
    assert.equal(composePluginPath({DOCKER_CONFIG: config}), own)
    const extra = plugin(path.join(root, 'extra'))
    writeFileSync(path.join(config, 'config.json'), JSON.stringify({cliPluginsExtraDirs: [path.join(root, 'missing'), path.join(root, 'extra')]}))
    assert.equal(composePluginPath({DOCKER_CONFIG: config}), extra)
  })

  it('passes over a file that is not executable, and a config file that is not JSON', () => {
    const config = path.join(root, 'config-b')
    plugin(path.join(config, 'cli-plugins'), false)
    writeFileSync(path.join(config, 'config.json'), '{not json')
    const found = composePluginPath({DOCKER_CONFIG: config})
    assert.notEqual(found, path.join(config, 'cli-plugins', 'docker-compose'))
    // Whatever the system directories hold, or nothing.
    assert.ok(found === null || found.startsWith('/usr/'), String(found))
  })
})
