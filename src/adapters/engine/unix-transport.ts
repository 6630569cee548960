import type {IncomingMessage} from 'node:http'

import {bodyHeaders, pathWithQuery, requestTransport, type EngineRequest, type EngineTransport} from './engine-request.js'

/** Requests to an engine's API socket on this machine (or the local end of a tunnel to one). */
export function unixTransport(socketPath: string): EngineTransport {
  return requestTransport((request) => openOverSocket(socketPath, request))
}

/** One request over the socket; resolves with the answer's head. */
export async function openOverSocket(socketPath: string, request: EngineRequest & {signal: AbortSignal}): Promise<IncomingMessage> {
  // Loaded on the first request, not with the module: the read commands that never reach the engine skip it.
  const {request: send} = await import('node:http')
  return new Promise((resolve, reject) => {
    const sent = send({socketPath, ...(request.fresh ? {agent: false} : {}), path: pathWithQuery(request), method: request.method, headers: bodyHeaders(request), signal: request.signal}, resolve)
    sent.on('error', reject)
    sent.end(request.body?.data)
  })
}
