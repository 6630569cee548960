import type {FastifyInstance} from 'fastify'

import {errorMessage, isKedgeError} from '../../../model/errors.js'
import {redactDeep} from '../../../model/secrets/redaction.js'
import type {EventLog} from '../server-options.js'
import type {AccessSettings} from '../access/request-access.js'
import {requestAccess} from '../access/request-access.js'
import {SECURITY_HEADERS} from '../dashboard/security-headers.js'
import type {ChangeFeed, LiveEvent} from './change-feed.js'

/** A comment line this often keeps proxies from closing a quiet stream, and checks that its session still stands. */
const KEEP_ALIVE_MS = 25_000
/** At most this many streams at once: each holds a connection and a listener. */
export const MAX_STREAMS = 64
/** A client this far behind in reading is cut off rather than buffered for. */
const MAX_BUFFERED_BYTES = 1024 * 1024

/**
 * `GET /api/v1/events`: server-sent events, so that the dashboard shows a change within a second of it
 * without asking again and again. Authenticated like every API route (see api-routes.ts).
 */
export function registerEventStream(api: FastifyInstance, feed: ChangeFeed, access: AccessSettings, now: () => number, logger: EventLog): void {
  api.get('/events', async (request, reply) => {
    if (feed.streams >= MAX_STREAMS) {
      return reply.status(503).send({error: {code: 'busy', message: `${MAX_STREAMS} event streams are open already`, hint: 'close a dashboard tab, or retry later'}})
    }
    reply.hijack()
    const response = reply.raw
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx would otherwise hold the events back in its buffer.
      'x-accel-buffering': 'no',
    })
    const send = (name: string, data: unknown) => {
      if (ended) return
      if (response.writableLength > MAX_BUFFERED_BYTES) return end()
      response.write(`event: ${name}\ndata: ${JSON.stringify(redactDeep(data))}\n\n`)
    }
    const session = requestAccess(request, access, now()).session
    let ended = false
    /** A session that expired or whose token was revoked ends its stream; the browser's reconnect is then refused. */
    const stillAllowed = (): boolean => {
      try {
        requestAccess(request, access, now())
        return true
      } catch (error) {
        // A refusal is the answer; anything else (the database failing) is also the operator's to see.
        if (!isKedgeError(error) || error.code !== 'unauthorized') logger.log('warn', 'http.stream_check_failed', {error: errorMessage(error)})
        return false
      }
    }
    const keepAlive = setInterval(() => {
      if (stillAllowed()) response.write(': keep-alive\n\n')
      else end()
    }, KEEP_ALIVE_MS)
    const expiry = session ? setTimeout(() => end(), Math.max(0, session.expiresAt - now())) : null
    // Subscribed last: what the feed tells at once (its watch failing as this first stream opens) finds the stream whole.
    let unsubscribe = (): void => {}
    function end(): void {
      if (ended) return
      ended = true
      unsubscribe()
      clearInterval(keepAlive)
      if (expiry) clearTimeout(expiry)
      response.end()
    }
    unsubscribe = feed.subscribe((event: LiveEvent) => {
      if (event.kind === 'closing') return end()
      if (event.kind === 'access') return void (stillAllowed() || end())
      if (event.kind === 'change') return send('change', {repo: event.repo})
      send('progress', {action: event.action, address: event.address, step: event.step, at: event.at})
    })
    if (ended) unsubscribe()
    request.raw.on('close', end)
    response.on('close', end)
    send('hello', {})
  })
}
