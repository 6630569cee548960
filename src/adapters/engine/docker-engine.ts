import type Docker from 'dockerode'

import type {Engine, EngineEvent} from '../../ports/engine.js'

import type {ContainerMount} from '../../model/home-mount.js'
import {toStackContainer, type StackContainer} from '../../model/stack/containers.js'
import {COMPOSE_LABELS, LABELS} from '../../model/compose/labels.js'
import {toEngineIdentity, type EngineIdentity} from '../../model/engine/engine-identity.js'
import {errorMessage, ExternalError} from '../../model/errors.js'
import {byCodeUnits} from '../../model/compose/text-order.js'
import {engineError, LOCAL_ENGINE, type EngineDescription} from './engine-errors.js'
import type {EngineTransport} from './engine-request.js'
import {environmentTransport} from './engine-transport.js'
import {EVENTS_CONNECT_TIMEOUT_MS, PING_TIMEOUT_MS, QUERY_TIMEOUT_MS, REMOVE_TIMEOUT_MS, STOP_MARGIN_MS, UNLIMITED_STOP_MS} from './engine-timeouts.js'
import {readEvents} from './event-stream.js'
import {countingLosses, type LossCounter} from './connection-losses.js'
import {imageRequests} from './image-requests.js'
import {containerFileRequests} from './container-files.js'
import {ownContainerMounts} from './own-container.js'
import type {SwarmRequests} from './swarm-requests.js'

/** The Engine port, and what the adapters ask of an engine beyond it. */
export interface DockerEngine extends Engine {
  /** Which engine answers (`GET /info`): its ID, name and version, and its swarm. */
  identify(): Promise<EngineIdentity>
}

/** How long Compose gives an orphan it stops before it kills it, in seconds. */
const ORPHAN_STOP_SECONDS = 10

/** Node's longest timer: setTimeout takes a longer delay as 1 ms. */
const LONGEST_TIMER_MS = 2 ** 31 - 1

/** The engine's default stop timeout, for a container created without one (`stop_grace_period`), in seconds. */
const DEFAULT_STOP_SECONDS = 10

/** The engine that `transport` reaches, named in its errors as `described` says (kedge's own engine's words unless given). */
export function createDockerEngine(reaching: EngineTransport, described: EngineDescription = LOCAL_ENGINE): DockerEngine {
  const failure = (error: unknown) => engineError(error, described)
  const losses: LossCounter = {count: 0}
  const transport = countingLosses(reaching, losses)

  /** Every container kedge labelled for this Compose project, running or not; one-off `compose run` containers are not part of the stack. */
  async function listKedgeContainers(project: string): Promise<StackContainer[]> {
    const containers = await listContainers([`${LABELS.managed}=true`, `${LABELS.project}=${project}`])
    return containers.filter((container) => container.labels[COMPOSE_LABELS.oneoff] !== 'True')
  }

  /** Every container kedge labelled, of every repository; one-off `compose run` containers are left out. */
  async function listAllKedgeContainers(): Promise<StackContainer[]> {
    const containers = await listContainers([`${LABELS.managed}=true`])
    return containers.filter((container) => container.labels[COMPOSE_LABELS.oneoff] !== 'True')
  }

  /** Every container Compose created for this project, whoever asked it to. */
  async function listComposeProjectContainers(project: string): Promise<StackContainer[]> {
    return listContainers([`${COMPOSE_LABELS.project}=${project}`])
  }

  async function listContainers(labelFilters: string[]): Promise<StackContainer[]> {
    try {
      const raw = await transport.call({method: 'GET', path: '/containers/json', query: {all: true, filters: {label: labelFilters}}, timeoutMs: QUERY_TIMEOUT_MS})
      if (!Array.isArray(raw)) throw new Error(`the container list was not a list: ${String(raw).slice(0, 200)}`)
      return (raw as Docker.ContainerInfo[]).map(toStackContainer).sort((a, b) => byCodeUnits(a.name, b.name))
    } catch (error) {
      throw failure(error)
    }
  }

  async function removeContainer(id: string): Promise<void> {
    try {
      await transport.call({method: 'DELETE', path: `/containers/${encodeURIComponent(id)}`, query: {force: true}, timeoutMs: REMOVE_TIMEOUT_MS})
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode !== 404) throw failure(error)
    }
  }

  /** Stops a container as Compose stops an orphan (SIGTERM, then SIGKILL after 10 s), then removes it. */
  async function stopAndRemoveContainer(id: string): Promise<void> {
    try {
      await transport.call({
        method: 'POST',
        path: `/containers/${encodeURIComponent(id)}/stop`,
        query: {t: ORPHAN_STOP_SECONDS},
        timeoutMs: ORPHAN_STOP_SECONDS * 1000 + STOP_MARGIN_MS,
      })
    } catch (error) {
      // 304: it was not running; 404: it is gone already.
      const status = (error as {statusCode?: number}).statusCode
      if (status !== 304 && status !== 404) throw failure(error)
    }
    await removeContainer(id)
  }

  /** Restarts a container as `docker restart` does: stopped within the stop timeout it was created with, then started. */
  async function restartContainer(id: string): Promise<void> {
    try {
      const stopMs = await stopTimeoutMs(id)
      await transport.call({method: 'POST', path: `/containers/${encodeURIComponent(id)}/restart`, timeoutMs: stopMs + STOP_MARGIN_MS})
    } catch (error) {
      throw failure(error)
    }
  }

  /** How long the engine waits for the container to stop before it kills it (the restart's own wait). */
  async function stopTimeoutMs(id: string): Promise<number> {
    const inspected = (await transport.call({method: 'GET', path: `/containers/${encodeURIComponent(id)}/json`, timeoutMs: QUERY_TIMEOUT_MS})) as {Config?: {StopTimeout?: unknown}}
    const seconds = inspected.Config?.StopTimeout
    if (typeof seconds !== 'number') return DEFAULT_STOP_SECONDS * 1000
    // A timer longer than Node's longest (about 24.8 days) would fire at once.
    return seconds < 0 ? UNLIMITED_STOP_MS : Math.min(seconds * 1000, LONGEST_TIMER_MS - STOP_MARGIN_MS)
  }

  /** Sends a signal (such as SIGHUP) to a container's main process, as `docker kill --signal` does. */
  async function signalContainer(id: string, signal: string): Promise<void> {
    try {
      await transport.call({method: 'POST', path: `/containers/${encodeURIComponent(id)}/kill`, query: {signal}, timeoutMs: QUERY_TIMEOUT_MS})
    } catch (error) {
      throw failure(error)
    }
  }

  const images = imageRequests(transport, described)

  /** The id each image reference resolves to on the engine now; references it does not have are left out. */
  async function currentImageIds(references: string[]): Promise<Map<string, string>> {
    // All at once (imageDetails asks for each together): a deploy waits for these before anything changes.
    return new Map([...(await images.imageDetails(references))].map(([reference, details]) => [reference, details.id]))
  }

  /**
   * Streams the engine's container and image events, from `sinceSeconds` on, until the
   * stream ends (the engine stopped, the connection broke) or `signal` aborts. Resolves when it ends.
   * A line that is not an event is skipped and handed to `onUnreadable`; the stream goes on.
   */
  async function watchEvents(options: {
    sinceSeconds?: number
    signal: AbortSignal
    onConnected: () => void
    onEvent: (event: EngineEvent) => void
    onUnreadable: (problem: string) => void
  }): Promise<void> {
    let stream: NodeJS.ReadableStream
    try {
      stream = await transport.stream({
        method: 'GET',
        path: '/events',
        // Not filtered by kedge's label: a container Compose made in a kedge project without it (`compose
        // run`, `up --scale` by hand) is drift too, and an image event has no labels at all.
        query: {since: options.sinceSeconds, filters: {type: ['container', 'image']}},
        signal: options.signal,
        timeoutMs: EVENTS_CONNECT_TIMEOUT_MS,
      })
    } catch (error) {
      if (options.signal.aborted) return
      throw failure(error)
    }
    options.onConnected()
    await readEvents(stream, options)
    // The engine ended it (it stopped, or the connection broke), not kedge.
    if (!options.signal.aborted) losses.count++
  }

  /** A container's mounts, as `docker inspect` lists them; null when the engine has no such container. */
  async function containerMounts(id: string): Promise<ContainerMount[] | null> {
    try {
      const inspected = (await transport.call({method: 'GET', path: `/containers/${encodeURIComponent(id)}/json`, timeoutMs: QUERY_TIMEOUT_MS})) as {Mounts?: unknown}
      const mounts = Array.isArray(inspected.Mounts) ? (inspected.Mounts as Array<{Source?: unknown; Destination?: unknown}>) : []
      return mounts.flatMap(({Source, Destination}) => (typeof Source === 'string' && typeof Destination === 'string' ? [{source: Source, destination: Destination}] : []))
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode === 404) return null
      throw failure(error)
    }
  }

  /**
   * Fails with engine_unavailable when the engine does not answer: checked before a deploy records
   * anything, and asked whether a failure was the host's. Over a new connection (see EngineRequest.fresh):
   * a daemon shutting down still answers the ones it has.
   */
  async function ping(): Promise<void> {
    try {
      await transport.call({method: 'GET', path: '/_ping', timeoutMs: PING_TIMEOUT_MS, fresh: true})
    } catch (error) {
      throw failure(error)
    }
  }

  /** Whether the engine answers a ping now. */
  async function answers(): Promise<boolean> {
    return ping()
      .then(() => true)
      .catch(() => false)
  }

  /** `/info` counts the engine's containers and images and reads its disk: a query's time, not a ping's. */
  async function identify(): Promise<EngineIdentity> {
    let info: unknown
    try {
      info = await transport.call({method: 'GET', path: '/info', timeoutMs: QUERY_TIMEOUT_MS})
    } catch (error) {
      throw failure(error)
    }
    try {
      return toEngineIdentity(info)
    } catch (error) {
      throw new ExternalError(`${described.subject} gave no identity: ${errorMessage(error)}`, {code: 'engine_error', cause: error})
    }
  }

  return {
    listKedgeContainers,
    listAllKedgeContainers,
    listComposeProjectContainers,
    stopAndRemoveContainer,
    removeContainer,
    restartContainer,
    signalContainer,
    currentImageIds,
    ...images,
    ...containerFileRequests(transport, described),
    answers,
    ping,
    connectionLosses: () => losses.count,
    ownContainerMounts: () => ownContainerMounts(containerMounts),
    watchEvents,
    identify,
    ...swarmOnFirstUse(transport, described),
  }
}

/**
 * The Swarm requests, loaded on the first of them: the Swarm model brings the YAML parser with it, which
 * a listing of containers (the read commands' first, bench/cli-latency.ts) does without.
 */
function swarmOnFirstUse(transport: EngineTransport, described: EngineDescription): SwarmRequests {
  let loaded: Promise<SwarmRequests> | undefined
  const requests = () => (loaded ??= import('./swarm-requests.js').then(({swarmRequests}) => swarmRequests(transport, described)))
  return {
    swarmState: async (namespace) => (await requests()).swarmState(namespace),
    removeService: async (id) => (await requests()).removeService(id),
    listStackObjects: async (namespace) => (await requests()).listStackObjects(namespace),
    removeNetwork: async (id) => (await requests()).removeNetwork(id),
    removeConfig: async (id) => (await requests()).removeConfig(id),
    removeSecret: async (id) => (await requests()).removeSecret(id),
  }
}

/** The engine kedge's environment names (DOCKER_HOST, else the socket), read again for every request. */
export const localDockerEngine: DockerEngine = createDockerEngine(environmentTransport)

/** The local engine's event stream alone, for what reads no more of the engine (the event stream's unit tests). */
export const watchEvents: Engine['watchEvents'] = (options) => localDockerEngine.watchEvents(options)
