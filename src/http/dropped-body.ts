import {Transform, type Readable} from 'node:stream'

import {errorCodes} from 'fastify'

/**
 * A request body read to its end and dropped as it arrives: nothing of it is kept, whatever its size.
 * Fastify's checks still hold (the declared length, the route's limit), as it counts the bytes through
 * `receivedEncodedLength`.
 */
export function droppedBody(payload: Readable, limit: number): Readable {
  let received = 0
  const dropping = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length
      Object.assign(dropping, {receivedEncodedLength: received})
      callback(received > limit ? new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE() : null)
    },
  })
  Object.assign(dropping, {receivedEncodedLength: 0})
  payload.on('error', (error) => dropping.destroy(error))
  return payload.pipe(dropping)
}
