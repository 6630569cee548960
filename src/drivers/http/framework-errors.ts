import {maxHeaderSize} from 'node:http'
import type {Socket} from 'node:net'

import type {FastifyError, FastifyReply, FastifyRequest} from 'fastify'

import type {ErrorCode} from '../../model/errors.js'
import {describeLimit} from './body-limits.js'
import {boundedEcho} from './bounded-echo.js'
import type {ErrorBody} from './error-response.js'

/**
 * Requests refused by Fastify's router before any route is known (a path that is not valid
 * percent-encoding, a path segment over the longest taken), answered in kedge's error format.
 */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = boundedEcho(request.raw.url?.split('?')[0] ?? '')
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.status(414).send(body('uri_too_long', `a segment of the path ${path} is longer than taken here`))
    return
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    void reply.status(400).send(body('invalid_request', `the path ${path} is not a valid URL`))
    return
  }
  void reply.status(400).send(body('invalid_request', 'the request was refused'))
}

/**
 * Requests Node's HTTP parser refuses (headers over its limit, a request not sent in time, bytes that
 * are not HTTP) never reach Fastify: the answer is written on the socket, in kedge's error format, and
 * repeats nothing of the request.
 */
export function clientError(error: Error & {code?: string}, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, reason, answer] = clientErrorAnswer(error.code)
  // As Node does: not into an answer already under way on this connection.
  const answering = (socket as Socket & {_httpMessage?: {headersSent?: boolean}})._httpMessage
  if (socket.writable && !answering?.headersSent) {
    const text = JSON.stringify(answer)
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`)
  }
  socket.destroy()
}

function clientErrorAnswer(code: string | undefined): [number, string, ErrorBody] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request Header Fields Too Large', body('headers_too_large', `the request line and headers are larger than the ${describeLimit(maxHeaderSize)} taken here`)]
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request Timeout', body('request_timeout', 'the request was not sent in time')]
    default:
      return [400, 'Bad Request', body('invalid_request', 'the request is not valid HTTP')]
  }
}

function body(code: ErrorCode, message: string): ErrorBody {
  return {error: {code, message}}
}
