import {Readable} from 'node:stream'

import type Docker from 'dockerode'

import {definedOnly, STATUS_CODES, withinTimeout, type EngineRequest, type EngineTransport} from './engine-request.js'

let dockerode: Promise<Docker> | undefined

/**
 * dockerode reads DOCKER_HOST (and the TLS variables) itself. It is loaded only when the engine is not
 * on a local unix socket (what that saves is measured by bench/idle-cost.ts, serve's memory, and
 * bench/cli-latency.ts, `status`; docs/performance.md): loading it (with ssh2, gRPC and protobuf) takes longer than all of `kedge
 * status` does without it, and costs `serve` about 20 MB for the life of the process.
 */
function remoteEngine(): Promise<Docker> {
  dockerode ??= import('dockerode').then(({default: Dockerode}) => new Dockerode())
  return dockerode
}

/** Requests through dockerode, to the engine kedge's own environment names (DOCKER_HOST tcp:// or ssh://, with its TLS variables). */
export const dockerodeTransport: EngineTransport = {
  call: (request) => withinTimeout(request, (signal) => dial({...request, signal}, false)),
  stream: (request) => withinTimeout(request, async (signal) => (await dial({...request, signal}, true)) as NodeJS.ReadableStream),
}

async function dial(request: EngineRequest, isStream: boolean): Promise<unknown> {
  const {modem} = await remoteEngine()
  return new Promise((resolve, reject) => {
    modem.dial(
      {
        path: `${request.path}?`,
        method: request.method,
        options: {...definedOnly(request.query)},
        // docker-modem sends a body given as `file` (a stream) as the tar archive the engine expects.
        ...(request.body ? {file: Readable.from([request.body.data])} : {}),
        statusCodes: STATUS_CODES,
        isStream,
        abortSignal: request.signal,
      },
      (error: unknown, answer: unknown) => (error ? reject(error) : resolve(answer)),
    )
  })
}
