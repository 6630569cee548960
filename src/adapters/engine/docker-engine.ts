import {StringDecoder} from 'node:string_decoder'

import type Docker from 'dockerode'

import type {EngineEvent} from '../../ports/engine.js'

import type {ContainerMount} from '../../model/home-mount.js'
import {toStackContainer, type StackContainer} from '../../model/stack/containers.js'
import {COMPOSE_LABELS, LABELS} from '../../model/compose/labels.js'
import {errorMessage, ExternalError} from '../../model/errors.js'
import {callEngine, EngineTimeoutError, streamFromEngine} from './engine-transport.js'
import {MAX_EVENT_LINE_CHARS, parseEngineEvent, quoted} from './event-lines.js'
import {EVENTS_CONNECT_TIMEOUT_MS, PING_TIMEOUT_MS, QUERY_TIMEOUT_MS, REMOVE_TIMEOUT_MS, STOP_MARGIN_MS, UNLIMITED_STOP_MS} from './engine-timeouts.js'
import {byCodeUnits} from '../../model/compose/text-order.js'
import {formatDuration} from '../../model/config/duration.js'

/** Every container kedge labelled for this Compose project, running or not; one-off `compose run` containers are not part of the stack. */
export async function listKedgeContainers(project: string): Promise<StackContainer[]> {
  const containers = await listContainers([`${LABELS.managed}=true`, `${LABELS.project}=${project}`])
  return containers.filter((container) => container.labels[COMPOSE_LABELS.oneoff] !== 'True')
}

/** Every container kedge labelled, of every repository; one-off `compose run` containers are left out. */
export async function listAllKedgeContainers(): Promise<StackContainer[]> {
  const containers = await listContainers([`${LABELS.managed}=true`])
  return containers.filter((container) => container.labels[COMPOSE_LABELS.oneoff] !== 'True')
}

/** Every container Compose created for this project, whoever asked it to. */
export async function listComposeProjectContainers(project: string): Promise<StackContainer[]> {
  return listContainers([`${COMPOSE_LABELS.project}=${project}`])
}

async function listContainers(labelFilters: string[]): Promise<StackContainer[]> {
  try {
    const raw = await callEngine({method: 'GET', path: '/containers/json', query: {all: true, filters: {label: labelFilters}}, timeoutMs: QUERY_TIMEOUT_MS})
    if (!Array.isArray(raw)) throw new Error(`the container list was not a list: ${String(raw).slice(0, 200)}`)
    return (raw as Docker.ContainerInfo[]).map(toStackContainer).sort((a, b) => byCodeUnits(a.name, b.name))
  } catch (error) {
    throw engineError(error)
  }
}

export async function removeContainer(id: string): Promise<void> {
  try {
    await callEngine({method: 'DELETE', path: `/containers/${encodeURIComponent(id)}`, query: {force: true}, timeoutMs: REMOVE_TIMEOUT_MS})
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode !== 404) throw engineError(error)
  }
}

/** How long Compose gives an orphan it stops before it kills it, in seconds. */
const ORPHAN_STOP_SECONDS = 10

/** Stops a container as Compose stops an orphan (SIGTERM, then SIGKILL after 10 s), then removes it. */
export async function stopAndRemoveContainer(id: string): Promise<void> {
  try {
    await callEngine({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/stop`,
      query: {t: ORPHAN_STOP_SECONDS},
      timeoutMs: ORPHAN_STOP_SECONDS * 1000 + STOP_MARGIN_MS,
    })
  } catch (error) {
    // 304: it was not running; 404: it is gone already.
    const status = (error as {statusCode?: number}).statusCode
    if (status !== 304 && status !== 404) throw engineError(error)
  }
  await removeContainer(id)
}

/** Restarts a container as `docker restart` does: stopped within the stop timeout it was created with, then started. */
export async function restartContainer(id: string): Promise<void> {
  try {
    const stopMs = await stopTimeoutMs(id)
    await callEngine({method: 'POST', path: `/containers/${encodeURIComponent(id)}/restart`, timeoutMs: stopMs + STOP_MARGIN_MS})
  } catch (error) {
    throw engineError(error)
  }
}

/** Node's longest timer: setTimeout takes a longer delay as 1 ms. */
const LONGEST_TIMER_MS = 2 ** 31 - 1

/** The engine's default stop timeout, for a container created without one (`stop_grace_period`), in seconds. */
const DEFAULT_STOP_SECONDS = 10

/** How long the engine waits for the container to stop before it kills it (the restart's own wait). */
async function stopTimeoutMs(id: string): Promise<number> {
  const inspected = (await callEngine({method: 'GET', path: `/containers/${encodeURIComponent(id)}/json`, timeoutMs: QUERY_TIMEOUT_MS})) as {Config?: {StopTimeout?: unknown}}
  const seconds = inspected.Config?.StopTimeout
  if (typeof seconds !== 'number') return DEFAULT_STOP_SECONDS * 1000
  // A timer longer than Node's longest (about 24.8 days) would fire at once.
  return seconds < 0 ? UNLIMITED_STOP_MS : Math.min(seconds * 1000, LONGEST_TIMER_MS - STOP_MARGIN_MS)
}

/** Sends a signal (such as SIGHUP) to a container's main process, as `docker kill --signal` does. */
export async function signalContainer(id: string, signal: string): Promise<void> {
  try {
    await callEngine({method: 'POST', path: `/containers/${encodeURIComponent(id)}/kill`, query: {signal}, timeoutMs: QUERY_TIMEOUT_MS})
  } catch (error) {
    throw engineError(error)
  }
}

/** The id each image reference resolves to on the engine now; references it does not have are left out. */
export async function currentImageIds(references: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(references)]
  // All at once: a deploy waits for these before anything changes.
  const ids = await Promise.all(unique.map(imageId))
  return new Map(unique.flatMap((reference, index) => (ids[index] ? [[reference, ids[index]] as const] : [])))
}

async function imageId(reference: string): Promise<string | null> {
  try {
    const path = `/images/${reference.split('/').map(encodeURIComponent).join('/')}/json`
    return ((await callEngine({method: 'GET', path, timeoutMs: QUERY_TIMEOUT_MS})) as Docker.ImageInspectInfo).Id
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode === 404) return null
    throw engineError(error)
  }
}

/**
 * Streams the engine's container and image events, from `sinceSeconds` on, until the
 * stream ends (the engine stopped, the connection broke) or `signal` aborts. Resolves when it ends.
 * A line that is not an event is skipped and handed to `onUnreadable`; the stream goes on.
 */
export async function watchEvents(options: {
  sinceSeconds?: number
  signal: AbortSignal
  onConnected: () => void
  onEvent: (event: EngineEvent) => void
  onUnreadable: (problem: string) => void
}): Promise<void> {
  let stream: NodeJS.ReadableStream
  try {
    stream = await streamFromEngine({
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
    throw engineError(error)
  }
  options.onConnected()
  await new Promise<void>((resolve) => {
    // Decoded across chunks: a chunk may end inside a character of a label's value.
    const decoder = new StringDecoder('utf8')
    let buffered = ''
    const finish = () => {
      options.signal.removeEventListener('abort', abort)
      resolve()
    }
    const abort = () => {
      ;(stream as unknown as {destroy?: () => void}).destroy?.()
      finish()
    }
    options.signal.addEventListener('abort', abort, {once: true})
    stream.on('data', (chunk: Buffer) => {
      buffered += decoder.write(chunk)
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      if (buffered.length > MAX_EVENT_LINE_CHARS) {
        options.onUnreadable(`more than ${MAX_EVENT_LINE_CHARS} characters without a line break, dropped: ${quoted(buffered)}`)
        buffered = ''
      }
      for (const line of lines) {
        if (line.trim().length === 0) continue
        let event: EngineEvent
        try {
          event = parseEngineEvent(line)
        } catch (error) {
          options.onUnreadable(errorMessage(error))
          continue
        }
        options.onEvent(event)
      }
    })
    stream.on('end', finish)
    stream.on('close', finish)
    stream.on('error', finish)
  })
}

/** A container's mounts, as `docker inspect` lists them; null when the engine has no such container. */
export async function containerMounts(id: string): Promise<ContainerMount[] | null> {
  try {
    const inspected = (await callEngine({method: 'GET', path: `/containers/${encodeURIComponent(id)}/json`, timeoutMs: QUERY_TIMEOUT_MS})) as {Mounts?: unknown}
    const mounts = Array.isArray(inspected.Mounts) ? (inspected.Mounts as Array<{Source?: unknown; Destination?: unknown}>) : []
    return mounts.flatMap(({Source, Destination}) => (typeof Source === 'string' && typeof Destination === 'string' ? [{source: Source, destination: Destination}] : []))
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode === 404) return null
    throw engineError(error)
  }
}

/** Fails with engine_unavailable when the engine does not answer: checked before a deploy records anything. */
export async function pingEngine(): Promise<void> {
  try {
    await callEngine({method: 'GET', path: '/_ping', timeoutMs: PING_TIMEOUT_MS})
  } catch (error) {
    throw engineError(error)
  }
}

/** Which of these image references the engine does not have. */
export async function missingImages(references: string[]): Promise<string[]> {
  const present = await currentImageIds(references)
  return references.filter((reference) => !present.has(reference))
}

/** Whether the engine answers a ping now. */
export async function engineAnswers(): Promise<boolean> {
  return pingEngine()
    .then(() => true)
    .catch(() => false)
}

/** An engine that answered with an error status is up: only a failure to reach it is engine_unavailable. */
function engineError(error: unknown): ExternalError {
  if (error instanceof EngineTimeoutError) {
    const {method, path, timeoutMs} = error.request
    return new ExternalError(`the Docker engine did not answer ${method} ${path} within ${formatDuration(timeoutMs)}`, {
      code: 'engine_unavailable',
      hint: 'dockerd takes connections but does not answer: check it with `docker info` and its log, and restart it if it stays stuck',
      cause: error,
    })
  }
  const status = (error as {statusCode?: unknown}).statusCode
  if (typeof status === 'number') {
    return new ExternalError(`the Docker engine refused: ${errorMessage(error)}`, {code: 'engine_error', cause: error})
  }
  return new ExternalError(`the Docker engine did not answer: ${errorMessage(error)}`, {
    code: 'engine_unavailable',
    hint: 'check that dockerd runs and that DOCKER_HOST (or /var/run/docker.sock) reaches it',
    cause: error,
  })
}
