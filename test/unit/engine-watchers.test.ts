import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {engineUseOf, LOCAL_ENGINE_IN_USE, stackEngineId, type EngineInUse} from '../../src/drivers/daemon/engine-use.js'
import {EngineWatchers} from '../../src/drivers/daemon/engine-watchers.js'
import type {EngineChange} from '../../src/drivers/daemon/engine-watcher.js'
import type {Logger} from '../../src/drivers/daemon/logger.js'
import {ExternalError} from '../../src/model/errors.js'
import type {EngineRow, RepositoryRow, StackRow} from '../../src/model/rows.js'
import type {Engine, EngineEvent} from '../../src/ports/engine.js'
import {FakeEngine} from '../helpers/fake-ports.js'

const quiet: Logger = {level: 'debug', log: () => undefined, with: () => quiet}

function engineRow(id: number, name: string, host = `tcp://${name}:2376`): EngineRow {
  return {id, name, host, context: null, dockerConfig: null, tlsSecret: 'sealed', tlsSummary: null, sshKey: null, sshKeyFingerprint: null, knownHosts: null, identity: null, createdAt: new Date(0)}
}

function repository(id: number, name: string, engineId: number | null): RepositoryRow {
  return {id, name, engineId} as RepositoryRow
}

function stack(id: number, repositoryId: number, engineId: number | null): StackRow {
  return {id, repositoryId, name: `s${id}`, engineId} as StackRow
}

/** An engine whose stream opens at once, stays open until aborted, and hands the test a way to send on it. */
class StreamingEngine extends FakeEngine {
  opened = 0
  private deliver: ((event: EngineEvent) => void) | null = null
  // Optional only as the base class takes none: the watcher always gives them.
  override async watchEvents(given?: Parameters<Engine['watchEvents']>[0]): Promise<void> {
    const options = given!
    this.opened++
    options.onConnected()
    this.deliver = options.onEvent
    await new Promise<void>((resolve) => options.signal.addEventListener('abort', () => resolve(), {once: true}))
  }
  send(project: string): void {
    this.deliver?.({type: 'container', action: 'die', actorId: 'a', labels: {'io.kedge.repo': 'shop', 'io.kedge.project': project}, timeNano: 1n})
  }
}

async function until(what: string, condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Watchers over test engines: `local` and each registered one by name; `hanging` names those whose connection never answers. */
function watchers() {
  const streams = new Map<string, StreamingEngine>()
  const hanging = new Set<string>()
  const seen = {changes: [] as Array<{engine: string; change: EngineChange}>, reconnected: [] as string[], availability: [] as string[], unwatched: [] as string[]}
  const stop = new AbortController()
  const set = new EngineWatchers({
    logger: quiet,
    stop: stop.signal,
    connect: async (engine) => {
      if (hanging.has(engine.name)) return new Promise<Engine>(() => undefined)
      if (!streams.has(engine.key)) streams.set(engine.key, new StreamingEngine())
      return streams.get(engine.key)!
    },
    onChange: (engine, change) => seen.changes.push({engine: engine.name, change}),
    onReconnected: (engine) => seen.reconnected.push(engine.name),
    onAvailability: (engine, up) => seen.availability.push(`${engine.name} ${up ? 'up' : 'down'}`),
    onUnwatched: (engine, replaced) => seen.unwatched.push(`${engine.name}${replaced ? ' (replaced)' : ''}`),
  })
  return {set, streams, hanging, seen, stop}
}

const inUse = (row: EngineRow): EngineInUse => engineUseOf([row], [repository(1, 'shop', row.id)], []).engines[1]!

describe('the engines serve watches', () => {
  it('are the local engine and each registered engine a repository or a stack is set to; a stack’s own engine comes before its repository’s', () => {
    const web2 = engineRow(4, 'web2')
    const web3 = engineRow(5, 'web3')
    const unused = engineRow(6, 'unused')
    const use = engineUseOf([web2, web3, unused], [repository(1, 'shop', 4), repository(2, 'blog', null)], [stack(10, 1, null), stack(11, 1, 5), stack(12, 2, null)])
    assert.deepEqual(
      use.engines.map((engine) => engine.name),
      ['local', 'web2', 'web3'],
    )
    assert.equal(use.routes('shop', 4), true)
    assert.equal(use.routes('shop', 5), true, 'its stack s11 is on web3')
    assert.equal(use.routes('shop', null), false, 'no stack of shop is on the local engine')
    assert.equal(use.routes('blog', null), true)
    assert.equal(use.routes('blog', 4), false)
    assert.equal(stackEngineId({repository: {engineId: 4}, stack: {engineId: 5}}), 5)
    assert.equal(stackEngineId({repository: {engineId: 4}, stack: {engineId: null}}), 4)
  })

  it('keeps the same key for a row whose host keys or identity were learned, and another for one whose address or material changed', () => {
    const web2 = engineRow(4, 'web2')
    assert.equal(inUse({...web2, knownHosts: 'web2 ssh-ed25519 AAAA', identity: 'ID'}).key, inUse(web2).key)
    assert.notEqual(inUse({...web2, host: 'tcp://web2.example:2376'}).key, inUse(web2).key)
    assert.notEqual(inUse({...web2, tlsSecret: 'resealed'}).key, inUse(web2).key)
  })

  it('watch each engine on its own: events carry their engine, and one engine that hangs keeps no other waiting', async () => {
    const {set, streams, hanging, seen, stop} = watchers()
    const web2 = inUse(engineRow(4, 'web2'))
    const web3 = inUse(engineRow(5, 'web3'))
    hanging.add('web2')
    set.update([LOCAL_ENGINE_IN_USE, web2, web3], {missedEvents: false})
    await until('local and web3 to connect', () => set.isUp(null) && set.isUp(5))
    assert.equal(set.isUp(4), false)
    assert.equal(set.isDown(4), true)
    assert.equal(set.isDown(77), false, 'an engine serve does not watch is not known down')
    assert.deepEqual(
      set.states().map(({name, up}) => `${name} ${up}`),
      ['local true', 'web2 false', 'web3 true'],
    )
    assert.deepEqual(set.upEngines().map(({name}) => name), ['local', 'web3'])
    streams.get(web3.key)!.send('shop')
    streams.get(LOCAL_ENGINE_IN_USE.key)!.send('shop')
    assert.deepEqual(
      seen.changes.map(({engine}) => engine),
      ['web3', 'local'],
    )
    assert.deepEqual(seen.reconnected, [], 'engines watched from serve’s start are not told as reconnected')
    stop.abort()
    await set.done()
  })

  it('stop watching an engine no longer used, and start anew one whose row changed, telling its first connection as a return', async () => {
    const {set, streams, seen, stop} = watchers()
    const web2 = inUse(engineRow(4, 'web2'))
    set.update([LOCAL_ENGINE_IN_USE, web2], {missedEvents: false})
    await until('web2 to connect', () => set.isUp(4))
    const moved = inUse(engineRow(4, 'web2', 'tcp://web2.example:2376'))
    set.update([LOCAL_ENGINE_IN_USE, moved], {missedEvents: true})
    assert.deepEqual(seen.unwatched, ['web2 (replaced)'])
    await until('the new watcher to connect', () => streams.has(moved.key) && set.isUp(4))
    assert.deepEqual(seen.reconnected, ['web2'], 'events may have gone unheard between the two watchers')
    set.update([LOCAL_ENGINE_IN_USE], {missedEvents: true})
    assert.deepEqual(seen.unwatched, ['web2 (replaced)', 'web2'])
    assert.equal(set.isUp(4), false)
    assert.equal(set.isDown(4), false)
    assert.deepEqual(set.states().map(({name}) => name), ['local'])
    const local = streams.get(LOCAL_ENGINE_IN_USE.key)!
    assert.equal(local.opened, 1, 'the local engine’s watcher went on throughout')
    stop.abort()
    await set.done()
  })

  it('tell a connection that fails as the engine down, and retry it', async () => {
    const stop = new AbortController()
    const availability: string[] = []
    let attempts = 0
    const engine = new StreamingEngine()
    const set = new EngineWatchers({
      logger: quiet,
      stop: stop.signal,
      connect: async () => {
        if (++attempts === 1) throw new ExternalError('engine web2 now answers as another Docker engine', {code: 'engine_changed'})
        return engine
      },
      onChange: () => undefined,
      onReconnected: () => undefined,
      onAvailability: (watched, up) => availability.push(`${watched.name} ${up ? 'up' : 'down'}`),
      onUnwatched: () => undefined,
    })
    set.update([inUse(engineRow(4, 'web2'))], {missedEvents: false})
    await until('web2 to connect', () => set.isUp(4))
    assert.deepEqual(availability, ['web2 down', 'web2 up'])
    stop.abort()
    await set.done()
  })
})
