import type {Engine} from '../../ports/engine.js'
import type {EngineId} from './drift-check-gate.js'
import type {EngineInUse} from './engine-use.js'
import {EngineWatcher, type EngineChange} from './engine-watcher.js'
import type {Logger} from './logger.js'

/**
 * How often a registered engine is pinged while its stream is open: a host that drops off the network
 * is found down within this and a ping's time limit, rather than when the kernel gives up on the socket.
 */
const REMOTE_HEARTBEAT_MS = 15_000

/** An engine as serve watches it: whether its event stream is open, and since when it is (or is not). */
export interface EngineState {
  name: string
  up: boolean
  since: Date
}

export interface EngineWatchersSettings {
  logger: Logger
  /** Aborted when serve stops: every watcher ends. */
  stop: AbortSignal
  /** Reaches the engine, at each (re)connection of its watcher. */
  connect: (engine: EngineInUse) => Promise<Engine>
  onChange: (engine: EngineInUse, change: EngineChange) => void
  /**
   * The engine's stream came back after breaking, or a watcher started while serve runs (a repository
   * newly set to the engine, a changed row) connected: events may have been missed.
   */
  onReconnected: (engine: EngineInUse) => void
  onAvailability: (engine: EngineInUse, up: boolean) => void
  /** serve stopped watching the engine; `replaced` when a watcher of its changed row takes over. Its events go unheard meanwhile. */
  onUnwatched: (engine: EngineInUse, replaced: boolean) => void
}

interface Watched {
  engine: EngineInUse
  watcher: EngineWatcher
  stop: AbortController
  up: boolean
  since: Date
}

/**
 * One event watcher per engine in use, each with its own connection, backoff and log fields, so that an
 * engine that is down, or hangs, delays no other engine's events. serve hands it the engines in use at
 * every read of the registry: a new one is watched, one no longer used is not, and one whose row changed
 * is watched anew.
 */
export class EngineWatchers {
  private readonly watched = new Map<EngineId, Watched>()
  /** Watchers told to stop that have not ended yet: serve's stop waits for them too. */
  private readonly ending = new Set<Promise<void>>()

  constructor(private readonly settings: EngineWatchersSettings) {}

  /**
   * Starts and stops watchers so that exactly the engines in `engines` are watched. With `missedEvents`
   * (serve runs already), the first connection of a watcher started now is told as a reconnection: its
   * engine may have had events before it, which serve's own start would otherwise have made up for.
   */
  update(engines: readonly EngineInUse[], {missedEvents}: {missedEvents: boolean}): void {
    const wanted = new Map(engines.map((engine) => [engine.id, engine]))
    for (const [id, current] of this.watched) {
      const next = wanted.get(id)
      if (next?.key === current.engine.key) continue
      this.unwatch(current, next !== undefined)
    }
    for (const engine of engines) {
      if (!this.watched.has(engine.id)) this.watch(engine, missedEvents)
    }
  }

  /** Whether the engine's event stream is open now; false for an engine serve does not watch. */
  isUp(id: EngineId): boolean {
    return this.watched.get(id)?.up ?? false
  }

  /** Whether serve watches the engine and its stream is not open: it is down, or not reached yet. */
  isDown(id: EngineId): boolean {
    const watched = this.watched.get(id)
    return watched !== undefined && !watched.up
  }

  /** Every engine watched, in the order serve gave them (the local one first). */
  states(): EngineState[] {
    return [...this.watched.values()].map(({engine, up, since}) => ({name: engine.name, up, since}))
  }

  /** The engines whose stream is open, for what reads them at once (the metrics' listing). */
  upEngines(): Array<{name: string; engine: Engine}> {
    return [...this.watched.values()].flatMap(({engine, watcher}) => {
      const open = watcher.connectedEngine
      return open ? [{name: engine.name, engine: open}] : []
    })
  }

  /** Once every watcher, stopped earlier or by serve's stop, has ended. */
  async done(): Promise<void> {
    await Promise.all([...[...this.watched.values()].map(({watcher}) => watcher.done), ...this.ending])
  }

  private watch(engine: EngineInUse, tellFirstConnection: boolean): void {
    const {settings} = this
    const stop = new AbortController()
    const stopWithServe = () => stop.abort()
    settings.stop.addEventListener('abort', stopWithServe, {once: true})
    let firstConnection = tellFirstConnection
    const entry: Watched = {
      engine,
      stop,
      up: false,
      since: new Date(),
      watcher: new EngineWatcher({
        connect: () => settings.connect(engine),
        name: engine.name,
        logger: settings.logger,
        stop: stop.signal,
        heartbeatMs: engine.row === null ? undefined : REMOTE_HEARTBEAT_MS,
        onChange: (change) => settings.onChange(engine, change),
        onReconnected: () => settings.onReconnected(engine),
        onAvailability: (up) => {
          entry.up = up
          entry.since = new Date()
          settings.onAvailability(engine, up)
          if (up && firstConnection) settings.onReconnected(engine)
          firstConnection = false
        },
      }),
    }
    void entry.watcher.done.finally(() => settings.stop.removeEventListener('abort', stopWithServe))
    this.watched.set(engine.id, entry)
    settings.logger.log('info', 'engine.watching', {engine: engine.name})
  }

  private unwatch(entry: Watched, replaced: boolean): void {
    this.watched.delete(entry.engine.id)
    entry.stop.abort()
    const ended = entry.watcher.done.finally(() => this.ending.delete(ended))
    this.ending.add(ended)
    this.settings.logger.log('info', 'engine.unwatched', {engine: entry.engine.name, reason: replaced ? 'its registration changed' : 'no repository or stack is set to it'})
    this.settings.onUnwatched(entry.engine, replaced)
  }
}
