import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {directComposeV1Launches} from '../../src/adapters/compose-v1-entry.js'
import {commandLine, type ComposeLaunch} from '../../src/core/compose-invocation.js'

const DEBIAN_SCRIPT = `#!/usr/bin/python3
# EASY-INSTALL-ENTRY-SCRIPT: 'docker-compose==1.29.2','console_scripts','docker-compose'
import re
import sys
__requires__ = 'docker-compose==1.29.2'
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])
    sys.exit(load_entry_point('docker-compose==1.29.2', 'console_scripts', 'docker-compose')())
`
const PIP_SCRIPT = `#!/usr/bin/python3
import re
import sys
from compose.cli.main import main
if __name__ == '__main__':
    sys.exit(main())
`

describe('Compose v1 started without its console script', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'kedge-compose-entry-'))
  after(() => rmSync(directory, {recursive: true, force: true}))

  function onPath(name: string, content: string | Buffer, mode = 0o755): string {
    const bin = mkdtempSync(path.join(directory, 'bin-'))
    writeFileSync(path.join(bin, name), content)
    chmodSync(path.join(bin, name), mode)
    return bin
  }

  async function launchesWith(bin: string): Promise<ComposeLaunch[]> {
    const saved = process.env.PATH
    process.env.PATH = `${bin}${path.delimiter}/nonexistent`
    try {
      return await directComposeV1Launches()
    } finally {
      process.env.PATH = saved
    }
  }

  it("runs the main of Debian's easy_install script with the script's own interpreter, with Python's own distutils first", async () => {
    const bin = onPath('docker-compose', DEBIAN_SCRIPT)
    const launches = await launchesWith(bin)
    assert.equal(launches.length, 2)
    for (const {argv} of launches) {
      assert.equal(argv[0], '/usr/bin/python3')
      assert.equal(argv[1], '-c')
      assert.match(argv[2] ?? '', /from compose\.cli\.main import main/)
      assert.equal(argv[3], bin, "the script's directory, first on Python's path")
    }
    assert.deepEqual(launches[0]!.environment, {SETUPTOOLS_USE_DISTUTILS: 'stdlib'})
    assert.equal(launches[1]!.environment, undefined)
  })

  it('leaves every other docker-compose as it is', async () => {
    assert.deepEqual(await launchesWith(onPath('docker-compose', PIP_SCRIPT)), [])
    assert.deepEqual(await launchesWith(onPath('docker-compose', DEBIAN_SCRIPT.replace('#!/usr/bin/python3', '#!/usr/bin/env python3'))), [])
    assert.deepEqual(await launchesWith(onPath('docker-compose', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]))), [])
    assert.deepEqual(await launchesWith(onPath('docker-compose', DEBIAN_SCRIPT, 0o644)), [], 'not executable')
    assert.deepEqual(await launchesWith(directory), [], 'not on PATH')
  })

  const debianCompose = existsSync('/usr/bin/docker-compose') && readFileSync('/usr/bin/docker-compose', 'utf8').includes('load_entry_point(')
  it('runs the same Compose as the console script where Debian installed it, whatever the stack directory holds', {skip: !debianCompose}, async () => {
    const launches = await launchesWith('/usr/bin')
    assert.equal(launches.length, 2)
    // Compose runs in the stack's directory: a repository's own modules there must not be imported in place of Compose's or Python's.
    const stack = mkdtempSync(path.join(directory, 'stack-'))
    mkdirSync(path.join(stack, 'compose', 'cli'), {recursive: true})
    for (const module of ['compose/__init__.py', 'compose/cli/__init__.py']) writeFileSync(path.join(stack, module), '')
    for (const module of ['compose/cli/main.py', 'logging.py', 'json.py']) writeFileSync(path.join(stack, module), "raise SystemExit('imported from the stack directory')\n")
    const expected = execFileSync('/usr/bin/docker-compose', ['version', '--short'], {cwd: stack}).toString()
    assert.match(expected, /^\d+\.\d+\.\d+/)
    for (const launch of launches) {
      const {file, args} = commandLine(launch, ['version', '--short'])
      assert.equal(execFileSync(file, args, {cwd: stack, env: {...process.env, ...launch.environment}}).toString(), expected)
    }
  })
})
