import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {ExternalError} from '../../src/model/errors.js'
import type {StackRow} from '../../src/model/rows.js'
import type {ServiceChange} from '../../src/model/stack/plan.js'
import {reconcileRepository, type ReconcileResult} from '../../src/usecases/deploying/reconcile.js'
import {rollbackRepository} from '../../src/usecases/rollback/rollback.js'
import {APP_URL as URL, composeFailure, fakeWorld, registerApp, stackFiles, type FakeWorld} from '../helpers/fake-ports.js'


describe('the reconcile ladder', () => {
  let world: FakeWorld
  let stack: StackRow
  let good: string

  beforeEach(async () => {
    world = fakeWorld()
    stack = registerApp(world).stack
    good = world.git.push(URL, 'main', stackFiles('1'))
    assert.equal((await round()).kind, 'deployed')
    world.forgetCalls()
  })
  afterEach(() => world.cleanup())

  function round(options: {onUnpinned?: (pinned: string, head: string) => void} = {}): Promise<ReconcileResult> {
    // Each round reads the repository's and the stack's rows afresh, as serve's loop does.
    return reconcileRepository(world.context, world.store.target(stack.id), {trigger: 'git', ...options})
  }
  /** The remote's errors are the repository's; a deploy's or a plan's, its pin and what is pending are the stack's. */
  const repositoryRow = () => world.store.findRepository('app')!
  const stackRow = () => world.store.stack(stack.id)
  const rows = () => world.store.history(stack.id)

  /** Nothing was attempted: no new deployment row, no Compose call, no container touched. */
  function assertNothingApplied(rowsBefore: number): void {
    assert.equal(rows().length, rowsBefore)
    assert.deepEqual(world.compose.calls, [])
    assert.deepEqual(world.engine.mutations, [])
    assert.deepEqual(world.engine.running('app'), {web: good, worker: good})
  }

  it('is up to date when the stack runs the branch head, and clears the errors left by an earlier round', async () => {
    world.store.updateRepository(stack.repositoryId, {lastError: 'the remote did not answer', lastErrorAt: world.clock.now()})
    world.store.updateStack(stack.id, {lastError: 'an earlier deploy failed', lastErrorAt: world.clock.now()})

    const result = await round()

    assert.deepEqual(result, {kind: 'up-to-date', commit: good})
    assert.equal(repositoryRow().lastError, null)
    assert.equal(stackRow().lastError, null)
    assert.equal(repositoryRow().remoteHead, good)
    assertNothingApplied(1)
  })

  it('records an unreachable remote on the repository and applies nothing', async () => {
    world.git.push(URL, 'main', stackFiles('2'))
    world.git.unreachable = new ExternalError('fatal: unable to access https://git.example/app.git/: Could not resolve host', {code: 'git_failed'})

    const result = await round()

    assert.equal(result.kind, 'unreachable')
    assert.equal(repositoryRow().lastError, 'fatal: unable to access https://git.example/app.git/: Could not resolve host')
    assert.equal(stackRow().lastError, null, 'the stack did nothing wrong')
    assertNothingApplied(1)
  })

  it('records a branch that is gone on the repository and applies nothing', async () => {
    world.git.setHead(URL, 'main', null)

    const result = await round()

    assert.equal(result.kind, 'no-branch')
    assert.equal(repositoryRow().lastError, `branch "main" no longer exists on ${URL}`)
    assertNothingApplied(1)
  })

  it('does not retry a commit that already failed until the branch moves', async () => {
    const broken = world.git.push(URL, 'main', stackFiles('2'))
    world.compose.configFailure = composeFailure('read the configuration', 'services.web.image must be a string')
    await round()
    assert.equal(rows().at(-1)!.status, 'failed')
    world.compose.configFailure = null
    world.compose.calls.length = 0

    assert.deepEqual(await round(), {kind: 'already-failed', commit: broken})
    assertNothingApplied(2)

    const fixed = world.git.push(URL, 'main', stackFiles('3'))
    const result = await round()
    assert.equal(result.kind, 'deployed')
    assert.deepEqual(world.engine.running('app'), {web: fixed, worker: good})
  })

  for (const mode of ['notify', 'manual'] as const) {
    it(`in ${mode} mode records the head and what applying it would change, applies nothing, and is already-pending on the next round`, async () => {
      const head = world.git.push(URL, 'main', stackFiles('2', `reconciliation:\n  mode: ${mode}\n`))
      world.store.updateStack(stack.id, {lastError: 'an earlier failure', lastErrorAt: world.clock.now()})

      const result = await round()

      assert.equal(result.kind, 'pending')
      const expected: Array<Pick<ServiceChange, 'service' | 'action'>> = [{service: 'web', action: 'recreate'}]
      assert.deepEqual(result.kind === 'pending' && {mode: result.mode, commit: result.commit, changes: result.changes.map(({service, action}) => ({service, action}))}, {mode, commit: head, changes: expected})
      assert.equal(stackRow().pendingCommit, head)
      assert.deepEqual(
        (JSON.parse(stackRow().pendingChanges!) as ServiceChange[]).map(({service, action}) => ({service, action})),
        expected,
      )
      assert.equal(stackRow().lastError, null)
      assert.equal(rows().length, 1, 'no deployment is recorded')
      assert.deepEqual(world.compose.actions(), ['config'], 'only read: nothing pulled, nothing started')
      assert.deepEqual(world.engine.mutations, [])
      assert.deepEqual(world.engine.running('app'), {web: good, worker: good})

      world.compose.calls.length = 0
      assert.deepEqual(await round(), {kind: 'already-pending', commit: head})
      assertNothingApplied(1)
    })
  }

  it('pins a rollback by hand to the head it rolled back from', async () => {
    const second = world.git.push(URL, 'main', stackFiles('2'))
    assert.equal((await round()).kind, 'deployed')
    world.forgetCalls()

    const outcome = await rollbackRepository(world.context, 'app', good.slice(0, 8))

    const {commit, trigger, status, replacedCommit, note} = outcome.deployment
    assert.deepEqual({commit, trigger, status, replacedCommit, note}, {
      commit: good,
      trigger: 'rollback',
      status: 'rolled_back',
      replacedCommit: second,
      note: `rolled back by hand from ${second.slice(0, 7)} (restored from the release directory)`,
    })
    assert.deepEqual({pinnedCommit: stackRow().pinnedCommit, pinnedAtHead: stackRow().pinnedAtHead}, {pinnedCommit: good, pinnedAtHead: second})
    assert.deepEqual(world.compose.actions(), ['up web'])
    assert.deepEqual(world.engine.running('app'), {web: good, worker: good})

    world.forgetCalls()
    assert.deepEqual(await round(), {kind: 'pinned', commit: good})
    assertNothingApplied(3)
  })

  it('stays on a rollback pin while the head is unchanged, and a new head unpins and deploys', async () => {
    const failing = world.git.push(URL, 'main', stackFiles('2'))
    world.compose.upFailures.push({error: composeFailure('start the stack', 'container app-web-1 exited (1)'), touchesHost: true})
    await round()
    assert.equal(stackRow().pinnedCommit, good)
    world.compose.calls.length = 0
    world.engine.mutations.length = 0
    world.store.updateStack(stack.id, {lastError: 'the failure before the rollback', lastErrorAt: world.clock.now()})

    assert.deepEqual(await round(), {kind: 'pinned', commit: good})
    assert.equal(stackRow().pinnedCommit, good)
    assert.equal(stackRow().pinnedAtHead, failing)
    assert.equal(stackRow().lastError, null)
    assertNothingApplied(3)

    const next = world.git.push(URL, 'main', stackFiles('3'))
    const unpinned: Array<[string, string]> = []
    const result = await round({onUnpinned: (pinned, head) => unpinned.push([pinned, head])})

    assert.equal(result.kind, 'deployed')
    assert.deepEqual(unpinned, [[good, next]])
    assert.equal(stackRow().pinnedCommit, null)
    assert.equal(stackRow().pinnedAtHead, null)
    const newest = rows().at(-1)!
    assert.deepEqual({commit: newest.commit, status: newest.status, trigger: newest.trigger}, {commit: next, status: 'success', trigger: 'git'})
    assert.deepEqual(world.engine.running('app'), {web: next, worker: good})
  })
})
