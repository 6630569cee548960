import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {ImageChecks} from '../../src/drivers/daemon/image-checks.js'
import type {LogFields, Logger, LogLevel} from '../../src/drivers/daemon/logger.js'
import type {RepositoryRow} from '../../src/model/rows.js'
import {syncRepository} from '../../src/usecases/deploying/sync.js'
import {APP_URL as URL, fakeWorld, registerApp, type FakeWorld} from '../helpers/fake-ports.js'

const D1 = `sha256:${'1'.repeat(64)}`
const D2 = `sha256:${'2'.repeat(64)}`

/** A logger that keeps what it was told. */
class KeptLog implements Logger {
  readonly level = 'debug' as const
  readonly lines: Array<{level: LogLevel; event: string; fields?: LogFields}> = []
  log(level: LogLevel, event: string, fields?: LogFields): void {
    this.lines.push({level, event, fields})
  }
  with(): Logger {
    return this
  }
}

describe("serve's image checks", () => {
  let world: FakeWorld
  let repository: RepositoryRow
  const log = new KeptLog()

  beforeEach(async () => {
    world = fakeWorld()
    repository = registerApp(world).repository
    world.git.push(URL, 'main', {'compose.yaml': 'services:\n  web:\n    image: web:1\n', 'kedge.yaml': 'reconciliation:\n  mode: notify\n  image_updates: true\n  image_update_interval: 10m\n'})
    await syncRepository(world.context, 'app')
    world.engine.repoDigests.set(world.engine.images.get('web:1')!, [`web@${D1}`])
    world.registries.digests.set('web:1', D1)
    world.registries.asked.length = 0
    log.lines.length = 0
  })
  afterEach(() => world.cleanup())

  it('asks again once the interval has passed since the last check, and not before', async () => {
    const checks = new ImageChecks(world.context)
    const signal = new AbortController().signal
    await checks.checkDue(repository, log, signal)
    assert.deepEqual(world.registries.asked, [], "kedge sync checked it just now: the interval has not passed")

    world.clock.advance(9 * 60_000)
    await checks.checkDue(repository, log, signal)
    assert.deepEqual(world.registries.asked, [])

    world.registries.digests.set('web:1', D2)
    world.clock.advance(60_000)
    await checks.checkDue(repository, log, signal)
    assert.deepEqual(world.registries.asked, ['web:1'])
    assert.deepEqual(log.lines.map((line) => line.event), ['images.pending'])

    await checks.checkDue(repository, log, signal)
    assert.deepEqual(world.registries.asked, ['web:1'], 'checked: the next is an interval away')
  })

  it('looks at nothing for a stack that does not ask for checks', async () => {
    world.git.push(URL, 'main', {'compose.yaml': 'services:\n  web:\n    image: web:1\n'})
    await syncRepository(world.context, 'app')
    world.registries.asked.length = 0
    world.clock.advance(24 * 3_600_000)
    await new ImageChecks(world.context).checkDue(repository, log, new AbortController().signal)
    assert.deepEqual(world.registries.asked, [])
  })
})
