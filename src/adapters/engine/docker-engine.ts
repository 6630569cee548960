import type Docker from 'dockerode'

import type {ContainerEvent} from '../../ports/engine.js'

import {toStackContainer, type StackContainer} from '../../model/stack/containers.js'
import {COMPOSE_LABELS, LABELS} from '../../model/compose/labels.js'
import {errorMessage, ExternalError} from '../../model/errors.js'
import {callEngine, streamFromEngine} from './engine-transport.js'
import {byCodeUnits} from '../../model/compose/text-order.js'

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
    const raw = await callEngine({method: 'GET', path: '/containers/json', query: {all: true, filters: {label: labelFilters}}})
    if (!Array.isArray(raw)) throw new Error(`the container list was not a list: ${String(raw).slice(0, 200)}`)
    return (raw as Docker.ContainerInfo[]).map(toStackContainer).sort((a, b) => byCodeUnits(a.name, b.name))
  } catch (error) {
    throw engineError(error)
  }
}

export async function removeContainer(id: string): Promise<void> {
  try {
    await callEngine({method: 'DELETE', path: `/containers/${encodeURIComponent(id)}`, query: {force: true}})
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode !== 404) throw engineError(error)
  }
}

/** Stops a container as Compose stops an orphan (SIGTERM, then SIGKILL after 10 s), then removes it. */
export async function stopAndRemoveContainer(id: string): Promise<void> {
  try {
    await callEngine({method: 'POST', path: `/containers/${encodeURIComponent(id)}/stop`, query: {t: 10}})
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
    await callEngine({method: 'POST', path: `/containers/${encodeURIComponent(id)}/restart`})
  } catch (error) {
    throw engineError(error)
  }
}

/** Sends a signal (such as SIGHUP) to a container's main process, as `docker kill --signal` does. */
export async function signalContainer(id: string, signal: string): Promise<void> {
  try {
    await callEngine({method: 'POST', path: `/containers/${encodeURIComponent(id)}/kill`, query: {signal}})
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
    return ((await callEngine({method: 'GET', path: `/images/${reference.split('/').map(encodeURIComponent).join('/')}/json`})) as Docker.ImageInspectInfo).Id
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode === 404) return null
    throw engineError(error)
  }
}

/**
 * Streams the engine's events about containers kedge labelled, from `sinceSeconds` on, until the
 * stream ends (the engine stopped, the connection broke) or `signal` aborts. Resolves when it ends.
 */
export async function watchContainerEvents(options: {
  sinceSeconds?: number
  signal: AbortSignal
  onConnected: () => void
  onEvent: (event: ContainerEvent) => void
}): Promise<void> {
  let stream: NodeJS.ReadableStream
  try {
    stream = await streamFromEngine({
      method: 'GET',
      path: '/events',
      query: {since: options.sinceSeconds, filters: {type: ['container'], label: [`${LABELS.managed}=true`]}},
      signal: options.signal,
    })
  } catch (error) {
    if (options.signal.aborted) return
    throw engineError(error)
  }
  options.onConnected()
  await new Promise<void>((resolve) => {
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
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        if (line.trim().length === 0) continue
        const raw = JSON.parse(line) as {Action?: string; status?: string; id?: string; Actor?: {ID?: string; Attributes?: Record<string, string>}; timeNano?: number}
        options.onEvent({
          action: raw.Action ?? raw.status ?? '',
          containerId: raw.Actor?.ID ?? raw.id ?? '',
          labels: raw.Actor?.Attributes ?? {},
          timeNano: BigInt(raw.timeNano ?? 0),
        })
      }
    })
    stream.on('end', finish)
    stream.on('close', finish)
    stream.on('error', finish)
  })
}

/** Fails with engine_unavailable when the engine does not answer: checked before a deploy records anything. */
export async function pingEngine(): Promise<void> {
  try {
    await callEngine({method: 'GET', path: '/_ping'})
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
