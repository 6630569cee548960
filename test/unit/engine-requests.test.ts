import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {dockerEngine} from '../../src/adapters/engine/engine-port.js'
import {callEngine, EngineTimeoutError, streamFromEngine} from '../../src/adapters/engine/engine-transport.js'
import {parseEngineEvent} from '../../src/adapters/engine/event-lines.js'
import type {EngineEvent} from '../../src/ports/engine.js'

/** A socket's path in a directory of its own, removed when the tests end. */
const socketDirectories: string[] = []
after(() => {
  for (const directory of socketDirectories) rmSync(directory, {recursive: true, force: true})
})
const socketIn = (name: string) => {
  const directory = mkdtempSync(path.join(tmpdir(), 'kedge-engine-'))
  socketDirectories.push(directory)
  return path.join(directory, name)
}

/** A unix socket that takes connections and never answers, as a wedged dockerd does. */
async function wedgedSocket(): Promise<{socketPath: string; held: () => number; close: () => Promise<void>}> {
  const socketPath = socketIn('wedged.sock')
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.resume()
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return {
    socketPath,
    held: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** An engine whose only route is /events: it opens the stream and writes `chunks` to it, a moment apart, then keeps it open. */
async function eventEngine(chunks: Array<string | Buffer>): Promise<{socketPath: string; close: () => Promise<void>}> {
  const socketPath = socketIn('events.sock')
  const responses = new Set<http.ServerResponse>()
  const server = http.createServer((request, response) => {
    responses.add(response)
    response.writeHead(200, {'content-type': 'application/json'})
    response.flushHeaders()
    let index = 0
    const next = () => {
      if (index >= chunks.length || response.destroyed) return
      response.write(chunks[index++])
      setTimeout(next, 10)
    }
    next()
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return {
    socketPath,
    close: async () => {
      for (const response of responses) response.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

const engineEvent = (action: string, id: string, labels: Record<string, string> = {}, type = 'container') =>
  JSON.stringify({status: action, id, Type: type, Action: action, Actor: {ID: id, Attributes: labels}, time: 1733400000, timeNano: 1733400000123456789})

describe('engine requests', () => {
  const dockerHost = process.env.DOCKER_HOST
  before(() => delete process.env.DOCKER_HOST)
  after(() => {
    if (dockerHost === undefined) delete process.env.DOCKER_HOST
    else process.env.DOCKER_HOST = dockerHost
  })

  it('a request the engine never answers fails after its timeout, and lets the connection go', async () => {
    const wedged = await wedgedSocket()
    process.env.DOCKER_HOST = `unix://${wedged.socketPath}`
    try {
      const started = Date.now()
      const error = await callEngine({method: 'GET', path: '/containers/json', query: {all: true}, timeoutMs: 300}).then(
        () => assert.fail('the wedged engine answered'),
        (caught: unknown) => caught,
      )
      const took = Date.now() - started
      assert.ok(error instanceof EngineTimeoutError, String(error))
      assert.equal(error.message, 'no answer to GET /containers/json within 300ms')
      assert.ok(took >= 290 && took < 2000, `failed after ${took} ms`)
      await waitUntil(() => wedged.held() === 0, 2000)
    } finally {
      await wedged.close()
    }
  })

  it("a stream's timeout bounds its opening only: a wedged engine fails it, an open stream outlives it", async () => {
    const wedged = await wedgedSocket()
    const quiet = await eventEngine([])
    try {
      process.env.DOCKER_HOST = `unix://${wedged.socketPath}`
      await assert.rejects(streamFromEngine({method: 'GET', path: '/events', timeoutMs: 200}), EngineTimeoutError)

      process.env.DOCKER_HOST = `unix://${quiet.socketPath}`
      const stream = (await streamFromEngine({method: 'GET', path: '/events', timeoutMs: 200})) as http.IncomingMessage
      let ended = false
      stream.on('close', () => (ended = true))
      stream.on('error', () => (ended = true))
      await new Promise((resolve) => setTimeout(resolve, 600))
      assert.equal(ended, false, 'the open stream was cut at the timeout')
      stream.destroy()
    } finally {
      await wedged.close()
      await quiet.close()
    }
  })

  it('an aborted signal still ends a request at once, as before', async () => {
    const wedged = await wedgedSocket()
    process.env.DOCKER_HOST = `unix://${wedged.socketPath}`
    try {
      const controller = new AbortController()
      const request = callEngine({method: 'GET', path: '/_ping', timeoutMs: 60_000, signal: controller.signal})
      setTimeout(() => controller.abort(), 50)
      await assert.rejects(request, (error: Error) => error.name === 'AbortError')
    } finally {
      await wedged.close()
    }
  })

  it('the event stream skips a line that is not an event, says why, and goes on', async () => {
    const valid = engineEvent('die', 'abc', {'io.kedge.repository': 'web', note: 'snow ☃ here'})
    const split = Buffer.from(`${valid}\n`)
    // The snowman's three bytes arrive in two chunks.
    const cut = split.indexOf(Buffer.from('☃')) + 1
    const engine = await eventEngine([
      'this is not json\n',
      'null\n[1,2]\n',
      `${engineEvent('stop', 'def').replace(/"timeNano":\d+/, '"timeNano":"soon"')}\n`,
      '\n',
      split.subarray(0, cut),
      split.subarray(cut),
      `${engineEvent('destroy', 'ghi')}\n`,
      `${engineEvent('tag', 'kedge-test/busybox:2', {name: 'kedge-test/busybox:2'}, 'image')}\n`,
    ])
    process.env.DOCKER_HOST = `unix://${engine.socketPath}`
    const controller = new AbortController()
    const events: EngineEvent[] = []
    const problems: string[] = []
    let connected = false
    try {
      const watching = dockerEngine.watchEvents({
        signal: controller.signal,
        onConnected: () => (connected = true),
        onEvent: (event) => {
          events.push(event)
          if (events.length === 3) controller.abort()
        },
        onUnreadable: (problem) => problems.push(problem),
      })
      await watching
      assert.equal(connected, true)
      assert.deepEqual(
        events.map((event) => [event.type, event.action, event.actorId, event.labels.note ?? event.labels.name ?? null]),
        [
          ['container', 'die', 'abc', 'snow ☃ here'],
          ['container', 'destroy', 'ghi', null],
          ['image', 'tag', 'kedge-test/busybox:2', 'kedge-test/busybox:2'],
        ],
      )
      assert.equal(problems.length, 4, problems.join('\n'))
      assert.match(problems[0]!, /^an event line that is not JSON \(.*\): "this is not json"$/)
      assert.match(problems[1]!, /^an event line that is not a JSON object: "null"$/)
      assert.match(problems[2]!, /^an event line that is not a JSON object: "\[1,2\]"$/)
      assert.match(problems[3]!, /^an event whose timeNano is not a time: /)
    } finally {
      controller.abort()
      await engine.close()
    }
  })

  it('a stream that sends a megabyte without a line break has it dropped, and goes on', async () => {
    const engine = await eventEngine(['x'.repeat(700_000), 'x'.repeat(700_000), `\n${engineEvent('die', 'abc')}\n`])
    process.env.DOCKER_HOST = `unix://${engine.socketPath}`
    const controller = new AbortController()
    const events: EngineEvent[] = []
    const problems: string[] = []
    try {
      await dockerEngine.watchEvents({
        signal: controller.signal,
        onConnected: () => undefined,
        onEvent: (event) => {
          events.push(event)
          controller.abort()
        },
        onUnreadable: (problem) => problems.push(problem),
      })
      assert.deepEqual(events.map((event) => event.actorId), ['abc'])
      assert.ok(problems.length >= 1)
      assert.match(problems[0]!, /^more than 1048576 characters without a line break, dropped: "x{200}…"$/)
    } finally {
      controller.abort()
      await engine.close()
    }
  })
})

describe('an engine event line', () => {
  it('reads the time in nanoseconds, past what a double holds exactly', () => {
    const event = parseEngineEvent(engineEvent('die', 'abc', {'io.kedge.repository': 'web'}))
    assert.equal(event.action, 'die')
    assert.equal(event.actorId, 'abc')
    assert.deepEqual(event.labels, {'io.kedge.repository': 'web'})
    assert.equal(event.timeNano / 1_000_000_000n, 1733400000n)
  })

  it('takes the older fields (status, id) when Action and Actor are missing', () => {
    assert.deepEqual(parseEngineEvent('{"status":"stop","id":"abc","timeNano":5}'), {type: 'container', action: 'stop', actorId: 'abc', labels: {}, timeNano: 5n})
  })

  it('refuses attributes that are not a mapping, quoting at most 200 characters of the line', () => {
    const line = JSON.stringify({Action: 'die', Actor: {ID: 'abc', Attributes: 'x'.repeat(500)}})
    assert.throws(() => parseEngineEvent(line), (error: Error) => error.message.startsWith('an event whose Actor.Attributes is not a mapping: ') && error.message.length < 300)
  })
})

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('the condition did not come true in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
