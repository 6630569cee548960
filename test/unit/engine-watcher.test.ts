import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {EngineWatcher} from '../../src/drivers/daemon/engine-watcher.js'
import type {Logger, LogFields} from '../../src/drivers/daemon/logger.js'
import {ExternalError} from '../../src/model/errors.js'
import type {Engine, EngineEvent} from '../../src/ports/engine.js'
import {FakeEngine} from '../helpers/fake-ports.js'

/** A logger that keeps its lines. */
function recordingLogger(): Logger & {lines: Array<{level: string; event: string; fields: LogFields}>} {
  const lines: Array<{level: string; event: string; fields: LogFields}> = []
  const logger = {level: 'debug' as const, lines, log: (level: string, event: string, fields: LogFields = {}) => void lines.push({level, event, fields}), with: () => logger}
  return logger
}

/** An engine whose event stream opens at once and stays open until aborted, or until the test ends it; it sends what `send` is given. */
class StreamingEngine extends FakeEngine {
  opened = 0
  private end: (() => void) | null = null
  private deliver: ((event: EngineEvent) => void) | null = null

  // Optional only as the base class takes none: the watcher always gives them.
  override async watchEvents(given?: Parameters<Engine['watchEvents']>[0]): Promise<void> {
    const options = given!
    this.opened++
    options.onConnected()
    this.deliver = options.onEvent
    await new Promise<void>((resolve) => {
      this.end = resolve
      options.signal.addEventListener('abort', () => resolve(), {once: true})
    })
    this.deliver = null
  }

  send(event: EngineEvent): void {
    this.deliver?.(event)
  }

  breakStream(): void {
    this.end?.()
  }
}

async function until(what: string, condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('an engine watcher', () => {
  it('counts a connection that fails as the engine down, logs it under the engine\'s name, and tries again until it connects', async () => {
    const engine = new StreamingEngine()
    const logger = recordingLogger()
    const stop = new AbortController()
    const availability: boolean[] = []
    let reconnected = 0
    let attempts = 0
    const watcher = new EngineWatcher({
      name: 'web2',
      logger,
      stop: stop.signal,
      connect: async () => {
        attempts++
        if (attempts < 3) throw new ExternalError('the Docker engine web2 (tcp://10.0.0.12:2376) did not take a connection within 5s', {code: 'engine_unavailable'})
        return engine
      },
      onChange: () => undefined,
      onReconnected: () => reconnected++,
      onAvailability: (up) => availability.push(up),
    })
    await until('the stream to open', () => engine.opened === 1)
    assert.deepEqual(availability, [false, true])
    assert.equal(reconnected, 1, 'events may have been missed while it was down')
    const disconnected = logger.lines.filter((line) => line.event === 'events.disconnected')
    assert.equal(disconnected.length, 1, 'logged once per outage, not per try')
    assert.equal(disconnected[0]!.fields.engine, 'web2')
    assert.match(String(disconnected[0]!.fields.error), /did not take a connection/)
    assert.equal(logger.lines.find((line) => line.event === 'events.reconnected')?.fields.engine, 'web2')
    assert.equal(watcher.connectedEngine, engine)
    stop.abort()
    await watcher.done
    assert.equal(watcher.connectedEngine, null)
  })

  it('tells the events of its own engine, and a break and its return', async () => {
    const engine = new StreamingEngine()
    const stop = new AbortController()
    const changes: unknown[] = []
    const availability: boolean[] = []
    let reconnected = 0
    const watcher = new EngineWatcher({
      name: 'local',
      logger: recordingLogger(),
      stop: stop.signal,
      connect: async () => engine,
      onChange: (change) => changes.push(change),
      onReconnected: () => reconnected++,
      onAvailability: (up) => availability.push(up),
    })
    await until('the stream to open', () => engine.opened === 1)
    assert.equal(reconnected, 0, 'a first connection is no return')
    engine.send({type: 'container', action: 'die', actorId: 'a', labels: {'io.kedge.repo': 'shop', 'io.kedge.project': 'shop'}, timeNano: 5_000_000_000n})
    assert.deepEqual(changes, [{kind: 'containers', projects: ['shop'], repository: 'shop', mayDrift: true}])
    engine.breakStream()
    await until('the stream to open again', () => engine.opened === 2)
    assert.deepEqual(availability, [true, false, true])
    assert.equal(reconnected, 1)
    stop.abort()
    await watcher.done
  })

  it('ends an open stream whose engine stops answering pings, as a break: a vanished host leaves a stream silent, not closed', async () => {
    const engine = new StreamingEngine()
    const logger = recordingLogger()
    const stop = new AbortController()
    const availability: boolean[] = []
    const watcher = new EngineWatcher({
      name: 'web2',
      logger,
      stop: stop.signal,
      heartbeatMs: 20,
      connect: async () => engine,
      onChange: () => undefined,
      onReconnected: () => undefined,
      onAvailability: (up) => availability.push(up),
    })
    await until('the stream to open', () => engine.opened === 1)
    engine.available = false
    await until('the engine to be found down', () => availability.includes(false))
    const disconnected = logger.lines.find((line) => line.event === 'events.disconnected')
    assert.equal(disconnected?.fields.engine, 'web2')
    assert.match(String(disconnected?.fields.error), /unavailable|answer/)
    engine.available = true
    await until('the stream to open again', () => engine.opened >= 2 && availability.at(-1) === true)
    stop.abort()
    await watcher.done
  })

  it('stops at once while a connection hangs (an engine whose packets are dropped)', async () => {
    const stop = new AbortController()
    const watcher = new EngineWatcher({
      name: 'web2',
      logger: recordingLogger(),
      stop: stop.signal,
      connect: () => new Promise<Engine>(() => undefined),
      onChange: () => undefined,
      onReconnected: () => undefined,
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    const stopping = Date.now()
    stop.abort()
    await watcher.done
    assert.ok(Date.now() - stopping < 500, `stopped after ${Date.now() - stopping} ms`)
  })
})
