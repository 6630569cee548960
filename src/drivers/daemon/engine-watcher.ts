import {setTimeout as sleep} from 'node:timers/promises'

import {formatDuration} from '../../model/config/duration.js'
import type {ContainerEvent, Engine} from '../../ports/engine.js'
import {LABELS} from '../../model/compose/labels.js'
import {errorMessage} from '../../model/errors.js'
import type {Logger} from './logger.js'

/** Container events that can mean drift. */
const DRIFT_ACTIONS = /^(die|stop|destroy|oom|pause|health_status: unhealthy)$/

const MIN_RETRY_MS = 250
const MAX_RETRY_MS = 5000

export interface EngineWatcherSettings {
  engine: Engine
  logger: Logger
  stop: AbortSignal
  /** A container of this repository may have drifted. */
  onDriftEvent: (repository: string, event: ContainerEvent) => void
  /** The stream came back after breaking: events may have been missed, so everything is worth a check. */
  onReconnected: () => void
  /** Whether the engine answers now: on each (re)connection, and when the stream breaks. */
  onAvailability?: (connected: boolean) => void
}

/**
 * Follows the Docker engine's event stream for containers kedge labelled. When the stream breaks (the
 * daemon restarted, the socket closed) it reconnects with `since` set to the last event it saw, and
 * asks for a full check, as the engine does not keep events across its own restart.
 */
export class EngineWatcher {
  readonly done: Promise<void>

  constructor(private readonly settings: EngineWatcherSettings) {
    this.done = this.run()
  }

  private async run(): Promise<void> {
    const {engine, logger, stop} = this.settings
    let sinceSeconds: number | undefined
    let lostAt: number | null = null
    let retryMs = MIN_RETRY_MS
    while (!stop.aborted) {
      try {
        await engine.watchContainerEvents({
          sinceSeconds,
          signal: stop,
          onConnected: () => {
            retryMs = MIN_RETRY_MS
            this.settings.onAvailability?.(true)
            if (lostAt === null) return logger.log('debug', 'events.connected', {})
            logger.log('info', 'events.reconnected', {after: formatDuration(Math.max(1, Date.now() - lostAt))})
            lostAt = null
            this.settings.onReconnected()
          },
          onEvent: (event) => {
            sinceSeconds = Number(event.timeNano / 1_000_000_000n)
            const repository = event.labels[LABELS.repository]
            if (repository && DRIFT_ACTIONS.test(event.action)) this.settings.onDriftEvent(repository, event)
          },
          // One garbled line costs the events it would have told, no more: the stream goes on.
          onUnreadable: (problem) => logger.log('warn', 'events.unreadable', {error: problem}),
        })
        if (stop.aborted) return
        if (lostAt === null) logger.log('warn', 'events.disconnected', {error: 'the event stream ended'})
      } catch (error) {
        if (stop.aborted) return
        if (lostAt === null) logger.log('warn', 'events.disconnected', {error: errorMessage(error)})
      }
      if (lostAt === null) this.settings.onAvailability?.(false)
      lostAt ??= Date.now()
      sinceSeconds ??= Math.floor(lostAt / 1000)
      await sleep(retryMs, undefined, {signal: stop}).catch(() => undefined)
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
    }
  }
}
