import type {IncomingMessage} from 'node:http'

import {formatDuration} from '../../model/config/duration.js'

export interface EngineRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE'
  /** The API path without a query, such as `/containers/json`. */
  path: string
  /** Object values are sent as JSON, as the engine expects `filters`; undefined values are left out. */
  query?: Record<string, unknown>
  /** What the request sends (a tar archive of files for a container), with its media type. */
  body?: {type: string; data: Buffer}
  signal?: AbortSignal
  /**
   * Over a new connection, never one kept alive from an earlier request. A dockerd told to stop closes
   * its listener first and then stops its containers, while it goes on answering the connections it
   * already has: over those it looks up, with its containers exiting one by one. Only a new connection
   * tells that it is going. (The dockerode transport's agent is its modem's; it cannot choose.)
   */
  fresh?: boolean
  /**
   * How long the engine gets: for call, to send its whole answer; for stream, to open the stream (it may
   * then stay open for as long as the engine runs).
   */
  timeoutMs: number
}

/** How kedge's requests reach one engine: a unix socket, TLS over TCP, a tunnel. */
export interface EngineTransport {
  /**
   * The engine's answer parsed as JSON (text when it is not JSON). Fails with the engine's status, with the
   * connection's error, or with EngineTimeoutError when the whole answer is not in within `timeoutMs`.
   */
  call(request: EngineRequest): Promise<unknown>
  /**
   * The engine's answer as a stream, for the event stream: it stays open until the engine or `signal` ends
   * it. Fails with EngineTimeoutError when the engine has not opened it within `timeoutMs`.
   */
  stream(request: EngineRequest): Promise<NodeJS.ReadableStream>
}

/** A transport that holds connections (a keep-alive agent, a tunnel): close() lets them go. */
export interface ClosableTransport extends EngineTransport {
  close(): void
}

/** The engine did not answer in time: it accepted the connection (or never let it finish) and sent nothing back. */
export class EngineTimeoutError extends Error {
  readonly request: Pick<EngineRequest, 'method' | 'path' | 'timeoutMs'>

  constructor({method, path, timeoutMs}: EngineRequest) {
    super(`no answer to ${method} ${path} within ${formatDuration(timeoutMs)}`)
    this.name = 'EngineTimeoutError'
    this.request = {method, path, timeoutMs}
  }
}

/** An answer the engine gave with an error status: it is up, and refused. */
export interface EngineStatusError extends Error {
  statusCode: number
}

/** The reasons docker-modem gives each status, so an error reads the same whichever way the engine was reached. */
export const STATUS_CODES: Record<number, true | string> = {
  200: true,
  201: true,
  204: true,
  304: 'not modified',
  400: 'bad parameter',
  404: 'no such object',
  409: 'conflict',
  500: 'server error',
  503: 'engine unavailable',
}

/** Opens one request to the engine with `signal` and resolves with its answer's head. */
export type OpenRequest = (request: EngineRequest & {signal: AbortSignal}) => Promise<IncomingMessage>

/** A transport over node's HTTP client, whichever way `open` connects (a unix socket, TLS, plain TCP). */
export function requestTransport(open: OpenRequest): EngineTransport {
  return {
    call: (request) =>
      withinTimeout(request, async (signal) => {
        const response = await open({...request, signal})
        const body = await readBody(response)
        if (isSuccess(response.statusCode)) return parseBody(body)
        throw statusError(response.statusCode ?? 0, parseBody(body))
      }),
    // Once the stream is open the timeout no longer applies: the caller ends the stream (destroys it) when it is done.
    stream: (request) =>
      withinTimeout(request, async (signal) => {
        const response = await open({...request, signal})
        if (isSuccess(response.statusCode)) return response
        throw statusError(response.statusCode ?? 0, parseBody(await readBody(response)))
      }),
  }
}

/**
 * Runs `work` with a signal that aborts after `request.timeoutMs` (or with `request.signal`), and fails as
 * soon as it does, whether or not `work` noticed: a connection the engine holds open without a word
 * must not hold its caller too.
 */
export async function withinTimeout<T>(request: EngineRequest, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new EngineTimeoutError(request)), request.timeoutMs)
  const forward = () => controller.abort(request.signal?.reason)
  if (request.signal?.aborted) forward()
  else request.signal?.addEventListener('abort', forward, {once: true})
  const aborted = new Promise<never>((_, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason)
    else controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {once: true})
  })
  try {
    return await Promise.race([work(controller.signal), aborted])
  } finally {
    clearTimeout(timer)
    request.signal?.removeEventListener('abort', forward)
  }
}

/** The headers of a request that sends a body; none for one that does not. */
export function bodyHeaders(request: EngineRequest): Record<string, string> {
  return request.body ? {'Content-Type': request.body.type, 'Content-Length': String(request.body.data.length)} : {}
}

/** The request's path with its query, as node's HTTP client takes it. */
export function pathWithQuery(request: EngineRequest): string {
  return `${request.path}?${queryString(request.query)}`
}

function queryString(query: Record<string, unknown> | undefined): string {
  const entries = Object.entries(definedOnly(query)).map(([key, value]): [string, string] => [key, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)])
  return new URLSearchParams(entries).toString()
}

export function definedOnly(query: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query ?? {}).filter(([, value]) => value !== undefined))
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    response.on('data', (chunk: Buffer) => chunks.push(chunk))
    response.on('error', reject)
    response.on('end', () => resolve(Buffer.concat(chunks).toString()))
  })
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && STATUS_CODES[status] === true
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return body
  }
}

/** Worded as docker-modem words it: `(HTTP code 404) no such object - No such image: … `. */
function statusError(status: number, body: unknown): EngineStatusError {
  const reason = STATUS_CODES[status]
  const cause = typeof body === 'object' && body !== null ? ((body as {message?: string}).message ?? JSON.stringify(body)) : String(body)
  const error = new Error(`(HTTP code ${status}) ${typeof reason === 'string' ? reason : 'unexpected'} - ${cause} `) as EngineStatusError
  error.statusCode = status
  return error
}
