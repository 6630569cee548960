import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {LABELS} from '../../src/model/compose/labels.js'
import {ExternalError} from '../../src/model/errors.js'
import type {DeploymentRow, RepositoryRow, StackRow, StackTarget} from '../../src/model/rows.js'
import type {DesiredService} from '../../src/model/stack/plan.js'
import type {Clock} from '../../src/ports/clock.js'
import type {Engine} from '../../src/ports/engine.js'
import type {DeploymentOutcome, StackChanges, Store} from '../../src/ports/store.js'
import type {KedgeContext} from '../../src/usecases/context.js'
import {runAttempt} from '../../src/usecases/deploying/attempt.js'
import {waitForServices} from '../../src/usecases/deploying/health-gate.js'
import {fakeContainer} from '../helpers/fake-container.js'

const TARGET: StackTarget = {repository: {id: 7, name: 'app'} as RepositoryRow, stack: {id: 11, repositoryId: 7, name: 'app'} as StackRow}

/** The store's deployment and stack writes, kept in memory in the order they were made. */
function recordingStore() {
  const writes: Array<[string, unknown]> = []
  const row = (outcome: Partial<DeploymentOutcome> = {}) => ({id: 1, repositoryId: TARGET.repository.id, stackId: TARGET.stack.id, commit: 'c'.repeat(40), status: 'pending', ...outcome}) as DeploymentRow
  const store: Partial<Store> = {
    startDeployment: (values) => (writes.push(['start', values]), row()),
    finishDeployment: (id, outcome) => (writes.push(['finish', {id, ...outcome}]), row(outcome)),
    updateStack: (id: number, values: StackChanges) => void writes.push(['stack', {id, ...values}]),
    recordStackError: (id: number, error: unknown) => void writes.push(['error', {id, message: (error as Error).message}]),
  }
  const announcer = {announce: (event: {kind: string}) => void writes.push(['announce', event.kind])}
  const engine = {connectionLosses: () => 0}
  return {context: {store, announcer, engine} as unknown as KedgeContext, writes}
}

describe('runAttempt', () => {
  it("records a pending row, then the work's outcome and the stack's changes", async () => {
    const {context, writes} = recordingStore()
    const result = await runAttempt(context, TARGET, {commit: 'c'.repeat(40), trigger: 'manual'}, {
      work: async () => ({outcome: {status: 'success', project: 'app'}, stackChanges: {lastError: null}}),
      failed: async () => assert.fail('the work did not fail'),
    })
    assert.equal(result.error, null)
    assert.equal(result.deployment.status, 'success')
    assert.equal(result.stack, 'app')
    assert.deepEqual(writes, [
      ['start', {repositoryId: 7, stackId: 11, commit: 'c'.repeat(40), trigger: 'manual', engineId: null}],
      ['announce', 'deploy_started'],
      ['finish', {id: 1, status: 'success', project: 'app'}],
      ['stack', {id: 11, unchangedHead: null, lastError: null}],
      ['announce', 'deployment_finished'],
    ])
  })

  it("records a failure as failed with the error's message, after the failure's own work, and the error on the stack", async () => {
    const {context, writes} = recordingStore()
    const error = new ExternalError('the deployment did not come up: service web exited', {code: 'unhealthy'})
    const result = await runAttempt(context, TARGET, {commit: 'c'.repeat(40), trigger: 'git'}, {
      work: async () => {
        throw new Error('compose up failed')
      },
      failed: async (caught) => {
        assert.equal((caught as Error).message, 'compose up failed')
        writes.push(['failure handled', null])
        return {error, outcome: {note: 'left as it failed: rollback_on_failure is off', leftFailed: true, interrupted: false}}
      },
    })
    assert.equal(result.error, error)
    assert.deepEqual(writes, [
      ['start', {repositoryId: 7, stackId: 11, commit: 'c'.repeat(40), trigger: 'git', engineId: null}],
      ['announce', 'deploy_started'],
      ['failure handled', null],
      ['finish', {id: 1, note: 'left as it failed: rollback_on_failure is off', leftFailed: true, interrupted: false, status: 'failed', error: error.message}],
      ['error', {id: 11, message: error.message}],
      ['announce', 'deployment_finished'],
    ])
  })
})

describe('waitForServices', () => {
  const services: DesiredService[] = [{name: 'web', image: 'img:1', replicas: 1, hash: 'h-web'}]
  const labelled = {'io.kedge.config-hash': 'h-web', [LABELS.repository]: 'app'}

  /** A clock that moves only when the gate sleeps, so that a timeout takes no time. */
  function steppingClock(): Clock & {slept: number} {
    let now = 1_700_000_000_000
    const clock = {
      slept: 0,
      now: () => new Date(now),
      sleep: async (ms: number) => {
        clock.slept += ms
        now += ms
      },
    }
    return clock
  }

  it('times out by the clock, naming what it waited for', async () => {
    const clock = steppingClock()
    const engine: Partial<Engine> = {listKedgeContainers: async () => [fakeContainer('web', {state: 'created', labels: labelled})]}
    await assert.rejects(waitForServices({engine: engine as Engine, clock}, 'app', 'app', services, 5_000, undefined), {
      code: 'unhealthy',
      message: 'the deployment did not come up within 5s: service web is not running yet',
    })
    assert.ok(clock.slept >= 5_000 && clock.slept <= 5_250, `slept ${clock.slept} ms`)
  })

  it('is done once the service runs, without sleeping', async () => {
    const clock = steppingClock()
    const engine: Partial<Engine> = {listKedgeContainers: async () => [fakeContainer('web', {labels: labelled})]}
    await waitForServices({engine: engine as Engine, clock}, 'app', 'app', services, 5_000, undefined)
    assert.equal(clock.slept, 0)
  })
})
