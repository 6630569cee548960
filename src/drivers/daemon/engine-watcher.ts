import {setTimeout as sleep} from 'node:timers/promises'

import {formatDuration} from '../../model/config/duration.js'
import type {Engine, EngineEvent} from '../../ports/engine.js'
import {COMPOSE_LABELS, LABELS} from '../../model/compose/labels.js'
import {errorMessage} from '../../model/errors.js'
import type {Logger} from './logger.js'

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
  engine: Engine
  logger: Logger
  stop: AbortSignal
  /** Something that a drift check reads changed. */
  onChange: (change: EngineChange) => void
  /** The stream came back after breaking: events may have been missed, so everything is worth a check. */
  onReconnected: () => void
  /** Whether the engine answers now: on each (re)connection, and when the stream breaks. */
  onAvailability?: (connected: boolean) => void
}

/**
 * Follows the Docker engine's event stream for the containers of Compose projects, and for images. When the stream breaks (the
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
        await engine.watchEvents({
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
            const change = changeOf(event)
            if (change) this.settings.onChange(change)
          },
          // One garbled line costs the events it would have told, no more: the stream goes on, and every stack is listed again.
          onUnreadable: (problem) => {
            logger.log('warn', 'events.unreadable', {error: problem})
            this.settings.onChange({kind: 'missed'})
          },
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
