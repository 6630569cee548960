import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {dockerodeTransport} from './dockerode-transport.js'
import type {EngineRequest, EngineTransport} from './engine-request.js'
import {unixTransport} from './unix-transport.js'

export {EngineTimeoutError, type EngineRequest, type EngineStatusError, type EngineTransport} from './engine-request.js'

/**
 * The engine kedge's own environment names, read again for every request: DOCKER_HOST's unix socket,
 * else Docker Desktop's per-user socket, else the system's; any other DOCKER_HOST through dockerode.
 */
export const environmentTransport: EngineTransport = {call: callEngine, stream: streamFromEngine}

/** environmentTransport's call: the answer parsed as JSON (text when it is not JSON). */
export function callEngine(request: EngineRequest): Promise<unknown> {
  return transportNow().call(request)
}

/** environmentTransport's stream: the answer as a stream, open until the engine or the request's signal ends it. */
export function streamFromEngine(request: EngineRequest): Promise<NodeJS.ReadableStream> {
  return transportNow().stream(request)
}

function transportNow(): EngineTransport {
  const socketPath = localSocketPath()
  return socketPath ? unixTransport(socketPath) : dockerodeTransport
}

/** The socket dockerode would use: DOCKER_HOST's unix:// path, else Docker Desktop's per-user socket if there is one, else the system's. */
function localSocketPath(): string | null {
  const host = process.env.DOCKER_HOST
  if (host && !host.startsWith('unix://')) return null
  const named = host?.slice('unix://'.length)
  if (named) return named
  const perUser = path.join(homedir(), '.docker', 'run', 'docker.sock')
  return existsSync(perUser) ? perUser : '/var/run/docker.sock'
}
