import {Transform, type Readable} from 'node:stream'

import {errorCodes} from 'fastify'

import {ExternalError} from '../../model/errors.js'
import {describeLimit} from './body-limits.js'

/** Two of GitHub's largest payloads at once. */
export const WEBHOOK_BODIES_IN_FLIGHT = 50 * 1024 * 1024

/**
 * The bytes of webhook bodies being kept at once, across requests. An HMAC is over the whole body, so
 * a body is kept until it is checked; without a bound, callers sending many large bodies with a wrong
 * signature would hold as many in memory.
 *
 * A body that is dropped as it arrives holds no memory, so it takes nothing from the budget: slow
 * posts to an unknown repository cannot keep genuine deliveries at webhook_busy. It is still refused
 * as busy exactly when it would be if it were kept (the bytes kept by others plus its own past the
 * bound), so that whether a repository exists never changes the answer.
 */
export class WebhookBodyBudget {
  private used = 0

  constructor(readonly bytes = WEBHOOK_BODIES_IN_FLIGHT) {}

  get inUse(): number {
    return this.used
  }

  /**
   * The payload passed through (`keep`), its bytes held against the budget until `release` is called,
   * or dropped as it arrives, holding nothing. Past the budget, or past `limit` for this one body, the
   * stream fails.
   * Fastify's checks still hold (the declared length, the route's limit): it counts the bytes through
   * `receivedEncodedLength`.
   */
  meter(payload: Readable, options: {keep: boolean; limit: number}): {body: Readable; release: () => void} {
    let received = 0
    let held = 0
    const budget = this
    const metered = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length
        Object.assign(metered, {receivedEncodedLength: received})
        if (received > options.limit) return callback(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
        // For a dropped body, its own bytes so far stand in for what keeping it would have held.
        const othersAndOwn = options.keep ? budget.used + chunk.length : budget.used + received
        if (othersAndOwn > budget.bytes) return callback(busy(budget.bytes))
        if (!options.keep) return callback()
        budget.used += chunk.length
        held += chunk.length
        callback(null, chunk)
      },
    })
    Object.assign(metered, {receivedEncodedLength: 0})
    payload.on('error', (error) => metered.destroy(error))
    const release = () => {
      budget.used -= held
      held = 0
    }
    return {body: payload.pipe(metered), release}
  }
}

function busy(bytes: number): ExternalError {
  return new ExternalError(`kedge is reading ${describeLimit(bytes)} of webhook bodies already`, {code: 'webhook_busy', hint: 'retry in a few seconds'})
}
