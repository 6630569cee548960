import Docker from 'dockerode'

import {toStackContainer, type StackContainer} from '../core/containers.js'
import {COMPOSE_LABELS, LABELS} from '../core/labels.js'
import {errorMessage, ExternalError} from '../errors.js'

let client: Docker | undefined

/** dockerode reads DOCKER_HOST (and the TLS variables) itself; the default is the local socket. */
function engine(): Docker {
  client ??= new Docker()
  return client
}

/** Every container kedge labelled for this Compose project, running or not. */
export async function listKedgeContainers(project: string): Promise<StackContainer[]> {
  return listContainers([`${LABELS.managed}=true`, `${LABELS.project}=${project}`])
}

/** Every container Compose created for this project, whoever asked it to. */
export async function listComposeProjectContainers(project: string): Promise<StackContainer[]> {
  return listContainers([`${COMPOSE_LABELS.project}=${project}`])
}

async function listContainers(labelFilters: string[]): Promise<StackContainer[]> {
  try {
    const raw = await engine().listContainers({all: true, filters: {label: labelFilters}})
    return raw.map(toStackContainer).sort((a, b) => a.name.localeCompare(b.name))
  } catch (error) {
    throw engineError(error)
  }
}

export async function removeContainer(id: string): Promise<void> {
  try {
    await engine().getContainer(id).remove({force: true})
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode !== 404) throw engineError(error)
  }
}

/** Which of these image references the engine does not have. */
export async function missingImages(references: string[]): Promise<string[]> {
  const missing: string[] = []
  for (const reference of references) {
    try {
      await engine().getImage(reference).inspect()
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode === 404) missing.push(reference)
      else throw engineError(error)
    }
  }
  return missing
}

function engineError(error: unknown): ExternalError {
  return new ExternalError(`the Docker engine did not answer: ${errorMessage(error)}`, {
    code: 'engine_unavailable',
    hint: 'check that dockerd runs and that DOCKER_HOST (or /var/run/docker.sock) reaches it',
    cause: error,
  })
}
