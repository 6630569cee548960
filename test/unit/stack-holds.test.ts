import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {isKedgeError} from '../../src/model/errors.js'
import type {StackRow} from '../../src/model/rows.js'
import {reconcileRepository} from '../../src/usecases/deploying/reconcile.js'
import {syncRepository} from '../../src/usecases/deploying/sync.js'
import {healDrift} from '../../src/usecases/drift/heal.js'
import {repositoryStatuses} from '../../src/usecases/repositories/repository-status.js'
import {rollbackRepository} from '../../src/usecases/rollback/rollback.js'
import {downStacks, resumeStacks, suspendStacks} from '../../src/usecases/stacks/holds.js'
import {APP_URL as URL, fakeWorld, registerApp, stackFiles, type FakeWorld} from '../helpers/fake-ports.js'

const BY = {by: 'alice'}

describe('stacks kept down or left alone', () => {
  let world: FakeWorld
  let stack: StackRow
  let first: string

  beforeEach(async () => {
    world = fakeWorld()
    stack = registerApp(world).stack
    first = world.git.push(URL, 'main', stackFiles('1'))
    await syncRepository(world.context, 'app')
    world.forgetCalls()
  })
  afterEach(() => world.cleanup())

  const row = () => world.store.stack(stack.id)
  const rows = () => world.store.history(stack.id)
  const round = () => reconcileRepository(world.context, world.store.target(stack.id), {trigger: 'git'})
  const heal = () => healDrift(world.context, world.store.target(stack.id))
  async function refusal(work: () => Promise<unknown>): Promise<{code: string; message: string; hint?: string; exitCode: number}> {
    const error = await work().then(
      () => assert.fail('expected a refusal'),
      (caught: unknown) => caught,
    )
    assert.ok(isKedgeError(error), String(error))
    return {code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode}
  }

  it('down removes the containers, keeps the stack down through new commits and drift checks, and records who took it down', async () => {
    const [change] = await downStacks(world.context, 'app', BY)

    assert.equal(change!.hold?.kind, 'down')
    assert.deepEqual(world.engine.running('app'), {})
    assert.deepEqual(world.compose.actions(), ['down'], 'the project goes, its volumes stay')
    const down = rows().at(-1)!
    assert.deepEqual({trigger: down.trigger, status: down.status, commit: down.commit}, {trigger: 'down', status: 'success', commit: first})
    assert.match(down.note!, /^taken down by alice: removed .*; kept down until "kedge up app"$/)
    assert.equal(world.store.lastGoodDeployment(stack.id)?.trigger, 'manual', 'the down row is no deployment of a commit')

    world.forgetCalls()
    world.git.push(URL, 'main', stackFiles('2'))
    assert.deepEqual(await round(), {kind: 'stack-held', hold: change!.hold})
    assert.deepEqual(await heal(), {kind: 'stack-held', hold: change!.hold})
    assert.deepEqual(world.compose.calls, [])
    assert.deepEqual(world.engine.running('app'), {}, 'a stack taken down has no containers, and that is no drift')

    const [status] = await repositoryStatuses(world.context, 'app')
    assert.deepEqual(status!.hold, change!.hold)
    assert.equal(status!.inSync, false)
  })

  it('sync and rollback refuse a held stack, changing nothing; up ends the hold and deploys the head', async () => {
    await downStacks(world.context, 'app', BY)
    const head = world.git.push(URL, 'main', stackFiles('2'))
    const before = rows().length
    world.forgetCalls()

    const sync = await refusal(() => syncRepository(world.context, 'app'))
    assert.deepEqual(sync, {code: 'stack_held', exitCode: 2, message: 'app is down: kedge does not sync it; nothing was changed', hint: '"kedge up app" deploys it again'})
    const rollback = await refusal(() => rollbackRepository(world.context, 'app', first.slice(0, 7)))
    assert.equal(rollback.code, 'stack_held')
    assert.equal(rows().length, before)
    assert.equal(row().hold, 'down')
    assert.deepEqual(world.compose.calls, [])

    const [outcome] = await syncRepository(world.context, 'app', {up: true})
    assert.equal(outcome!.error, null)
    assert.deepEqual({trigger: outcome!.deployment.trigger, commit: outcome!.deployment.commit}, {trigger: 'up', commit: head})
    assert.deepEqual(Object.keys(world.engine.running('app')).sort(), ['web', 'worker'])
    assert.equal(world.engine.running('app').web, head)
    assert.equal(row().hold, null)
    assert.equal((await round()).kind, 'up-to-date')
  })

  it('suspend leaves the containers as they run: no heal, no deploy, until resume; the next round then acts', async () => {
    const [suspended] = await suspendStacks(world.context, 'app', BY)
    assert.equal(suspended!.hold?.kind, 'suspended')
    assert.deepEqual(world.engine.running('app'), {web: first, worker: first})
    assert.deepEqual(world.compose.calls, [])

    world.stopService('web')
    assert.equal((await heal()).kind, 'stack-held')
    const head = world.git.push(URL, 'main', stackFiles('2'))
    assert.equal((await round()).kind, 'stack-held')
    assert.deepEqual(world.compose.calls, [])
    assert.equal((await refusal(() => syncRepository(world.context, 'app'))).hint, '"kedge resume app" lets kedge act on it again')

    const [resumed] = await resumeStacks(world.context, 'app', BY)
    assert.deepEqual({hold: resumed!.hold, changed: resumed!.changed}, {hold: null, changed: true})
    assert.deepEqual(world.compose.calls, [], 'resume deploys nothing by itself')
    assert.deepEqual(
      rows().slice(-2).map((entry) => [entry.trigger, entry.status]),
      [['suspend', 'success'], ['resume', 'success']],
    )
    assert.equal(world.store.lastAttemptAt(stack.id, first)?.trigger, 'manual', 'hold rows attempt no commit')

    const next = await round()
    assert.equal(next.kind, 'deployed')
    assert.equal(world.engine.running('app').web, head)
    assert.equal((await heal()).kind, 'in-sync')
  })

  it('resume leaves a stack that is down as it is, and suspend of a suspended stack records nothing', async () => {
    await suspendStacks(world.context, 'app', BY)
    const before = rows().length
    const [again] = await suspendStacks(world.context, 'app', BY)
    assert.equal(again!.changed, false)
    await downStacks(world.context, 'app', BY)
    const [resumed] = await resumeStacks(world.context, 'app', BY)
    assert.deepEqual({changed: resumed!.changed, hold: resumed!.hold?.kind}, {changed: false, hold: 'down'})
    assert.deepEqual(rows().slice(before).map((entry) => entry.trigger), ['down'])
  })

  it('down of an unknown repository or stack is refused, changing nothing', async () => {
    const before = rows().length
    assert.deepEqual(pick(await refusal(() => downStacks(world.context, 'nope', BY))), {code: 'not_found', exitCode: 2})
    assert.deepEqual(pick(await refusal(() => downStacks(world.context, 'app/nope', BY))), {code: 'not_found', exitCode: 2})
    assert.equal(rows().length, before)
    assert.equal(row().hold, null)
    assert.deepEqual(world.engine.running('app'), {web: first, worker: first})
  })
})

function pick({code, exitCode}: {code: string; exitCode: number}) {
  return {code, exitCode}
}
