import http from 'node:http'
import https from 'node:https'

import {exchangeOnce} from '../net/exchange-once.js'

/** Registries send blobs and tokens elsewhere (a CDN, an auth host) with a redirect or two; more is a loop. */
export const MAX_REDIRECTS = 3

export interface RegistryRequest {
  method: 'HEAD' | 'GET' | 'POST'
  url: URL
  headers: Record<string, string>
  /** The Authorization header: sent to `url`'s origin only, never to a host a redirect names. */
  authorization?: string
  /** A form, POSTed as application/x-www-form-urlencoded. */
  form?: URLSearchParams
  /** How much of the answer's body is read; past it the rest is left unread and `complete` is false. */
  maxBodyBytes: number
  /** Each exchange's bound, connecting included (a redirect starts another). */
  timeoutMs: number
  signal?: AbortSignal
}

export interface RegistryResponse {
  status: number
  headers: http.IncomingHttpHeaders
  /** The body, or as much of it as maxBodyBytes allowed (nothing for HEAD). */
  body: Buffer
  /** False when the body was longer than maxBodyBytes. */
  complete: boolean
}

/** Why an exchange gave no answer; its message says it for a person, without any header that was sent. */
export class RegistryRequestError extends Error {
  constructor(
    readonly reason: 'timeout' | 'abandoned' | 'unreachable' | 'redirect',
    message: string,
  ) {
    super(message)
  }
}

/**
 * A body read as a JSON object, or null when it is not one. Registries and token services answer in JSON,
 * but a proxy or a load balancer in front of them may answer with anything (HTML, text, nothing at all).
 */
export function jsonObjectOf(body: Buffer): Record<string, unknown> | null {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    return null
  }
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * One request to a registry or its token service, and the redirects it is answered with, at most
 * MAX_REDIRECTS of them. Credentials stay with the origin they were meant for: a redirect to another
 * scheme, host or port goes without the Authorization header, and one from https to plain http is refused.
 */
export async function registryRequest(request: RegistryRequest): Promise<RegistryResponse> {
  const origin = request.url.origin
  let url = request.url
  let method = request.method
  let form = request.form
  for (let redirects = 0; ; redirects++) {
    const response = await exchange({...request, url, method, form, authorization: url.origin === origin ? request.authorization : undefined})
    const location = response.headers.location
    if (!REDIRECTS.has(response.status) || !location) return response
    if (redirects === MAX_REDIRECTS) throw new RegistryRequestError('redirect', `more than ${MAX_REDIRECTS} redirects`)
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      throw new RegistryRequestError('redirect', 'a redirect to something other than a URL')
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new RegistryRequestError('redirect', `a redirect to ${next.protocol} URL`)
    if (url.protocol === 'https:' && next.protocol === 'http:') throw new RegistryRequestError('redirect', `a redirect from https to plain http (${next.host})`)
    // As HTTP clients do: 303, and 301 or 302 after a POST, ask again with GET (HEAD stays HEAD).
    if (response.status === 303 || (method === 'POST' && (response.status === 301 || response.status === 302))) {
      method = method === 'HEAD' ? 'HEAD' : 'GET'
      form = undefined
    }
    url = next
  }
}

function exchange(request: RegistryRequest): Promise<RegistryResponse> {
  const abandoned = () => new RegistryRequestError('abandoned', 'abandoned')
  if (request.signal?.aborted) return Promise.reject(abandoned())
  const body = request.form?.toString()
  const headers: Record<string, string> = {...request.headers}
  if (request.authorization) headers.Authorization = request.authorization
  if (body !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded'
    headers['Content-Length'] = String(Buffer.byteLength(body))
  }
  const client = request.url.protocol === 'https:' ? https : http
  let clientRequest: http.ClientRequest
  try {
    clientRequest = client.request({
      protocol: request.url.protocol,
      hostname: request.url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: request.url.port || undefined,
      path: `${request.url.pathname}${request.url.search}`,
      method: request.method,
      headers,
      // A connection per request: checks are minutes apart, longer than registries keep an idle one.
      agent: false,
      // Certificates are checked whatever NODE_TLS_REJECT_UNAUTHORIZED says: Docker checks them.
      rejectUnauthorized: true,
    })
  } catch (error) {
    return Promise.reject(new RegistryRequestError('unreachable', `node cannot make the request (${(error as Error).message})`))
  }
  const timedOut = () => new RegistryRequestError('timeout', `no answer within ${request.timeoutMs / 1000}s`)
  const {done, finish} = exchangeOnce<RegistryResponse>(clientRequest, request, {timedOut, abandoned})
  clientRequest.on('error', (error) => finish({error: new RegistryRequestError('unreachable', error.message)}))
  clientRequest.on('response', (response) => {
    const status = response.statusCode ?? 0
    const answer = (body: Buffer, complete: boolean) => finish({value: {status, headers: response.headers, body, complete}})
    if (request.method === 'HEAD' || REDIRECTS.has(status)) return answer(Buffer.alloc(0), true)
    const declared = Number(response.headers['content-length'])
    if (Number.isFinite(declared) && declared > request.maxBodyBytes) return answer(Buffer.alloc(0), false)
    const chunks: Buffer[] = []
    let received = 0
    response.on('data', (chunk: Buffer) => {
      received += chunk.length
      if (received > request.maxBodyBytes) return answer(Buffer.alloc(0), false)
      chunks.push(chunk)
    })
    response.on('end', () => answer(Buffer.concat(chunks), true))
    response.on('error', () => finish({error: new RegistryRequestError('unreachable', 'the connection closed before the answer ended')}))
    response.on('aborted', () => finish({error: new RegistryRequestError('unreachable', 'the connection closed before the answer ended')}))
  })
  clientRequest.end(body)
  return done
}
