import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {assessSwarmServices, deployedAt} from '../../src/model/swarm/swarm-health.js'
import {parseStackServices, parseStackTasks, parseSwarmNodes, type StackService} from '../../src/model/swarm/swarm-services.js'
import type {DesiredSwarmService, SwarmStackState} from '../../src/model/swarm/swarm-state.js'

// Fixtures: see test/unit/swarm-services.test.ts.
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/swarm/${name}.json`, import.meta.url), 'utf8'))
const stateOf = (name: string, nodes = 'nodes'): SwarmStackState => ({
  services: parseStackServices(fixture(`${name}.services`)),
  tasks: parseStackTasks(fixture(`${name}.tasks`)),
  nodes: parseSwarmNodes(fixture(nodes)),
})
const want = (name: string, hash: string, replicas = 1): DesiredSwarmService => ({name, image: 'kedge-test/busybox:1', replicas, hash})
const withService = (state: SwarmStackState, name: string, change: (service: StackService) => StackService): SwarmStackState => ({
  ...state,
  services: state.services.map((service) => (service.service === name ? change(service) : service)),
})

/** The first deployment of `demo`, and the two that failed after it (a command that exits 3; the same with failure_action rollback). */
const first = [want('web', 'hweb1', 2), want('worker', 'hworker1'), want('agent', 'hagent1')]
const broken = [want('web', 'hweb2', 2), want('worker', 'hworker1'), want('agent', 'hagent1')]
const rolledBack = [want('web', 'hweb1', 2), want('worker', 'hworker4'), want('agent', 'hagent1')]

describe('assessSwarmServices', () => {
  it('is healthy when every service carries the deployment, its update is done and enough tasks run, a global one on every node', () => {
    assert.deepEqual(assessSwarmServices('demo', first, stateOf('normal')), {verdict: 'healthy'})
    // web's update completed; worker's and agent's templates were unchanged, which leaves no update status.
    assert.deepEqual(assessSwarmServices('demo', first, stateOf('redeployed')), {verdict: 'healthy'})
  })

  it('fails when Swarm paused the update, with its message and the error of the newest failed task', () => {
    assert.deepEqual(assessSwarmServices('demo', broken, stateOf('paused')), {
      verdict: 'failed',
      reason: 'Swarm paused the update of service web: update paused due to failure or early termination of task k96u2b2nfdrmoqc74ui808m1p; its newest failed task: task: non-zero exit (3)',
    })
  })

  it('fails on one service while another is still updating', () => {
    const order = [want('agent', 'hagent1'), want('worker', 'hworker1'), want('web', 'hweb2', 2)]
    assert.equal(assessSwarmServices('demo', order, stateOf('paused')).verdict, 'failed')
    assert.deepEqual(assessSwarmServices('demo', [want('agent', 'hagent1')], stateOf('paused')), {verdict: 'waiting', reason: 'service agent is updating'})
  })

  it("fails when Swarm rolled the update back, though the rollback took this deployment's labels away too", () => {
    // The failed task was created 2 ms after the update started and 12 s before UpdatedAt, which the rollback moved.
    assert.deepEqual(assessSwarmServices('demo', rolledBack, stateOf('rollback')), {
      verdict: 'failed',
      reason: 'Swarm rolled service worker back: rollback completed; its newest failed task: task: non-zero exit (3)',
    })
  })

  it('fails when Swarm paused its rollback, and waits while the rollback runs', () => {
    const rollback = stateOf('rollback')
    const paused = withService(rollback, 'worker', (service) => ({...service, updateStatus: {...service.updateStatus!, state: 'rollback_paused', message: 'rollback paused', completedAt: null}}))
    assert.equal(
      (assessSwarmServices('demo', rolledBack, paused) as {reason: string}).reason,
      'Swarm paused the rollback of service worker: rollback paused; its newest failed task: task: non-zero exit (3)',
    )
    const running = withService(rollback, 'worker', (service) => ({...service, updateStatus: {...service.updateStatus!, state: 'rollback_started', message: 'update rolling back', completedAt: null}}))
    assert.deepEqual(assessSwarmServices('demo', [want('worker', 'hworker1')], running), {verdict: 'waiting', reason: 'Swarm is rolling service worker back'})
  })

  it("waits for a service that does not exist yet, or carries another deployment's configuration", () => {
    assert.deepEqual(assessSwarmServices('demo', [want('cache', 'hcache'), want('web', 'hweb2', 2)], stateOf('normal')), {
      verdict: 'waiting',
      reason: "service cache does not exist yet; service web does not carry this deployment's configuration yet",
    })
  })

  it('fails once three tasks of a service failed or were rejected since the deploy, naming the newest error', () => {
    const failing = stateOf('failing')
    assert.deepEqual(assessSwarmServices('fail', [want('crasher', 'hcrasher')], failing), {
      verdict: 'failed',
      reason: 'service crasher: 4 tasks failed since the deploy, the newest: task: non-zero exit (3)',
    })
    assert.deepEqual(assessSwarmServices('fail', [want('ghost', 'hghost')], failing), {
      verdict: 'failed',
      reason: 'service ghost: 5 tasks failed since the deploy, the newest: No such image: kedge-test/nosuch:1',
    })
  })

  it('waits for the update a changed task template asks for until Swarm has started it, the old tasks running meanwhile', () => {
    const before = stateOf('normal')
    const changed = withService(before, 'web', (service) => ({...service, templateDigest: 'another template', labels: {...service.labels}}))
    const desired = [want('web', 'hweb1', 2)]
    assert.deepEqual(assessSwarmServices('demo', desired, changed, before), {verdict: 'waiting', reason: 'Swarm has not started updating service web yet'})
    const started = {state: 'updating', message: 'update in progress', startedAt: '2026-12-06T12:50:00.000000000Z', completedAt: null}
    assert.deepEqual(assessSwarmServices('demo', desired, withService(changed, 'web', (service) => ({...service, updateStatus: started})), before), {
      verdict: 'waiting',
      reason: 'service web is updating',
    })
    const completed = {...started, state: 'completed', message: 'update completed', completedAt: '2026-12-06T12:50:03.000000000Z'}
    assert.deepEqual(assessSwarmServices('demo', desired, withService(changed, 'web', (service) => ({...service, updateStatus: completed})), before), {verdict: 'healthy'})
    // The last update's status, still there before the next one starts, is not this one's.
    const updatedBefore = withService(before, 'web', (service) => ({...service, updateStatus: completed}))
    assert.equal(assessSwarmServices('demo', desired, withService(changed, 'web', (service) => ({...service, updateStatus: completed})), updatedBefore).verdict, 'waiting')
    // A deploy that leaves the template alone (labels, replicas) starts no update: nothing to wait for.
    assert.deepEqual(assessSwarmServices('demo', desired, before, before), {verdict: 'healthy'})
  })

  it('counts the failures of each replica while the service runs: one failure of each new replica is Swarm\'s to retry', () => {
    const normal = stateOf('normal')
    const web = normal.services.find((service) => service.service === 'web')!
    const running = normal.tasks.find((task) => task.serviceId === web.id && task.state === 'running')!
    const since = deployedAt(web)
    const failedTask = (id: string, slot: number) => ({...running, id, slot, state: 'failed', desiredState: 'shutdown', err: 'network sandbox join failed: error creating vxlan interface: file exists', createdAt: since})
    const withFailures = (slots: number[]): SwarmStackState => ({...normal, tasks: [...slots.map((slot, index) => failedTask(`failed${index}`, slot)), ...normal.tasks]})
    assert.deepEqual(assessSwarmServices('demo', [want('web', 'hweb1', 2)], withFailures([1, 2, 2])), {verdict: 'healthy'})
    assert.deepEqual(assessSwarmServices('demo', [want('web', 'hweb1', 2)], withFailures([2, 2, 2])), {
      verdict: 'failed',
      reason: 'service web: 3 tasks failed since the deploy, the newest: network sandbox join failed: error creating vxlan interface: file exists',
    })
    // None of its tasks runs: three failures of any replicas are enough.
    const stopped = {...withFailures([1, 2, 2]), tasks: withFailures([1, 2, 2]).tasks.filter((task) => task.state !== 'running')}
    assert.equal(assessSwarmServices('demo', [want('web', 'hweb1', 2)], stopped).verdict, 'failed')
  })

  it('counts only the failures since the deploy, by the engine\'s clock', () => {
    const failing = stateOf('failing')
    // crasher's failed tasks were created at 35.95 s, 37.57 s, 39.59 s and 41.61 s past 12:44.
    const deployedAtTime = (time: string) => withService(failing, 'crasher', (service) => ({...service, updatedAt: time}))
    assert.equal(assessSwarmServices('fail', [want('crasher', 'hcrasher')], deployedAtTime('2026-12-06T12:44:36.000000000Z')).verdict, 'failed')
    assert.deepEqual(assessSwarmServices('fail', [want('crasher', 'hcrasher')], deployedAtTime('2026-12-06T12:44:38.000000000Z')), {
      verdict: 'waiting',
      reason: 'service crasher has 0 of 1 task running (task: non-zero exit (3))',
    })
    assert.deepEqual(assessSwarmServices('fail', [want('crasher', 'hcrasher')], deployedAtTime('2026-12-06T12:44:50.000000000Z')), {
      verdict: 'waiting',
      reason: 'service crasher has 0 of 1 task running',
    })
  })

  it('waits for tasks no node can take, with the reason the scheduler gives', () => {
    assert.deepEqual(assessSwarmServices('fail', [want('pinned', 'hpinned', 2)], stateOf('failing')), {
      verdict: 'waiting',
      reason: 'service pinned has 0 of 2 tasks running (no suitable node (scheduling constraints not satisfied on 1 node))',
    })
    const drained = stateOf('drained', 'drained.nodes')
    assert.deepEqual(assessSwarmServices('demo', [want('web', 'hweb1', 2), want('agent', 'hagent1')], drained), {
      verdict: 'waiting',
      reason: 'service web has 0 of 2 tasks running (no suitable node (1 node not available for new tasks))',
    })
  })

  it('names every service not ready, not only the first', () => {
    const assessment = assessSwarmServices('fail', [want('pinned', 'hpinned', 2), want('other', 'h')], stateOf('failing'))
    assert.equal(assessment.verdict, 'waiting')
    assert.match((assessment as {reason: string}).reason, /^service pinned has 0 of 2 tasks running \(.*\); service other does not exist yet$/)
  })

  it('waits on an update status it does not know, naming it', () => {
    const state = withService(stateOf('normal'), 'web', (service) => ({...service, updateStatus: {state: 'rebalancing', message: '', startedAt: null, completedAt: null}}))
    assert.deepEqual(assessSwarmServices('demo', [want('web', 'hweb1', 2)], state), {verdict: 'waiting', reason: "service web's update is rebalancing"})
  })
})

describe('deployedAt', () => {
  it("is the start of the service's update, else its last change", () => {
    const paused = stateOf('paused').services.find((service) => service.service === 'web')!
    assert.equal(paused.updatedAt, '2026-12-06T12:43:34.725837874Z', 'the engine moved UpdatedAt when it paused the update')
    assert.equal(deployedAt(paused), '2026-12-06T12:43:30.402493446Z')
    const created = stateOf('failing').services.find((service) => service.service === 'crasher')!
    assert.equal(deployedAt(created), '2026-12-06T12:44:31.806966235Z')
  })
})
