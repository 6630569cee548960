import {setTimeout as sleep} from 'node:timers/promises'

import {formatDuration} from '../../model/config/duration.js'
import type {KedgeContext} from '../../usecases/context.js'
import type {Notifier} from '../../usecases/notifying/notifier.js'
import {acquireLock, describeHolder} from '../../usecases/deploying/lock.js'
import {registerSecretVariables} from '../../usecases/repositories/secret-variables.js'
import {errorMessage, ExternalError} from '../../model/errors.js'
import type {EngineRow, LockRow} from '../../model/rows.js'
import type {Logger} from './logger.js'
import {EngineWatchers} from './engine-watchers.js'
import {LOCAL_ENGINE_IN_USE, ONLY_LOCAL_ENGINE, readEngineUse, type EngineUse} from './engine-use.js'
import {connectRegistered} from '../../usecases/engines/stack-engine.js'
import type {EngineId} from './drift-check-gate.js'
import {RepositoryLoop} from './repository-loop.js'
import type {ListenAddress} from '../http/listen-address.js'
import {KedgeMetrics} from '../http/metrics.js'
import {createHttpServer} from '../http/server.js'
import type {DaemonControl} from '../http/server-options.js'
import type {FastifyInstance} from 'fastify'
import {keepYoungGenerationSmall} from './young-generation.js'
import {warnWhenHomeIsElsewhereOnHost} from './home-mount-check.js'
import {type DatabaseChanges, DatabaseWatch} from './database-watch.js'
import {ChangeFeed} from '../http/live/change-feed.js'
import {loadDashboard} from '../http/dashboard/dashboard-assets.js'
import type {NamedTokens} from '../http/access/request-access.js'

/** How often the registry is re-read, so that `kedge repo add/remove` take effect without a restart. */
const REGISTRY_POLL_MS = 1000
/** How long serve, stopping, waits for the notifications under way. */
const NOTIFY_DRAIN_MS = 2000
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
  /** Where the HTTP side listens (health, metrics, API, webhooks); none when absent. */
  http?: {listen: ListenAddress; version: string}
  /** The notifier behind the context's announcer: its totals are metrics, and the API's channel test sends through it. */
  notifier: Pick<Notifier, 'sendNow' | 'totals' | 'drain'>
  /** Opens a watch on the database's commits, which the dashboard's event stream tells of (store/database-changes.ts). */
  databaseChanges: () => DatabaseChanges
  /** The named access tokens the HTTP side takes beside the admin token. */
  tokens: NamedTokens
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

/**
 * `kedge serve`: one loop per registered repository, and one event watcher per engine in use (the local
 * one, and each registered engine a repository or stack is set to), until `stop` is aborted. One serve per kedge home.
 */
export async function serve(context: KedgeContext, options: ServeOptions): Promise<void> {
  keepYoungGenerationSmall()
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
  // Its own signal, so that it also ends when serve fails to start (its HTTP side, say) rather than stops.
  const watching = new AbortController()
  options.stop.addEventListener('abort', () => watching.abort(), {once: true})
  // The dashboard's live view: the database is watched only while an event stream is open.
  const databaseWatch = new DatabaseWatch(
    options.databaseChanges,
    (repository) => feed.change(repository),
    () => feed.accessChanged(),
    (error) => {
      logger.log('warn', 'events.database_watch_failed', {error: errorMessage(error)})
      // The streams end, so that no page says it is live while it is not; their reconnection opens the watch
      // again. Not at once: the watch fails as a stream subscribes, which must be done first.
      setImmediate(() => feed.close())
    },
  )
  const feed = new ChangeFeed((watching) => (watching ? databaseWatch.start() : databaseWatch.stop()))
  /** Which engines are in use, and whose loops hear each one's events: read with the registry. */
  let engineUse: EngineUse = ONLY_LOCAL_ENGINE
  const loopsOn = (engine: EngineId) => [...loops.values()].filter((loop) => engineUse.routes(loop.name, engine))
  const engines: EngineWatchers = new EngineWatchers({
    logger,
    stop: watching.signal,
    connect: async (engine) => (engine.id === null ? context.engine : (await connectRegistered(context, currentEngineRow(context, engine.id, engine.name))).engine),
    // A project is looked up in each loop's own stacks on that engine, and two repositories' stacks may share one.
    onChange: (engine, change) => {
      for (const loop of loopsOn(engine.id)) loop.engineChanged(engine.id, change)
      // Only this home's repositories' containers: another tool's project, or another kedge's, changes nothing the dashboard shows.
      if (change.kind !== 'containers') feed.change(null)
      else if (change.repository !== null && loops.has(change.repository) && engineUse.routes(change.repository, engine.id)) feed.change(change.repository)
    },
    onReconnected: (engine) => {
      for (const loop of loopsOn(engine.id)) loop.engineReconnected(engine.id)
    },
    onAvailability: (engine, up) => metrics.engineAvailability(engine.name, up),
    onUnwatched: (engine, replaced) => {
      for (const loop of loops.values()) loop.engineUnheard(engine.id)
      if (!replaced) metrics.engineUnwatched(engine.name)
    },
  })
  const metrics = new KedgeMetrics(context, options.http?.version ?? 'unknown', options.notifier, {up: () => engines.upEngines(), logger})
  const loopSettings = {
    ...options,
    observer: metrics,
    // A loop may skip listing a quiet stack only while its engine's events are heard, and reach that loop.
    eventsLive: (engine: EngineId, repository: string) => engines.isUp(engine) && engineUse.routes(repository, engine),
    engineDown: (engine: EngineId) => engines.isDown(engine),
  }
  /**
   * The registry as last read; read every second, and almost always unchanged (bench/stack-scale.ts).
   * The engines in use are read with it, so that a repository or stack set to another engine has it watched.
   */
  let lastRegistry: string | null = null
  /** Returns whether the registry could be read. */
  const watchRegistry = (): boolean => {
    let registered: Set<string> | null = null
    try {
      const inUse = readEngineUse(context.store)
      const rows = context.store.repositoryRegistry()
      const registry = rows.map((row) => `${row.name}\0${row.tokenEnv ?? ''}\0${row.webhookSecretEnv ?? ''}`).join('\n')
      if (registry !== lastRegistry) {
        registered = new Set(rows.map((repository) => repository.name))
        registerSecretVariables(context, rows)
        lastRegistry = registry
      }
      engineUse = inUse
    } catch (error) {
      logger.log('error', 'registry.failed', {error: errorMessage(error)})
      return false
    }
    // Once serve has read the registry, an engine newly in use may have had events before its watcher connected.
    engines.update(engineUse.engines, {missedEvents: registryRead})
    if (registered) watchRepositories(registered)
    return true
  }
  const watchRepositories = (registered: Set<string>): void => {
    for (const name of registered) {
      if (loops.has(name)) continue
      loops.set(name, new RepositoryLoop(context, name, loopSettings))
      logger.log('info', 'repo.watching', {repo: name})
    }
    for (const [name, loop] of loops) {
      if (registered.has(name)) continue
      loop.stop()
      loops.delete(name)
      logger.log('info', 'repo.unwatched', {repo: name})
    }
  }
  let registryRead = false
  // The local engine at once, as serve starts: the registry says which others are in use.
  engines.update([LOCAL_ENGINE_IN_USE], {missedEvents: false})
  const control: DaemonControl = {
    requestPoll: (name, onFailed) => {
      const loop = loops.get(name)
      loop?.requestPoll(onFailed)
      return loop !== undefined
    },
    // An engine down does not make serve unready: its stacks wait for it, and the others go on.
    readiness: () => {
      const pending = [...loops.values()].filter((loop) => !loop.reconciledOnce).map((loop) => loop.name)
      const watched = engines.states().map(({name, up, since}) => ({name, up, since: since.toISOString()}))
      return {ready: registryRead && pending.length === 0, pending, engines: watched}
    },
  }
  let http: FastifyInstance | undefined
  try {
    if (options.http) http = await startHttp(context, {logger, metrics, control, abandon: options.abandon, notifier: options.notifier, tokens: options.tokens, feed}, options.http.listen)
    logger.log('info', 'serve.started', {home: context.home.root, pid: process.pid, interval: formatDuration(options.defaultIntervalMs)})
    // Not awaited: an engine slow to answer must not hold the start.
    void warnWhenHomeIsElsewhereOnHost(context, logger)
    registryRead = watchRegistry()
    while (!options.stop.aborted) {
      await sleep(REGISTRY_POLL_MS, undefined, {signal: options.stop}).catch(() => undefined)
      if (!options.stop.aborted && watchRegistry()) registryRead = true
    }
  } finally {
    logger.log('info', 'serve.stopping', {repositories: loops.size})
    watching.abort()
    for (const loop of loops.values()) loop.stop()
    // New requests are refused at once; a sync or rollback under way through the API is waited for
    // like the loops' deploys, and abandoned with them.
    const httpClosed = http ? http.close() : Promise.resolve()
    await untilDoneOrAbandoned([...loops.values()].map((loop) => loop.done).concat(engines.done(), httpClosed), options.abandon)
    http?.server.closeAllConnections()
    databaseWatch.close()
    context.engines.closeAll()
    lock.release()
    // What the last rounds announced gets one delivery's time, as a command's does.
    const undelivered = await options.notifier.drain(NOTIFY_DRAIN_MS)
    if (undelivered > 0) logger.log('warn', 'notify.abandoned', {count: undelivered})
  }
  logger.log('info', 'serve.stopped', {})
}

/**
 * A registered engine's row as it is now, at each connection of its watcher: the host keys it learned on
 * first use since are pinned from then on, as every other connection to it pins them.
 */
function currentEngineRow(context: KedgeContext, id: number, name: string): EngineRow {
  const row = context.store.findEngineById(id)
  if (!row) throw new ExternalError(`engine ${name} is no longer registered`, {code: 'engine_unavailable', hint: 'serve stops watching it at its next read of the registry'})
  return row
}

/** The HTTP side, listening before any repository is reconciled, so that /health answers from the start. */
async function startHttp(
  context: KedgeContext,
  parts: {logger: Logger; metrics: KedgeMetrics; control: DaemonControl; abandon: AbortSignal; notifier: ServeOptions['notifier']; tokens: NamedTokens; feed: ChangeFeed},
  listen: ListenAddress,
): Promise<FastifyInstance> {
  const admin = context.secrets.adminToken()
  const app = createHttpServer({context, ...parts, adminToken: admin.token, dashboard: loadDashboard()})
  try {
    await app.listen({host: listen.host, port: listen.port})
  } catch (error) {
    await app.close()
    throw new ExternalError(`cannot listen on ${listen.host}:${listen.port}: ${errorMessage(error)}`, {
      code: 'listen_failed',
      hint: 'pass another address with --listen HOST:PORT',
    })
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : listen.port
  parts.logger.log('info', 'http.listening', {address: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`, admin_token: admin.source})
  return app
}
