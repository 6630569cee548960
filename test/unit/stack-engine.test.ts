import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import type {EngineRow, StackTarget} from '../../src/model/rows.js'
import {reconcileRepository} from '../../src/usecases/deploying/reconcile.js'
import {healDrift} from '../../src/usecases/drift/heal.js'
import {resolveEngineChoice} from '../../src/usecases/engines/engine-choice.js'
import {removeEngine} from '../../src/usecases/engines/engine-registry.js'
import {connectRegistered, engineRowOf} from '../../src/usecases/engines/stack-engine.js'
import {takeDownStack} from '../../src/usecases/stacks/take-down.js'
import {FOLLOW_REPOSITORY, setStackEngine} from '../../src/usecases/repositories/update-repository.js'
import {fakeWorld, registerRepository, stackFiles, type FakeWorld} from '../helpers/fake-ports.js'

const URL = 'https://git.example/app.git'

function engineRow(world: FakeWorld, name: string): EngineRow {
  const row = world.store.insertEngine({
    name,
    host: `unix:///run/${name}.sock`,
    context: null,
    dockerConfig: null,
    tlsSecret: null,
    tlsSummary: null,
    sshKey: null,
    sshKeyFingerprint: null,
    knownHosts: null,
    identity: null,
    createdAt: world.clock.now(),
  })
  assert.ok(row)
  return row
}

describe('a stack on a registered engine', () => {
  let world: FakeWorld
  let target: StackTarget
  let web2: EngineRow

  beforeEach(() => {
    world = fakeWorld()
    web2 = engineRow(world, 'web2')
    target = registerRepository(world.store, {name: 'app', url: URL, branch: 'main', createdAt: world.clock.now(), engineId: web2.id}).target
  })
  afterEach(() => world.cleanup())

  it('deploys, heals and takes down on that engine only, and records where each deployment ran', async () => {
    const commit = world.git.push(URL, 'main', stackFiles('1'))
    const result = await reconcileRepository(world.context, target, {trigger: 'git'})
    assert.equal(result.kind, 'deployed')
    const remote = world.engines.of('web2')
    assert.deepEqual(remote.engine.running('app'), {web: commit, worker: commit})
    assert.deepEqual(world.engine.running('app'), {}, 'nothing on the local engine')
    assert.deepEqual(world.compose.calls, [], "the local engine's Compose never ran")
    assert.equal(world.store.history(target.stack.id)[0]!.engineId, web2.id)

    const worker = remote.engine.containers.find((container) => container.service === 'worker')!
    Object.assign(worker, {state: 'exited', status: 'Exited (0) 3 seconds ago', exitCode: 0})
    const stack = world.store.stack(target.stack.id)
    const healed = await healDrift(world.context, {repository: target.repository, stack})
    assert.equal(healed.kind, 'healed')
    assert.deepEqual(remote.engine.running('app'), {web: commit, worker: commit})
    assert.deepEqual(world.engine.mutations, [])

    const down = await takeDownStack(world.context, {repository: target.repository, stack: world.store.stack(target.stack.id)}, {volumes: false})
    assert.equal(down?.action, 'removed')
    assert.deepEqual(remote.engine.running('app'), {})
  })

  it('records the identity the engine gives at first contact, and refuses another one after', async () => {
    const first = await connectRegistered(world.context, web2)
    assert.equal((await first.identity()).id, 'ID-web2')
    assert.equal(world.store.findEngine('web2')!.identity, 'ID-web2')

    world.engines.of('web2').identity.id = 'ID-someone-else'
    // A row changed (a new key for the connection) connects anew, and checks again.
    const moved = {...world.store.findEngine('web2')!, host: 'unix:///run/moved.sock'}
    await assert.rejects(connectRegistered(world.context, moved), (error: {code?: string; message: string}) => error.code === 'engine_changed' && /now answers as another Docker engine/.test(error.message))
  })

  it('is refused when the engine is unknown, and an engine in use cannot be removed', () => {
    assert.throws(() => resolveEngineChoice(world.context, {engine: 'nope'}), /no engine named nope is registered/)
    assert.throws(() => removeEngine(world.context, 'web2'), /engine web2 is still used by repository app/)
    assert.equal(engineRowOf(world.context, target)?.name, 'web2')
    assert.deepEqual(resolveEngineChoice(world.context, {engine: 'local'}), {row: null})
  })

  it('sets one stack on an engine of its own, refused while it runs elsewhere, and follows its repository again', async () => {
    const web3 = engineRow(world, 'web3')
    assert.deepEqual(setStackEngine(world.context, 'app/app', {engine: 'web3'}), {stack: 'app', engine: 'web3'})
    const commit = world.git.push(URL, 'main', stackFiles('1'))
    await reconcileRepository(world.context, {repository: target.repository, stack: world.store.stack(target.stack.id)}, {trigger: 'git'})
    assert.deepEqual(world.engines.of('web3').engine.running('app'), {web: commit, worker: commit})
    assert.deepEqual(world.engines.of('web2').engine.running('app'), {})
    assert.equal(world.store.history(target.stack.id)[0]!.engineId, web3.id)
    assert.throws(() => setStackEngine(world.context, 'app/app', {engine: FOLLOW_REPOSITORY}), /runs on engine web3: kedge will not move it while it runs/)
    assert.equal(world.store.stack(target.stack.id).engineId, web3.id, 'a refused move changes nothing')
  })

  it('defers a deploy while the engine is down, recording no failed deployment', async () => {
    world.git.push(URL, 'main', stackFiles('1'))
    world.engines.down.add('web2')
    const result = await reconcileRepository(world.context, target, {trigger: 'git'})
    assert.equal(result.kind, 'engine-unavailable')
    assert.deepEqual(world.store.history(target.stack.id), [])
  })
})
