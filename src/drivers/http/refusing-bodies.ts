import type {IncomingHttpHeaders, IncomingMessage} from 'node:http'
import type {Socket} from 'node:net'

import type {FastifyInstance} from 'fastify'

/** How long a connection answered before its body arrived still takes that body in, to drop it, before closing. */
const LINGER_MS = 5_000

/**
 * A body kedge will not read is refused with a final answer the client gets, whatever the way it is sent.
 *
 * `Expect: 100-continue`: Node says "100 Continue" as soon as the headers arrive, before any route or
 * limit is known; a client then sends a body over the limit, and the 413 races its upload. Here a request
 * that expects it is told to continue only once it has reached its route and declares no more than the
 * route's limit; otherwise it gets its final answer (413, 401, ...) without having sent a byte.
 *
 * Closing: an answer given before the body was read closes the connection. Closed at once, with the
 * client's bytes still arriving, the kernel resets it, and a client still writing its body loses the
 * answer it has not read yet. So kedge closes its side after the answer and reads and drops what still
 * comes until the client closes too, for at most LINGER_MS.
 */
export function refuseBodiesCleanly(app: FastifyInstance): void {
  const continued = new WeakSet<IncomingMessage>()
  // With a listener here Node leaves the "100 Continue" to kedge; the request then goes on as any other.
  app.server.on('checkContinue', (request, response) => app.server.emit('request', request, response))

  app.addHook('preParsing', async (request, reply, payload) => {
    const declared = Number(request.headers['content-length'])
    if (expectsContinue(request.headers) && !(declared > request.routeOptions.bodyLimit)) {
      reply.raw.writeContinue()
      continued.add(request.raw)
    }
    return payload
  })

  app.addHook('onSend', async (request, reply, payload) => {
    // The client may still be waiting to send its body, or be sending it: this connection carries nothing more.
    if (expectsContinue(request.headers) && !continued.has(request.raw)) reply.header('connection', 'close')
    if (String(reply.getHeader('connection')).toLowerCase() === 'close' && !request.raw.complete) lingerBeforeClosing(request.raw.socket)
    return payload
  })
}

function expectsContinue(headers: IncomingHttpHeaders): boolean {
  return String(headers.expect ?? '').toLowerCase() === '100-continue'
}

/** Node closes a connection that its answer says is closing with `destroySoon`, once the answer is written. */
function lingerBeforeClosing(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end()
    const timer = setTimeout(() => socket.destroy(), LINGER_MS)
    socket.once('close', () => clearTimeout(timer))
  }
}
