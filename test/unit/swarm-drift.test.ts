import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {detectSwarmDrift, shortServices, trackShortServices, type DegradedClock} from '../../src/model/swarm/swarm-drift.js'
import {parseStackServices, parseStackTasks, parseSwarmNodes} from '../../src/model/swarm/swarm-services.js'
import {runningTasks, type DesiredSwarmService, type SwarmStackState} from '../../src/model/swarm/swarm-state.js'

// Fixtures: see test/unit/swarm-services.test.ts.
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/swarm/${name}.json`, import.meta.url), 'utf8'))
const stateOf = (name: string, nodes = 'nodes'): SwarmStackState => ({
  services: parseStackServices(fixture(`${name}.services`)),
  tasks: parseStackTasks(fixture(`${name}.tasks`)),
  nodes: parseSwarmNodes(fixture(nodes)),
})

const normal = stateOf('normal')
const digestIn = (state: SwarmStackState, service: string) => state.services.find((candidate) => candidate.service === service)!.specDigest

/** The deployed snapshot of `demo` as its deployment recorded it once it passed the gate (the `normal` capture). */
const deployed: DesiredSwarmService[] = [
  {name: 'web', image: 'kedge-test/busybox:1', replicas: 2, hash: 'hweb1', swarm: {specDigest: digestIn(normal, 'web'), image: 'kedge-test/busybox:1'}},
  {name: 'worker', image: 'kedge-test/busybox:1', replicas: 1, hash: 'hworker1', swarm: {specDigest: digestIn(normal, 'worker'), image: 'kedge-test/busybox:1'}},
  {name: 'agent', image: 'kedge-test/busybox:1', replicas: 1, hash: 'hagent1', swarm: {specDigest: digestIn(normal, 'agent'), image: 'kedge-test/busybox:1'}},
]
const NO_SHORTFALL: DegradedClock = {now: 0, graceMs: 60_000, shortSince: new Map()}
const summary = (drift: ReturnType<typeof detectSwarmDrift>) => drift.map(({service, type, expected, actual, container}) => [service, type, expected, actual, container])

describe('detectSwarmDrift', () => {
  it('finds none in the stack as deployed, nor after Swarm rolled an update back to it or redeployed it', () => {
    assert.deepEqual(detectSwarmDrift('demo', deployed, normal, NO_SHORTFALL), [])
    assert.deepEqual(detectSwarmDrift('demo', deployed, stateOf('redeployed'), NO_SHORTFALL), [])
    assert.deepEqual(detectSwarmDrift('demo', deployed, stateOf('rollback'), NO_SHORTFALL), [])
  })

  it('ignores a restart by `service update --force`', () => {
    assert.deepEqual(detectSwarmDrift('demo', deployed, stateOf('forced'), NO_SHORTFALL), [])
  })

  it('reports each change made by hand: a scale, an added variable, another image, a service created without labels', () => {
    assert.deepEqual(summary(detectSwarmDrift('demo', deployed, stateOf('drifted'), NO_SHORTFALL)), [
      ['web', 'scaled', '2 replicas', '1 replica', 'demo_web'],
      ['worker', 'wrong_config', `spec ${digestIn(normal, 'worker').slice(0, 12)}`, `spec ${digestIn(stateOf('drifted'), 'worker').slice(0, 12)}, changed on the engine`, 'demo_worker'],
      ['agent', 'wrong_image', 'kedge-test/busybox:1', 'kedge-test/busybox:2', 'demo_agent'],
      ['extra', 'foreign', "only kedge's services", "demo_extra, created without kedge's labels", 'demo_extra'],
    ])
  })

  it("names the Swarm service and its id, so that a heal or a report finds it", () => {
    const [scaled] = detectSwarmDrift('demo', deployed, stateOf('drifted'), NO_SHORTFALL)
    assert.equal(scaled!.containerId, 'ayd2trsz87yf5hcb14gzehp60')
  })

  it('reports a paused update, with the task error that paused it, and the other configuration it was deploying', () => {
    assert.deepEqual(summary(detectSwarmDrift('demo', deployed, stateOf('paused'), NO_SHORTFALL)), [
      ['web', 'wrong_config', 'config hweb1', 'config hweb2', 'demo_web'],
      ['web', 'update_paused', 'update completed', 'paused: update paused due to failure or early termination of task k96u2b2nfdrmoqc74ui808m1p (task: non-zero exit (3))', 'demo_web'],
    ])
  })

  it('reports a rollback Swarm paused as update_paused', () => {
    const state = stateOf('rollback')
    const services = state.services.map((service) =>
      service.service === 'worker' ? {...service, updateStatus: {...service.updateStatus!, state: 'rollback_paused', message: 'rollback paused', completedAt: null}} : service,
    )
    assert.deepEqual(summary(detectSwarmDrift('demo', deployed, {...state, services}, NO_SHORTFALL)), [
      ['worker', 'update_paused', 'update completed', 'rollback_paused: rollback paused (task: non-zero exit (3))', 'demo_worker'],
    ])
  })

  it('reports a service removed by hand as missing, and a labelled service the commit dropped as extra', () => {
    const withCache = [...deployed.filter((service) => service.name !== 'worker'), {name: 'cache', image: 'redis:7', replicas: 1, hash: 'hcache'}]
    assert.deepEqual(summary(detectSwarmDrift('demo', withCache, normal, NO_SHORTFALL)), [
      ['cache', 'missing', 'service demo_cache', 'none', null],
      ['worker', 'extra', 'no such service', 'demo_worker (1 of 1 running)', 'demo_worker'],
    ])
  })

  it("reports a desired service the stack holds without kedge's labels as foreign, and looks no further at it", () => {
    const services = normal.services.map((service) => (service.service === 'web' ? {...service, managedByKedge: false, replicas: 5} : service))
    assert.deepEqual(summary(detectSwarmDrift('demo', deployed, {...normal, services}, NO_SHORTFALL)), [
      ['web', 'foreign', "kedge's service", "demo_web, created without kedge's labels", 'demo_web'],
    ])
  })

  it('reads the configuration hash as older kedge versions wrote it as the same configuration', () => {
    const renamed = deployed.map((service) => (service.name === 'web' ? {...service, hash: 'hweb-new', formerHashes: ['hweb1']} : service))
    assert.deepEqual(detectSwarmDrift('demo', renamed, normal, NO_SHORTFALL), [])
    const other = deployed.map((service) => (service.name === 'web' ? {...service, hash: 'hweb-new'} : service))
    assert.deepEqual(summary(detectSwarmDrift('demo', other, normal, NO_SHORTFALL)), [['web', 'wrong_config', 'config hweb-new', 'config hweb1', 'demo_web']])
  })

  it('compares the digest --resolve-image pinned, or the one the compose file pins, besides the name', () => {
    const pinned = (digit: string) => `kedge-test/busybox:1@sha256:${digit.repeat(64)}`
    const services = normal.services.map((service) => (service.service === 'web' ? {...service, image: pinned('a')} : service))
    const recordedB = deployed.map((service) => (service.name === 'web' ? {...service, swarm: {specDigest: service.swarm!.specDigest, image: pinned('b')}} : service))
    assert.deepEqual(summary(detectSwarmDrift('demo', recordedB, {...normal, services}, NO_SHORTFALL)), [['web', 'wrong_image', pinned('b'), pinned('a'), 'demo_web']])
    const recordedA = deployed.map((service) => (service.name === 'web' ? {...service, swarm: {specDigest: service.swarm!.specDigest, image: pinned('a')}} : service))
    assert.deepEqual(detectSwarmDrift('demo', recordedA, {...normal, services}, NO_SHORTFALL), [])
    const fileB = deployed.map((service) => (service.name === 'web' ? {...service, image: pinned('b'), swarm: undefined} : service))
    assert.deepEqual(summary(detectSwarmDrift('demo', fileB, {...normal, services}, NO_SHORTFALL)), [['web', 'wrong_image', pinned('b'), pinned('a'), 'demo_web']])
  })

  it('reads only the services of its own namespace', () => {
    const both: SwarmStackState = {...normal, services: [...normal.services, ...stateOf('failing').services]}
    assert.deepEqual(detectSwarmDrift('demo', deployed, both, NO_SHORTFALL), [])
  })
})

describe('degraded', () => {
  const drained = stateOf('drained', 'drained.nodes')
  const since = new Map([['web', 1_000], ['worker', 30_000]])

  it('is reported once a service has been short of running tasks for the grace period, with the reason Swarm gives', () => {
    assert.deepEqual(summary(detectSwarmDrift('demo', deployed, drained, {now: 61_000, graceMs: 60_000, shortSince: since})), [
      ['web', 'degraded', '2 running tasks', '0 running (no suitable node (1 node not available for new tasks))', 'demo_web'],
    ])
    assert.deepEqual(
      detectSwarmDrift('demo', deployed, drained, {now: 90_000, graceMs: 60_000, shortSince: since}).map((entry) => [entry.service, entry.type]),
      [['web', 'degraded'], ['worker', 'degraded']],
    )
  })

  it('is not reported within the grace period, nor for a shortfall the caller has not timed', () => {
    assert.deepEqual(detectSwarmDrift('demo', deployed, drained, {now: 60_999, graceMs: 60_000, shortSince: since}), [])
    assert.deepEqual(detectSwarmDrift('demo', deployed, drained, {now: 1e9, graceMs: 60_000, shortSince: new Map()}), [])
  })

  it('is not reported for a service that runs all it wants, whatever its clock says', () => {
    assert.deepEqual(detectSwarmDrift('demo', deployed, normal, {now: 1e9, graceMs: 0, shortSince: new Map([['web', 0], ['agent', 0]])}), [])
  })
})

describe('shortServices and trackShortServices', () => {
  it("names the services running fewer tasks than they want; a global service on a drained swarm wants none", () => {
    assert.deepEqual(shortServices('demo', deployed, stateOf('drained', 'drained.nodes')), ['web', 'worker'])
    assert.deepEqual(shortServices('demo', deployed, normal), [])
  })

  it('leaves out a service whose update is under way or paused: its shortfall is the update\'s', () => {
    assert.deepEqual(shortServices('demo', deployed, stateOf('paused')), [])
    assert.deepEqual(shortServices('demo', [{name: 'crasher'}, {name: 'ghost'}, {name: 'pinned'}], stateOf('failing')), [])
    assert.deepEqual(shortServices('fail', [{name: 'crasher'}, {name: 'ghost'}, {name: 'pinned'}], stateOf('failing')), ['crasher', 'ghost', 'pinned'])
  })

  it('keeps the first time a service was seen short, starts new ones now and drops those that recovered', () => {
    const tracked = trackShortServices(new Map([['web', 5], ['worker', 7]]), ['web', 'agent'], 100)
    assert.deepEqual([...tracked], [['web', 5], ['agent', 100]])
  })
})

describe('runningTasks', () => {
  it("counts a task on a node that went down out, though the engine still counts it (4 of 3 in Swarm's own count)", () => {
    const web = normal.services.find((service) => service.service === 'web')!
    const [first] = runningTasks(web, normal)
    const lost = {...first!, id: 'lost', nodeId: 'down-node'}
    const state: SwarmStackState = {...normal, tasks: [...normal.tasks, lost], nodes: [...normal.nodes, {id: 'down-node', hostname: 'n3', state: 'down', availability: 'active', role: 'worker'}]}
    assert.equal(runningTasks(web, state).length, 2)
    assert.equal(runningTasks(web, {...state, nodes: state.nodes.map((node) => ({...node, state: 'ready'}))}).length, 3)
  })

  it('counts neither a task no node took yet, nor one Swarm is shutting down', () => {
    const web = normal.services.find((service) => service.service === 'web')!
    const [first] = runningTasks(web, normal)
    const state: SwarmStackState = {...normal, tasks: [{...first!, id: 'unplaced', nodeId: null}, {...first!, id: 'stopping', desiredState: 'shutdown'}]}
    assert.equal(runningTasks(web, state).length, 0)
  })
})
