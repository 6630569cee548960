import {errorMessage, ExternalError, isKedgeError, type KedgeError} from '../../model/errors.js'
import {formatDuration} from '../../model/config/duration.js'
import {EngineTimeoutError} from './engine-request.js'

/** How errors name an engine and what they tell a person to check. */
export interface EngineDescription {
  /** "the Docker engine" for kedge's own; "the Docker engine web2 (tcp://10.0.0.12:2376)" for a named one. */
  subject: string
  /** When it cannot be reached at all. */
  unreachableHint: string
  /** When it takes connections and does not answer. */
  wedgedHint: string
}

/** The engine kedge's environment names: the words every error used before engines had names. */
export const LOCAL_ENGINE: EngineDescription = {
  subject: 'the Docker engine',
  unreachableHint: 'check that dockerd runs and that DOCKER_HOST (or /var/run/docker.sock) reaches it',
  wedgedHint: 'dockerd takes connections but does not answer: check it with `docker info` and its log, and restart it if it stays stuck',
}

/**
 * An engine that answered with an error status is up: only a failure to reach it is engine_unavailable.
 * An error the transport already named (a TLS refusal, a tunnel's ssh refusal) stays as it is.
 */
export function engineError(error: unknown, engine: EngineDescription): KedgeError {
  if (isKedgeError(error)) return error
  if (error instanceof EngineTimeoutError) {
    const {method, path, timeoutMs} = error.request
    return new ExternalError(`${engine.subject} did not answer ${method} ${path} within ${formatDuration(timeoutMs)}`, {
      code: 'engine_unavailable',
      hint: engine.wedgedHint,
      cause: error,
    })
  }
  const status = (error as {statusCode?: unknown}).statusCode
  if (typeof status === 'number') {
    return new ExternalError(`${engine.subject} refused: ${errorMessage(error)}`, {code: 'engine_error', cause: error})
  }
  return new ExternalError(`${engine.subject} did not answer: ${errorMessage(error)}`, {
    code: 'engine_unavailable',
    hint: engine.unreachableHint,
    cause: error,
  })
}
