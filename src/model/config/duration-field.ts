import {z} from 'zod'

import {quoted} from '../errors.js'
import {DURATION_EXPECTED, parseDuration} from './duration.js'

/** A duration field of kedge.yaml ("30s", "5m", or milliseconds), as milliseconds. */
export const duration = z.union([z.string(), z.number()], {error: `expected ${DURATION_EXPECTED}`}).transform((value, ctx) => {
  const ms = parseDuration(value)
  if (ms === null) {
    ctx.addIssue({code: 'custom', message: `expected ${DURATION_EXPECTED}, got ${typeof value === 'string' ? quoted(value) : value}`})
    return z.NEVER
  }
  return ms
})
