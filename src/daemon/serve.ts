import {setTimeout as sleep} from 'node:timers/promises'

import {formatDuration} from '../config/duration.js'
import type {KedgeContext} from '../core/context.js'
import {acquireLock, describeHolder} from '../core/lock.js'
import {errorMessage, ExternalError} from '../errors.js'
import {registerSecretVariable} from '../secrets/secret-environment.js'
import {listRepositories} from '../store/repositories.js'
import type {LockRow} from '../store/schema.js'
import type {Logger} from './logger.js'
import {EngineWatcher} from './engine-watcher.js'
import {RepositoryLoop} from './repository-loop.js'

/** How often the registry is re-read, so that `kedge repo add/remove` take effect without a restart. */
const REGISTRY_POLL_MS = 1000
/** After in-flight work is abandoned, how long loops get to record it before serve exits regardless. */
const ABANDON_GRACE_MS = 2000

export interface ServeOptions {
  defaultIntervalMs: number
  logger: Logger
  fixedLogFormat: boolean
  fixedLogLevel: boolean
  /** Aborted to stop: no new work starts, loops end after their current step. */
  stop: AbortSignal
  /** Aborted to abandon in-flight deploys. */
  abandon: AbortSignal
}

/**
 * Waits for the loops to finish their step. Once in-flight work is abandoned they get a moment to record
 * it; past that, serve exits anyway, and the next kedge to take a repository's lock records whatever
 * was still pending as interrupted.
 */
async function untilDoneOrAbandoned(done: Promise<void>[], abandon: AbortSignal): Promise<void> {
  const abandoned = new Promise<void>((resolve) => {
    const grace = () => setTimeout(resolve, ABANDON_GRACE_MS).unref()
    if (abandon.aborted) grace()
    else abandon.addEventListener('abort', grace, {once: true})
  })
  await Promise.race([Promise.all(done), abandoned])
}

/** `kedge serve`: one loop per registered repository, until `stop` is aborted. One serve per kedge home. */
export async function serve(context: KedgeContext, options: ServeOptions): Promise<void> {
  let holder: LockRow | undefined
  const lock = await acquireLock(context, 'serve', {purpose: 'kedge serve', waitMs: 0, onWait: (current) => (holder = current)}).catch((error: unknown) => {
    if (!holder) throw error
    throw new ExternalError(`kedge serve already runs for ${context.home.root}: ${describeHolder(holder)}`, {
      code: 'already_running',
      hint: 'stop it first, or give this one another --home',
    })
  })
  const {logger} = options
  const loops = new Map<string, RepositoryLoop>()
  const watchRegistry = () => {
    let registered: Set<string>
    try {
      const rows = listRepositories(context.db)
      registered = new Set(rows.map((repository) => repository.name))
      for (const row of rows) if (row.tokenEnv) registerSecretVariable(row.tokenEnv)
    } catch (error) {
      logger.log('error', 'registry.failed', {error: errorMessage(error)})
      return
    }
    for (const name of registered) {
      if (loops.has(name)) continue
      loops.set(name, new RepositoryLoop(context, name, options))
      logger.log('info', 'repo.watching', {repo: name})
    }
    for (const [name, loop] of loops) {
      if (registered.has(name)) continue
      loop.stop()
      loops.delete(name)
      logger.log('info', 'repo.unwatched', {repo: name})
    }
  }
  const events = new EngineWatcher({
    logger,
    stop: options.stop,
    onDriftEvent: (repository) => loops.get(repository)?.nudge(),
    onReconnected: () => {
      for (const loop of loops.values()) loop.nudge()
    },
  })
  try {
    logger.log('info', 'serve.started', {home: context.home.root, pid: process.pid, interval: formatDuration(options.defaultIntervalMs)})
    watchRegistry()
    while (!options.stop.aborted) {
      await sleep(REGISTRY_POLL_MS, undefined, {signal: options.stop}).catch(() => undefined)
      if (!options.stop.aborted) watchRegistry()
    }
  } finally {
    logger.log('info', 'serve.stopping', {repositories: loops.size})
    for (const loop of loops.values()) loop.stop()
    await untilDoneOrAbandoned([...loops.values()].map((loop) => loop.done).concat(events.done), options.abandon)
    lock.release()
  }
  logger.log('info', 'serve.stopped', {})
}
