import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import type {RepositoryRow, StackRow} from '../../src/model/rows.js'
import {reconcileStacksLocked} from '../../src/usecases/deploying/reconcile.js'
import {lookBeforeLock, type RoundLook} from '../../src/usecases/round.js'
import {fakeWorld, type FakeWorld} from '../helpers/fake-ports.js'

const URL = 'https://git.example/infra.git'
const app = (image: string) => `services:\n  app:\n    image: ${image}\n`
const files = (web: string) => ({'kedge.yaml': 'stacks:\n  - path: apps/web\n  - path: apps/worker\n', 'apps/web/compose.yaml': app(web), 'apps/worker/compose.yaml': app('worker:1')})

const kinds = (look: RoundLook) => (look.kind === 'quiet' ? look.results.map(({target, result}) => [target.stack.name, result.kind]) : look.asked.kind)

describe("a round's look before the lock", () => {
  let world: FakeWorld
  let repository: RepositoryRow
  let listed: string[]

  beforeEach(async () => {
    world = fakeWorld()
    repository = world.store.insertRepository({name: 'infra', url: URL, branch: 'main', createdAt: world.clock.now()})
    world.git.push(URL, 'main', files('web:1'))
    const first = await reconcileStacksLocked(world.context, repository, {trigger: 'git'})
    assert.ok(first.kind === 'stacks' && first.results.every(({result}) => result.kind === 'deployed'), JSON.stringify(first))
    listed = []
  })
  afterEach(() => world.cleanup())

  const look = (needsListing: (stack: StackRow) => boolean = () => false) =>
    lookBeforeLock(world.context, world.store.findRepository('infra')!, {needsListing: (stack) => (listed.push(stack.name), needsListing(stack))})
  const stack = (name: string) => world.store.listStacks(repository.id).find((row) => row.name === name)!

  it('ends a round with nothing to do without the lock, and records the poll', async () => {
    const before = world.store.findRepository('infra')!.remoteCheckedAt
    world.clock.advance(60_000)
    const quiet = await look()
    assert.deepEqual(kinds(quiet), [
      ['web', 'up-to-date'],
      ['worker', 'up-to-date'],
    ])
    assert.deepEqual(listed, ['web', 'worker'], 'each stack is asked whether its drift check must list it')
    assert.notDeepEqual(world.store.findRepository('infra')!.remoteCheckedAt, before, 'the poll is recorded')
  })

  it('takes the lock for a new commit, and gives the locked round its poll', async () => {
    const head = world.git.push(URL, 'main', files('web:2'))
    const recorded = world.store.findRepository('infra')!.remoteHead
    const found = await look()
    assert.ok(found.kind === 'lock' && found.asked.kind === 'answered' && found.asked.head === head, JSON.stringify(found))
    assert.equal(world.store.findRepository('infra')!.remoteHead, recorded, 'the new head is recorded by the locked round that acts on it')
    let asked = 0
    const ask = world.git.remoteBranchHead.bind(world.git)
    world.git.remoteBranchHead = (...args) => (asked++, ask(...args))
    const round = await reconcileStacksLocked(world.context, world.store.findRepository('infra')!, {trigger: 'git', polled: found.asked})
    assert.equal(asked, 0, 'the locked round does not ask the remote again')
    assert.ok(round.kind === 'stacks', JSON.stringify(round))
    assert.equal(world.store.findRepository('infra')!.remoteHead, head)
    assert.deepEqual(round.results.map(({target, result}) => [target.stack.name, result.kind]), [
      ['web', 'deployed'],
      ['worker', 'unchanged'],
    ])
  })

  it('takes the lock when a stack must be listed, has something to clear, or a deployment is pending, and for a remote that fails', async () => {
    assert.equal((await look((row) => row.name === 'worker')).kind, 'lock', 'a drift check must list worker')
    world.store.recordStackError(stack('web').id, new Error('earlier failure'))
    assert.equal((await look()).kind, 'lock', "web's error is cleared under the lock")
    world.store.updateStack(stack('web').id, {lastError: null, lastErrorAt: null})
    assert.equal((await look()).kind, 'quiet')
    const pending = world.store.startDeployment({repositoryId: repository.id, stackId: stack('web').id, commit: 'f'.repeat(40), trigger: 'manual'})
    assert.equal((await look()).kind, 'lock', 'a pending deployment is recovered by the lock holder')
    world.store.finishDeployment(pending.id, {status: 'failed', error: 'x'})
    world.git.unreachable = new Error('connection refused')
    const failed = await look()
    assert.ok(failed.kind === 'lock' && failed.asked.kind === 'failed', JSON.stringify(failed))
    assert.equal(world.store.findRepository('infra')!.lastError, null, "the failure is recorded by the locked round, which reports it")
  })

  it('is quiet for stacks held on purpose, and for a pin the branch has not moved past', async () => {
    world.store.updateStack(stack('web').id, {hold: 'suspended', heldAt: world.clock.now()})
    const head = world.store.findRepository('infra')!.remoteHead!
    world.store.updateStack(stack('worker').id, {pinnedCommit: head, pinnedAtHead: head, pinReason: 'rolled back'})
    listed = []
    assert.deepEqual(kinds(await look()), [
      ['web', 'stack-held'],
      ['worker', 'pinned'],
    ])
    assert.deepEqual(listed, ['worker'], 'a held stack is not checked for drift')
  })
})
