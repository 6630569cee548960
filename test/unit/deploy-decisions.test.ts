import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {ExternalError} from '../../src/model/errors.js'
import type {DeploymentRow, StackTarget} from '../../src/model/rows.js'
import {HOST_FAILED_NOTE} from '../../src/usecases/deploying/host-failure.js'
import {reconcileRepository, type ReconcileResult} from '../../src/usecases/deploying/reconcile.js'
import {APP_URL as URL, composeFailure, fakeWorld, registerApp, stackFiles, type FakeWorld} from '../helpers/fake-ports.js'

const LEFT_AS_FAILED = 'left as it failed: rollback_on_failure is off'
const NO_ROLLBACK = 'reconciliation:\n  rollback_on_failure: false\n'

/** What a test asserts of a deployment row. */
function summary(row: DeploymentRow) {
  const {commit, trigger, status, error, note, interrupted, leftFailed, replacedCommit} = row
  return {commit: commit.slice(0, 7), trigger, status, error, note, interrupted, leftFailed, replacedCommit: replacedCommit?.slice(0, 7) ?? null}
}

const short = (commit: string) => commit.slice(0, 7)

describe('deploying a new commit', () => {
  let world: FakeWorld
  let target: StackTarget
  let good: string

  beforeEach(() => {
    world = fakeWorld()
    target = registerApp(world).target
  })
  afterEach(() => world.cleanup())

  const round = (options: {signal?: AbortSignal} = {}): Promise<ReconcileResult> => reconcileRepository(world.context, target, {trigger: 'git', ...options})
  // A deploy's pin and error are the stack's.
  const row = () => world.store.stack(target.stack.id)
  const history = () => world.store.history(target.stack.id).map(summary)

  /** Deploys a first, good commit; clears what the test then asserts on. */
  async function deployGood(kedgeYaml?: string): Promise<void> {
    good = world.git.push(URL, 'main', stackFiles('1', kedgeYaml))
    const result = await round()
    assert.equal(result.kind, 'deployed')
    assert.deepEqual(world.engine.running('app'), {web: good, worker: good})
    world.compose.calls.length = 0
    world.engine.mutations.length = 0
  }

  it('records a commit Compose refuses as failed and leaves the running stack alone', async () => {
    await deployGood()
    const broken = world.git.push(URL, 'main', stackFiles('2'))
    const refusal = composeFailure('read the configuration', 'services.web.image must be a string')
    world.compose.configFailure = refusal

    const result = await round()

    assert.equal(result.kind, 'deployed')
    assert.deepEqual(history(), [
      {commit: short(good), trigger: 'git', status: 'success', error: null, note: null, interrupted: false, leftFailed: false, replacedCommit: null},
      {commit: short(broken), trigger: 'git', status: 'failed', error: refusal.message, note: null, interrupted: false, leftFailed: false, replacedCommit: null},
    ])
    assert.equal(row().lastError, refusal.message)
    assert.equal(row().pinnedCommit, null)
    assert.deepEqual(world.compose.actions(), ['config'])
    assert.deepEqual(world.engine.mutations, [])
    assert.deepEqual(world.engine.running('app'), {web: good, worker: good})
  })

  it('records a commit whose image cannot be pulled as failed, before anything on the host changes', async () => {
    await deployGood()
    const missing = world.git.push(URL, 'main', stackFiles('2'))
    const refusal = composeFailure('pull the images', 'manifest for web:2 not found')
    world.compose.pullFailure = refusal

    await round()

    assert.deepEqual(history().at(-1), {
      commit: short(missing),
      trigger: 'git',
      status: 'failed',
      error: refusal.message,
      note: null,
      interrupted: false,
      leftFailed: false,
      replacedCommit: null,
    })
    assert.equal(history().length, 2, 'no rollback: the host was not touched')
    assert.equal(row().lastError, refusal.message)
    assert.deepEqual(world.compose.actions(), ['config', 'pull web'])
    assert.deepEqual(world.engine.mutations, [])
    assert.deepEqual(world.engine.running('app'), {web: good, worker: good})
  })

  it('rolls back to the last good deployment when up fails after changing the host, and pins it', async () => {
    await deployGood()
    const failing = world.git.push(URL, 'main', stackFiles('2'))
    const failure = composeFailure('start the stack', 'container app-web-1 exited (1)')
    world.compose.upFailures.push({error: failure, touchesHost: true})

    await round()

    assert.deepEqual(history(), [
      {commit: short(good), trigger: 'git', status: 'success', error: null, note: null, interrupted: false, leftFailed: false, replacedCommit: null},
      {commit: short(failing), trigger: 'git', status: 'failed', error: failure.message, note: `rolled back automatically to ${short(good)}`, interrupted: false, leftFailed: false, replacedCommit: null},
      {
        commit: short(good),
        trigger: 'auto_rollback',
        status: 'rolled_back',
        error: null,
        note: `automatic: ${short(failing)} failed: ${failure.message} (restored from the release directory)`,
        interrupted: false,
        leftFailed: false,
        replacedCommit: short(failing),
      },
    ])
    assert.equal(row().pinnedCommit, good)
    assert.equal(row().pinnedAtHead, failing)
    assert.equal(row().lastError, failure.message)
    assert.deepEqual(world.compose.actions(), ['config', 'pull web', 'up web', 'up web'])
    assert.deepEqual(world.engine.running('app'), {web: good, worker: good})
  })

  it('leaves a deploy that failed after changing the host as it failed when rollback_on_failure is off', async () => {
    await deployGood(NO_ROLLBACK)
    const failing = world.git.push(URL, 'main', stackFiles('2', NO_ROLLBACK))
    const failure = composeFailure('start the stack', 'container app-web-1 exited (1)')
    world.compose.upFailures.push({error: failure, touchesHost: true})

    await round()

    assert.deepEqual(history().slice(1), [
      {commit: short(failing), trigger: 'git', status: 'failed', error: failure.message, note: LEFT_AS_FAILED, interrupted: false, leftFailed: true, replacedCommit: null},
    ])
    assert.equal(row().pinnedCommit, null)
    assert.equal(row().lastError, failure.message)
    assert.deepEqual(world.compose.actions(), ['config', 'pull web', 'up web'])
    assert.deepEqual(world.engine.running('app'), {worker: good}, 'web stays as up left it: exited')
  })

  it('records both failures when the automatic rollback fails too', async () => {
    await deployGood()
    const failing = world.git.push(URL, 'main', stackFiles('2'))
    const failure = composeFailure('start the stack', 'container app-web-1 exited (1)')
    const rollbackFailure = composeFailure('start the stack', 'port 80 is already allocated')
    world.compose.upFailures.push({error: failure, touchesHost: true}, {error: rollbackFailure, touchesHost: true})

    await round()

    const reason = `automatic: ${short(failing)} failed: ${failure.message}`
    assert.deepEqual(history().slice(1), [
      {
        commit: short(failing),
        trigger: 'git',
        status: 'failed',
        error: failure.message,
        note: `the automatic rollback to ${short(good)} failed: ${rollbackFailure.message}`,
        interrupted: false,
        leftFailed: false,
        replacedCommit: null,
      },
      {commit: short(good), trigger: 'auto_rollback', status: 'failed', error: rollbackFailure.message, note: reason, interrupted: false, leftFailed: false, replacedCommit: short(failing)},
    ])
    assert.equal(row().pinnedCommit, null, 'a rollback that failed pins nothing')
    assert.equal(row().lastError, failure.message)
    assert.deepEqual(world.compose.actions(), ['config', 'pull web', 'up web', 'up web'])
  })

  it('records a deploy the engine cut short as interrupted, does not roll it back, and retries it once the engine is back', async () => {
    await deployGood()
    const head = world.git.push(URL, 'main', stackFiles('2'))
    const gone = new ExternalError('the Docker engine does not answer', {code: 'engine_unavailable'})
    world.compose.upFailures.push({error: gone, engineGoesAway: true})

    await round()

    assert.deepEqual(history().slice(1), [
      {commit: short(head), trigger: 'git', status: 'failed', error: gone.message, note: HOST_FAILED_NOTE, interrupted: true, leftFailed: false, replacedCommit: null},
    ])
    assert.deepEqual(world.compose.actions(), ['config', 'pull web', 'up web'])

    const waiting = await round()
    assert.equal(waiting.kind, 'engine-unavailable', 'nothing is attempted while the engine does not answer')
    assert.equal(history().length, 2)

    world.engine.available = true
    const retried = await round()
    assert.equal(retried.kind, 'deployed')
    assert.deepEqual(history().at(-1), {commit: short(head), trigger: 'git', status: 'success', error: null, note: null, interrupted: false, leftFailed: false, replacedCommit: null})
    assert.equal(row().lastError, null)
    assert.deepEqual(world.engine.running('app'), {web: head, worker: good})
  })

  it('records a deploy whose containers a daemon restart stopped as the host\'s, though the engine answers again by then: not rolled back, retried', async () => {
    await deployGood()
    const head = world.git.push(URL, 'main', stackFiles('2'))
    // The daemon restarts while the gate waits, and is back within its first look: the new containers stopped (code 0).
    const list = world.engine.listKedgeContainers.bind(world.engine)
    let restarts = 0
    world.engine.listKedgeContainers = async (project) => {
      if (restarts === 0 && world.compose.actions().includes('up web')) {
        restarts++
        world.engine.restarted()
      }
      return list(project)
    }

    await round()

    const attempt = history().at(-1)!
    assert.match(String(attempt.error), /service web exited with code 0/)
    assert.deepEqual({...attempt, error: null}, {commit: short(head), trigger: 'git', status: 'failed', error: null, note: HOST_FAILED_NOTE, interrupted: true, leftFailed: false, replacedCommit: null})
    assert.deepEqual(world.compose.actions(), ['config', 'pull web', 'up web'], 'nothing was rolled back')
    assert.equal(row().pinnedCommit, null)

    const retried = await round()
    assert.equal(retried.kind, 'deployed')
    assert.deepEqual(history().at(-1), {commit: short(head), trigger: 'git', status: 'success', error: null, note: null, interrupted: false, leftFailed: false, replacedCommit: null})
    assert.equal(world.engine.running('app').web, head)
  })

  it('records a deploy kedge stopped as interrupted and retries it on the next round', async () => {
    await deployGood()
    const head = world.git.push(URL, 'main', stackFiles('2'))
    const stop = new AbortController()
    world.compose.upFailures.push({error: new Error('compose up: signal: terminated'), whileRunning: () => stop.abort()})

    await round({signal: stop.signal})

    assert.deepEqual(history().slice(1), [
      {
        commit: short(head),
        trigger: 'git',
        status: 'failed',
        error: 'interrupted: kedge stopped before the deployment finished',
        note: null,
        interrupted: true,
        leftFailed: false,
        replacedCommit: null,
      },
    ])
    assert.equal(history().length, 2, 'no rollback of an interrupted deploy')

    const retried = await round()
    assert.equal(retried.kind, 'deployed')
    assert.equal(history().at(-1)!.status, 'success')
    assert.deepEqual(world.engine.running('app'), {web: head, worker: good})
  })

  it('marks a deployment left pending by a holder that died as interrupted, and retries its commit', async () => {
    await deployGood()
    const head = world.git.push(URL, 'main', stackFiles('2'))
    world.store.startDeployment({repositoryId: target.repository.id, stackId: target.stack.id, commit: head, trigger: 'git'})
    world.store.tryTakeLock('repository:app', {host: 'test-host', pid: 999, processStart: 'ns/0', purpose: 'kedge serve (git)', acquiredAt: world.clock.now()}, () => false)
    const recovered: number[] = []

    const result = await reconcileRepository(world.context, target, {trigger: 'git', onRecovered: (count) => recovered.push(count)})

    assert.equal(result.kind, 'deployed')
    assert.deepEqual(recovered, [1])
    assert.deepEqual(
      history().slice(1).map(({status, interrupted, error}) => ({status, interrupted, error})),
      [
        {status: 'failed', interrupted: true, error: 'interrupted: kedge stopped before the deployment finished'},
        {status: 'success', interrupted: false, error: null},
      ],
    )
    assert.equal(world.store.locks.size, 0, 'the lock is released')
  })

  it('is busy, touching nothing, while a live process holds the repository', async () => {
    const holder = {host: 'test-host', pid: 999, processStart: 'ns/0'}
    world.processes.alive.push(holder)
    world.store.tryTakeLock('repository:app', {...holder, purpose: 'kedge sync', acquiredAt: world.clock.now()}, () => false)
    world.git.push(URL, 'main', stackFiles('1'))

    const result = await round()

    assert.equal(result.kind, 'busy')
    assert.equal(history().length, 0)
    assert.deepEqual(world.compose.calls, [])
  })
})
