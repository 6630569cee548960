import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {parseStackServices} from '../../src/model/swarm/swarm-services.js'
import {describeSwarmChanges, planSwarmChanges} from '../../src/model/swarm/swarm-plan.js'
import type {DesiredSwarmService, RecordedSwarmService} from '../../src/model/swarm/swarm-state.js'

// Fixtures: see test/unit/swarm-services.test.ts.
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/swarm/${name}.json`, import.meta.url), 'utf8'))
const servicesOf = (state: string) => ({services: parseStackServices(fixture(`${state}.services`))})
const want = (name: string, hash: string, replicas = 1, image = 'kedge-test/busybox:1'): DesiredSwarmService => ({name, image, replicas, hash})

const normal = servicesOf('normal')
const first = [want('web', 'hweb1', 2), want('worker', 'hworker1'), want('agent', 'hagent1')]
/** What the first deployment recorded of each service once it passed the gate. */
const recorded = new Map<string, RecordedSwarmService>(normal.services.map((service) => [service.service, {specDigest: service.specDigest, image: service.image}]))

describe('planSwarmChanges', () => {
  it('changes nothing for the stack as deployed', () => {
    assert.deepEqual(planSwarmChanges('demo', first, normal, recorded), [])
  })

  it('creates, updates and removes services as the commit adds, changes and drops them', () => {
    const next = [want('web', 'hweb2', 2, 'kedge-test/busybox:2'), want('worker', 'hworker1'), want('cache', 'hcache', 1, 'redis:7')]
    assert.deepEqual(planSwarmChanges('demo', next, normal, recorded), [
      {service: 'web', action: 'update', from: 'kedge-test/busybox:1', to: 'kedge-test/busybox:2'},
      {service: 'cache', action: 'create', from: null, to: 'redis:7'},
      {service: 'agent', action: 'remove', from: 'kedge-test/busybox:1', to: null},
    ])
  })

  it('scales a service whose replicas alone change', () => {
    const next = [want('web', 'hweb1', 3), want('worker', 'hworker1'), want('agent', 'hagent1')]
    assert.deepEqual(planSwarmChanges('demo', next, normal, recorded), [{service: 'web', action: 'scale', from: 'kedge-test/busybox:1', to: 'kedge-test/busybox:1'}])
  })

  it("puts back what was changed on the engine, and leaves a service without kedge's labels alone", () => {
    assert.deepEqual(planSwarmChanges('demo', first, servicesOf('drifted'), recorded), [
      {service: 'web', action: 'scale', from: 'kedge-test/busybox:1', to: 'kedge-test/busybox:1'},
      {service: 'worker', action: 'update', from: 'kedge-test/busybox:1', to: 'kedge-test/busybox:1'},
      {service: 'agent', action: 'update', from: 'kedge-test/busybox:2', to: 'kedge-test/busybox:1'},
    ])
  })

  it('reads the recorded digest from the desired service when it carries one', () => {
    const withRecords = first.map((service) => ({...service, swarm: recorded.get(service.name)!}))
    assert.deepEqual(
      planSwarmChanges('demo', withRecords, servicesOf('drifted')).map((change) => [change.service, change.action]),
      [['web', 'scale'], ['worker', 'update'], ['agent', 'update']],
    )
    // Without any record, a change made by hand to the spec alone is not seen.
    assert.deepEqual(planSwarmChanges('demo', first, servicesOf('drifted')).map((change) => [change.service, change.action]), [['web', 'scale'], ['agent', 'update']])
  })

  it('updates a service whose update Swarm paused, though it carries the configuration: a deploy starts a new update', () => {
    const broken = [want('web', 'hweb2', 2), want('worker', 'hworker1'), want('agent', 'hagent1')]
    assert.deepEqual(planSwarmChanges('demo', broken, servicesOf('paused')), [{service: 'web', action: 'update', from: 'kedge-test/busybox:1', to: 'kedge-test/busybox:1'}])
  })

  it("takes over a wanted service that lacks kedge's labels", () => {
    const services = normal.services.map((service) => (service.service === 'worker' ? {...service, managedByKedge: false} : service))
    assert.deepEqual(planSwarmChanges('demo', first, {services}, recorded), [{service: 'worker', action: 'update', from: 'kedge-test/busybox:1', to: 'kedge-test/busybox:1'}])
  })
})

describe('describeSwarmChanges', () => {
  it('lists each change, or says there are none', () => {
    assert.equal(describeSwarmChanges([]), 'no changes')
    assert.equal(
      describeSwarmChanges([
        {service: 'web', action: 'update', from: 'a', to: 'b'},
        {service: 'db', action: 'scale', from: 'a', to: 'a'},
        {service: 'old', action: 'remove', from: 'a', to: null},
      ]),
      'update web, scale db, remove old',
    )
  })
})
