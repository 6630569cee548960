import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {ExternalError} from '../../src/model/errors.js'
import type {StackRow} from '../../src/model/rows.js'
import {reconcileRepository} from '../../src/usecases/deploying/reconcile.js'
import {syncRepository} from '../../src/usecases/deploying/sync.js'
import {HOST_FAILED_NOTE} from '../../src/usecases/deploying/host-failure.js'
import {healDrift, type HealResult} from '../../src/usecases/drift/heal.js'
import {APP_URL as URL, composeFailure, fakeWorld, registerApp, stackFiles, type FakeWorld} from '../helpers/fake-ports.js'

const MINUTE = 60_000

describe('healing drift', () => {
  let world: FakeWorld
  let stack: StackRow
  let good: string

  beforeEach(() => {
    world = fakeWorld()
    stack = registerApp(world).stack
  })
  afterEach(() => world.cleanup())

  // The drift found is the stack's.
  const row = () => world.store.stack(stack.id)
  const rows = () => world.store.history(stack.id)
  const heal = (): Promise<HealResult> => healDrift(world.context, world.store.target(stack.id))
  const round = () => reconcileRepository(world.context, world.store.target(stack.id), {trigger: 'git'})

  /** Deploys a first commit as `kedge sync` does, whatever its mode. */
  async function deployGood(kedgeYaml?: string): Promise<void> {
    good = world.git.push(URL, 'main', stackFiles('1', kedgeYaml))
    await syncRepository(world.context, 'app')
    assert.equal(rows().at(-1)!.status, 'success')
    world.forgetCalls()
  }

  it('heals a stopped service in auto mode, recording a drift deployment and the drift it found', async () => {
    await deployGood()
    world.stopService('web')

    const result = await heal()

    assert.equal(result.kind, 'healed')
    const healed = rows().at(-1)!
    assert.deepEqual(
      {commit: healed.commit, trigger: healed.trigger, status: healed.status, note: healed.note, error: healed.error, interrupted: healed.interrupted},
      {commit: good, trigger: 'drift', status: 'success', note: 'healed: web stopped', error: null, interrupted: false},
    )
    assert.deepEqual(world.compose.actions(), ['up web'], 'only the drifted service is brought up; nothing is read or pulled')
    assert.deepEqual(world.engine.mutations, [])
    assert.deepEqual(world.engine.running('app'), {web: good, worker: good})
    assert.equal(row().drift, '[]', 'what the heal left is recorded: no drift')
  })

  it('stops healing after max_heals heals within heal_window, and heals again once the window has room', async () => {
    await deployGood('reconciliation:\n  max_heals: 2\n  heal_window: 10m\n')
    const start = world.clock.now().getTime()

    for (let heals = 0; heals < 2; heals++) {
      world.stopService('web')
      assert.equal((await heal()).kind, 'healed')
      world.clock.advance(MINUTE)
    }
    world.stopService('web')
    world.forgetCalls()
    const rowsBefore = rows().length

    const flapping = await heal()

    assert.equal(flapping.kind, 'flapping')
    assert.deepEqual(flapping.kind === 'flapping' && {maxHeals: flapping.maxHeals, windowMs: flapping.windowMs}, {maxHeals: 2, windowMs: 10 * MINUTE})
    assert.equal(rows().length, rowsBefore, 'no deployment while the guard holds')
    assert.deepEqual(world.compose.calls, [])
    assert.deepEqual(world.engine.mutations, [])
    assert.equal((JSON.parse(row().drift!) as Array<{service: string; type: string}>).map(({service, type}) => `${service} ${type}`).join(), 'web stopped')

    // The first heal leaves the window: one heal in it now, below max_heals.
    world.clock.advance(start + 10 * MINUTE + 1 - world.clock.now().getTime())
    assert.equal((await heal()).kind, 'healed')
    assert.equal(rows().length, rowsBefore + 1)
    assert.deepEqual(world.engine.running('app'), {web: good, worker: good})
  })

  it('does not count a heal the host cut short toward the flap guard', async () => {
    await deployGood('reconciliation:\n  max_heals: 1\n  heal_window: 10m\n')
    world.stopService('web')
    world.compose.upFailures.push({error: new ExternalError('the Docker engine does not answer', {code: 'engine_unavailable'}), engineGoesAway: true})

    assert.equal((await heal()).kind, 'healed')
    const cut = rows().at(-1)!
    assert.deepEqual({trigger: cut.trigger, status: cut.status, interrupted: cut.interrupted, note: cut.note}, {
      trigger: 'drift',
      status: 'failed',
      interrupted: true,
      note: `healed: web stopped (${HOST_FAILED_NOTE})`,
    })

    world.engine.available = true
    assert.equal((await heal()).kind, 'healed')
    assert.equal(rows().at(-1)!.status, 'success')
  })

  it('holds after a deploy that failed and was left as it failed, and heals nothing', async () => {
    const noRollback = 'reconciliation:\n  rollback_on_failure: false\n'
    await deployGood(noRollback)
    const failing = world.git.push(URL, 'main', stackFiles('2', noRollback))
    world.compose.upFailures.push({error: composeFailure('start the stack', 'container app-web-1 exited (1)'), touchesHost: true})
    await round()
    assert.equal(rows().at(-1)!.leftFailed, true)
    world.forgetCalls()
    const rowsBefore = rows().length

    const result = await heal()

    assert.equal(result.kind, 'held')
    assert.equal(result.kind === 'held' && result.reason, `${failing.slice(0, 7)} failed and rollback_on_failure is off`)
    assert.equal(rows().length, rowsBefore)
    assert.deepEqual(world.compose.calls, [])
    assert.deepEqual(world.engine.mutations, [])
    assert.deepEqual(world.engine.running('app'), {worker: good}, 'web stays as the failed deploy left it')
    assert.notEqual(row().drift, '[]', 'the drift is still recorded')
  })

  it('heals after a deploy that failed without being left as it failed', async () => {
    await deployGood()
    world.git.push(URL, 'main', stackFiles('2'))
    world.compose.configFailure = composeFailure('read the configuration', 'services.web.image must be a string')
    await round()
    const failed = rows().at(-1)!
    assert.deepEqual({status: failed.status, leftFailed: failed.leftFailed}, {status: 'failed', leftFailed: false})
    world.compose.configFailure = null
    world.stopService('web')
    world.forgetCalls()

    const result = await heal()

    assert.equal(result.kind, 'healed')
    const healed = rows().at(-1)!
    assert.deepEqual({commit: healed.commit, trigger: healed.trigger, status: healed.status}, {commit: good, trigger: 'drift', status: 'success'})
    assert.deepEqual(world.engine.running('app'), {web: good, worker: good})
  })

  it('in notify mode records the drift and changes nothing', async () => {
    await deployGood('reconciliation:\n  mode: notify\n')
    world.stopService('web')

    const result = await heal()

    assert.equal(result.kind, 'recorded')
    assert.equal(rows().length, 1)
    assert.deepEqual(world.compose.calls, [])
    assert.deepEqual(world.engine.mutations, [])
    assert.equal((JSON.parse(row().drift!) as Array<{service: string; type: string}>).map(({service, type}) => `${service} ${type}`).join(), 'web stopped')
  })
})
