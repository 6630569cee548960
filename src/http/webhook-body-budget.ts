import {Transform, type Readable} from 'node:stream'

import {errorCodes} from 'fastify'

import {ExternalError} from '../errors.js'
import {describeLimit} from './body-limits.js'

/** Two of GitHub's largest payloads at once. */
export const WEBHOOK_BODIES_IN_FLIGHT = 50 * 1024 * 1024

/**
 * The bytes of webhook bodies being read at once, across requests. An HMAC is over the whole body, so
 * a body is kept until it is checked; without a bound, callers sending many large bodies with a wrong
 * signature would hold as many in memory. Bodies that are dropped as they arrive count as well, so
 * that whether a repository exists never changes the answer.
 */
export class WebhookBodyBudget {
  private used = 0

  constructor(readonly bytes = WEBHOOK_BODIES_IN_FLIGHT) {}

  get inUse(): number {
    return this.used
  }

  /**
   * The payload passed through (`keep`) or dropped as it arrives, its bytes held against the budget
   * until `release` is called. Past the budget, or past `limit` for this one body, the stream fails.
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
        if (budget.used + chunk.length > budget.bytes) return callback(busy(budget.bytes))
        budget.used += chunk.length
        held += chunk.length
        callback(null, options.keep ? chunk : undefined)
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
