import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {tempDir} from '../helpers/temp.js'

const CHECKOUT = fileURLToPath(new URL('../..', import.meta.url))
const UNIT = path.join(CHECKOUT, 'contrib/systemd/kedge.service')

describe('contrib/systemd/kedge.service', () => {
  it('passes systemd-analyze verify with no warning', () => {
    // verify checks that ExecStart's program exists: under --root, it looks for /usr/local/bin/kedge in a
    // temp root holding kedge's bin/run.cjs there, so the unit is verified as it ships, unedited.
    // --recursive-errors=no: only this unit, not the host's own units it names (docker.service).
    const root = tempDir('kedge-unit-root-')
    mkdirSync(path.join(root, 'usr/local/bin'), {recursive: true})
    copyFileSync(path.join(CHECKOUT, 'bin/run.cjs'), path.join(root, 'usr/local/bin/kedge'))
    // ExecStartPre's mkdir, found on systemd's own search path as it would be on the host.
    mkdirSync(path.join(root, 'usr/bin'), {recursive: true})
    copyFileSync('/usr/bin/mkdir', path.join(root, 'usr/bin/mkdir'))
    chmodSync(path.join(root, 'usr/bin/mkdir'), 0o755)
    mkdirSync(path.join(root, 'etc/systemd/system'), {recursive: true})
    const unit = path.join(root, 'etc/systemd/system/kedge.service')
    copyFileSync(UNIT, unit)

    const result = spawnSync('systemd-analyze', ['verify', '--recursive-errors=no', `--root=${root}`, unit], {encoding: 'utf8'})
    assert.equal(result.error, undefined, 'systemd-analyze must be installed (scripts/test-env.sh installs systemd)')
    assert.equal(result.status, 0, result.stderr)
    const aboutTheUnit = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.includes('kedge.service'))
    assert.deepEqual(aboutTheUnit, [])
  })
})
