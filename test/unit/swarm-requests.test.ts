import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {EngineRequest, EngineTransport} from '../../src/adapters/engine/engine-request.js'
import {swarmRequests} from '../../src/adapters/engine/swarm-requests.js'

const DESCRIBED = {subject: 'the Docker engine', unreachableHint: 'start it', wedgedHint: 'restart it'}

const SERVICE = {
  ID: 'svc1',
  Version: {Index: 10},
  CreatedAt: '2026-01-01T00:00:00Z',
  UpdatedAt: '2026-01-01T00:00:00Z',
  Spec: {
    Name: 'demo_web',
    Labels: {'com.docker.stack.namespace': 'demo', 'io.kedge.managed': 'true'},
    Mode: {Replicated: {Replicas: 1}},
    TaskTemplate: {ContainerSpec: {Image: 'kedge-test/busybox:1'}},
  },
}

function task(id: string, serviceId: string, desiredState: string): unknown {
  return {
    ID: id,
    ServiceID: serviceId,
    Slot: 1,
    NodeID: 'node1',
    DesiredState: desiredState,
    CreatedAt: '2026-01-01T00:00:01Z',
    Status: {State: 'running', Timestamp: '2026-01-01T00:00:02Z'},
    Spec: {ContainerSpec: {Image: 'kedge-test/busybox:1'}},
  }
}

/** A transport that answers GETs by path, and keeps every request it was given. */
function recordingTransport(answers: Record<string, unknown>): EngineTransport & {requests: EngineRequest[]} {
  const requests: EngineRequest[] = []
  return {
    requests,
    call: async (request) => {
      requests.push(request)
      if (!(request.path in answers)) throw Object.assign(new Error(`no answer for ${request.path}`), {statusCode: 404})
      return answers[request.path]
    },
    stream: async () => {
      throw new Error('no stream here')
    },
  }
}

describe('swarmRequests.swarmState', () => {
  it("asks for the stack's tasks by its namespace label, not by the ids of the services it lists", async () => {
    const transport = recordingTransport({'/services': [SERVICE], '/tasks': [task('t1', 'svc1', 'running')], '/nodes': []})
    await swarmRequests(transport, DESCRIBED).swarmState('demo')
    const byPath = new Map(transport.requests.map((request) => [request.path, request.query]))
    assert.deepEqual(byPath.get('/tasks'), {filters: {label: ['com.docker.stack.namespace=demo']}})
    assert.deepEqual(byPath.get('/services'), {status: true, filters: {label: ['com.docker.stack.namespace=demo']}})
  })

  it('keeps the tasks of a service removed a moment ago, which the engine lists until their containers stop: what a take-down waits on', async () => {
    // The engine filtered by a removed service's id answers 404 ("service … not found"); by the label, it lists its tasks, desired `remove`.
    const transport = recordingTransport({'/services': [], '/tasks': [task('t1', 'gone', 'remove')], '/nodes': []})
    const state = await swarmRequests(transport, DESCRIBED).swarmState('demo')
    assert.deepEqual(state.services, [])
    assert.deepEqual(state.tasks.map((listed) => [listed.serviceId, listed.desiredState, listed.state]), [['gone', 'remove', 'running']])
  })
})
