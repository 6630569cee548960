import {setTimeout as sleep} from 'node:timers/promises'

import {formatDuration} from '../../model/config/duration.js'
import type {Engine, EngineEvent} from '../../ports/engine.js'
import {COMPOSE_LABELS, LABELS} from '../../model/compose/labels.js'
import {errorMessage} from '../../model/errors.js'
import type {LogFields, Logger} from './logger.js'

/** Container events that can mean drift: worth a check at once. */
const DRIFT_ACTIONS = /^(die|stop|destroy|oom|pause|health_status: unhealthy)$/
/** Image events that can change which image a reference names. */
const IMAGE_ACTIONS = /^(tag|untag|pull|load|import|delete)$/
/** Container events that change nothing a drift check reads: healthchecks run as execs every few seconds. */
const READ_ONLY_ACTIONS = /^(exec_|attach$|detach$|resize$|top$|copy$|archive-path$|extract-to-dir$|export$|commit$)/

/** What an event may have changed, as the loops need to know it. */
export type EngineChange =
  /** One of these Compose projects' containers changed; `repository` is the one kedge's label names, if any. */
  | {kind: 'containers'; projects: string[]; repository: string | null; mayDrift: boolean}
  /** An image was pulled, tagged, removed or loaded: a reference may now name another image. */
  | {kind: 'images'}
  /** A line of the stream could not be read: whatever it told is lost. */
  | {kind: 'missed'}

const MIN_RETRY_MS = 250
const MAX_RETRY_MS = 5000

export interface EngineWatcherSettings {
  /**
   * The engine, reached anew at each (re)connection: a registered engine's connection can fail (it is
   * down, its identity changed), which counts as the engine being down and is tried again as a broken
   * stream is.
   */
  connect: () => Promise<Engine>
  /** The engine's name, on every line the watcher logs. */
  name: string
  logger: Logger
  stop: AbortSignal
  /**
   * While the stream is open, the engine is pinged this often, and a ping that fails ends the stream as
   * a break would. For an engine across a network: a host that vanishes (its packets dropped) leaves an
   * open stream silent rather than closed, and the stream alone would say the engine is up for ever.
   */
  heartbeatMs?: number
  /** Something that a drift check reads changed. */
  onChange: (change: EngineChange) => void
  /** The stream came back after breaking: events may have been missed, so everything is worth a check. */
  onReconnected: () => void
  /** Whether the engine answers now: on each (re)connection, and when the stream breaks. */
  onAvailability?: (connected: boolean) => void
}

/**
 * Follows a Docker engine's event stream for the containers of Compose projects, and for images. When the stream breaks (the
 * daemon restarted, the socket closed) it reconnects with `since` set to the last event it saw, and
 * asks for a full check, as the engine does not keep events across its own restart.
 */
export class EngineWatcher {
  readonly done: Promise<void>
  /** The engine as last connected, while its stream is open; null while it is not. */
  private openEngine: Engine | null = null

  constructor(private readonly settings: EngineWatcherSettings) {
    this.done = this.run()
  }

  /** The engine, while its event stream is open. */
  get connectedEngine(): Engine | null {
    return this.openEngine
  }

  private log(level: Parameters<Logger['log']>[0], event: string, fields: LogFields = {}): void {
    this.settings.logger.log(level, event, {engine: this.settings.name, ...fields})
  }

  private async run(): Promise<void> {
    const {stop} = this.settings
    let sinceSeconds: number | undefined
    let lostAt: number | null = null
    let retryMs = MIN_RETRY_MS
    while (!stop.aborted) {
      // Its own signal: a failed heartbeat ends this stream, not the watcher.
      const stream = new AbortController()
      const endStream = () => stream.abort()
      stop.addEventListener('abort', endStream, {once: true})
      const heartbeat = {timer: null as NodeJS.Timeout | null, failure: null as unknown}
      try {
        // A connection that hangs (an ssh tunnel opening) must not hold serve's stop.
        const engine = await unlessStopped(this.settings.connect(), stop)
        await engine.watchEvents({
          sinceSeconds,
          signal: stream.signal,
          onConnected: () => {
            retryMs = MIN_RETRY_MS
            this.openEngine = engine
            if (this.settings.heartbeatMs) heartbeat.timer = this.beat(engine, this.settings.heartbeatMs, stream, heartbeat)
            this.settings.onAvailability?.(true)
            if (lostAt === null) return this.log('debug', 'events.connected')
            this.log('info', 'events.reconnected', {after: formatDuration(Math.max(1, Date.now() - lostAt))})
            lostAt = null
            this.settings.onReconnected()
          },
          onEvent: (event) => {
            sinceSeconds = Number(event.timeNano / 1_000_000_000n)
            const change = changeOf(event)
            if (change) this.settings.onChange(change)
          },
          // One garbled line costs the events it would have told, no more: the stream goes on, and every stack is listed again.
          onUnreadable: (problem) => {
            this.log('warn', 'events.unreadable', {error: problem})
            this.settings.onChange({kind: 'missed'})
          },
        })
        if (stop.aborted) return
        if (lostAt === null) this.log('warn', 'events.disconnected', {error: heartbeat.failure === null ? 'the event stream ended' : errorMessage(heartbeat.failure)})
      } catch (error) {
        if (stop.aborted) return
        if (lostAt === null) this.log('warn', 'events.disconnected', {error: errorMessage(error)})
      } finally {
        if (heartbeat.timer) clearInterval(heartbeat.timer)
        stop.removeEventListener('abort', endStream)
        this.openEngine = null
      }
      if (lostAt === null) this.settings.onAvailability?.(false)
      lostAt ??= Date.now()
      sinceSeconds ??= Math.floor(lostAt / 1000)
      await sleep(retryMs, undefined, {signal: stop}).catch(() => undefined)
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
    }
  }

  /** Pings the engine every `everyMs` while its stream is open; the first ping that fails ends the stream, with its error kept for the log. */
  private beat(engine: Engine, everyMs: number, stream: AbortController, heartbeat: {failure: unknown}): NodeJS.Timeout {
    let pinging = false
    const timer = setInterval(() => {
      // A ping has its own time limit (engine-timeouts.ts); one still under way is not doubled.
      if (pinging || stream.signal.aborted) return
      pinging = true
      engine
        .ping()
        .catch((error: unknown) => {
          heartbeat.failure = error
          stream.abort()
        })
        .finally(() => (pinging = false))
    }, everyMs)
    timer.unref()
    return timer
  }
}

/** `work`, or a rejection as soon as `stop` aborts; `work`'s own outcome is then dropped, its failure included. */
function unlessStopped<T>(work: Promise<T>, stop: AbortSignal): Promise<T> {
  if (stop.aborted) {
    work.catch(() => undefined)
    return Promise.reject(new Error('stopped'))
  }
  return new Promise<T>((resolve, reject) => {
    const stopped = () => reject(new Error('stopped'))
    stop.addEventListener('abort', stopped, {once: true})
    work.then(resolve, reject).finally(() => stop.removeEventListener('abort', stopped))
  })
}

/** What an event may have changed; null when nothing a drift check reads. */
export function changeOf(event: EngineEvent): EngineChange | null {
  if (event.type === 'image') return IMAGE_ACTIONS.test(event.action) ? {kind: 'images'} : null
  if (event.type !== 'container' || READ_ONLY_ACTIONS.test(event.action)) return null
  const projects = [...new Set([event.labels[LABELS.project], event.labels[COMPOSE_LABELS.project]].filter((project): project is string => !!project))]
  if (projects.length === 0) return null
  // Only kedge's own containers prompt a check at once; others of its projects wait for the next round.
  const repository = event.labels[LABELS.repository] || null
  return {kind: 'containers', projects, repository, mayDrift: repository !== null && DRIFT_ACTIONS.test(event.action)}
}
