import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {ExternalError} from '../../src/model/errors.js'
import {parsePendingImages} from '../../src/model/images/image-updates.js'
import {parseReason} from '../../src/model/repository/deploy-reason.js'
import type {StackTarget} from '../../src/model/rows.js'
import {reconcileRepository} from '../../src/usecases/deploying/reconcile.js'
import {checkImageUpdates} from '../../src/usecases/images/image-updates.js'
import {syncRepository} from '../../src/usecases/deploying/sync.js'
import {APP_URL as URL, fakeWorld, registerApp, type FakeWorld} from '../helpers/fake-ports.js'

const D1 = `sha256:${'1'.repeat(64)}`
const D2 = `sha256:${'2'.repeat(64)}`
const PINNED = `redis@sha256:${'9'.repeat(64)}`
const COMPOSE = `services:\n  web:\n    image: web:1\n  cache:\n    image: ${PINNED}\n`

describe('image updates', () => {
  let world: FakeWorld
  let target: StackTarget

  beforeEach(() => {
    world = fakeWorld()
    target = registerApp(world).target
  })
  afterEach(() => world.cleanup())

  /** Deploys the stack in `mode`; web:1 was pulled by D1, and the registry names D2 for it now. */
  async function deployed(mode: 'auto' | 'notify'): Promise<string> {
    world.git.push(URL, 'main', {'compose.yaml': COMPOSE, 'kedge.yaml': `reconciliation:\n  mode: ${mode}\n  image_updates: true\n`})
    const [outcome] = await syncRepository(world.context, 'app')
    assert.equal(outcome?.error, null)
    const previous = world.engine.images.get('web:1')!
    world.engine.repoDigests.set(previous, [`web@${D1}`])
    world.registries.digests.set('web:1', D2)
    world.registries.asked.length = 0
    world.forgetCalls()
    return previous
  }

  /** A pull that moves web:1 to the image the registry names now. */
  function pullMovesTheTag(): void {
    const pull = world.compose.pull.bind(world.compose)
    world.compose.pull = async (...args) => {
      world.engine.images.set('web:1', 'sha256:new-web')
      world.engine.repoDigests.set('sha256:new-web', [`web@${D2}`])
      return pull(...args)
    }
  }

  const stack = () => world.store.stack(target.stack.id)
  const newest = () => world.store.history(target.stack.id).at(-1)!

  it('in auto mode pulls, recreates only the services of the moved tag, and records both digests; a pinned image is never asked about', async () => {
    await deployed('auto')
    pullMovesTheTag()
    const check = await checkImageUpdates(world.context, {...target, stack: stack()})
    assert.equal(check.kind, 'deployed')
    assert.deepEqual(world.compose.actions(), ['pull web', 'up web'])
    assert.deepEqual(world.registries.asked, ['web:1'])
    const row = newest()
    assert.equal(row.trigger, 'image')
    assert.equal(row.status, 'success')
    assert.deepEqual(parseReason(row.reason)?.images, [{image: 'web:1', from: D1, to: D2, services: ['web']}])
    assert.notEqual(stack().imagesCheckedAt, null)
    assert.deepEqual(world.engine.images.get('web:1'), 'sha256:new-web')
    assert.ok(![...world.engine.images.keys()].some((reference) => reference.startsWith('kedge-previous/')), 'the hold is let go')
  })

  it('in notify mode records the new digest as pending, says so, and pulls nothing', async () => {
    await deployed('notify')
    const told = world.announcer.events.length
    const check = await checkImageUpdates(world.context, {...target, stack: stack()})
    assert.equal(check.kind, 'pending')
    assert.deepEqual(world.compose.actions(), [])
    assert.deepEqual(parsePendingImages(stack().pendingImages), [{image: 'web:1', from: D1, to: D2, services: ['web']}])
    assert.deepEqual(
      world.announcer.events.slice(told).map((event) => event.kind === 'images_pending' && [event.target.stack.name, event.mode, event.updates]),
      [[target.stack.name, 'notify', [{image: 'web:1', from: D1, to: D2, services: ['web']}]]],
    )

    world.registries.digests.set('web:1', D1)
    assert.equal((await checkImageUpdates(world.context, {...target, stack: stack()})).kind, 'current')
    assert.equal(stack().pendingImages, null, 'the registry went back: nothing pending')
  })

  it('moves the tag back to the previous image and recreates on it when the new one fails its gate, and does not try the same digest again', async () => {
    const previous = await deployed('auto')
    pullMovesTheTag()
    world.compose.upFailures.push({error: new ExternalError('web exited with code 3', {code: 'unhealthy'}), touchesHost: true})
    const check = await checkImageUpdates(world.context, {...target, stack: stack()})
    assert.equal(check.kind, 'deployed')
    assert.deepEqual(world.compose.actions(), ['pull web', 'up web', 'up web'])
    assert.equal(world.engine.images.get('web:1'), previous, 'the tag names the previous image again')
    const row = newest()
    assert.equal(row.status, 'failed')
    assert.match(row.note ?? '', /^rolled back to the previous image of web:1 \(111111111111\)/)

    world.forgetCalls()
    assert.equal((await checkImageUpdates(world.context, {...target, stack: stack()})).kind, 'already-failed')
    assert.deepEqual(world.compose.actions(), [])
    assert.equal((await checkImageUpdates(world.context, {...target, stack: stack()}, {apply: true})).kind, 'deployed', 'kedge sync tries it again')
  })

  it('is off for a stack that does not ask for it, and a registry that fails is the check\'s failure, with nothing pulled', async () => {
    world.git.push(URL, 'main', {'compose.yaml': COMPOSE})
    await reconcileRepository(world.context, target, {trigger: 'git'})
    assert.equal((await checkImageUpdates(world.context, {...target, stack: stack()})).kind, 'off')

    world = fakeWorld()
    target = registerApp(world).target
    await deployed('auto')
    world.registries.failure = new ExternalError('the registry did not answer', {code: 'registry_failed'})
    const failed = await checkImageUpdates(world.context, {...target, stack: stack()})
    assert.equal(failed.kind, 'failed')
    assert.deepEqual(world.compose.actions(), [])
  })
})
