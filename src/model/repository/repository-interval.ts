import {DURATION_EXPECTED, parseDuration} from '../config/duration.js'
import {InvalidInputError, quoted} from '../errors.js'

export const MIN_INTERVAL_MS = 1000

/** A repository's poll interval as `repo add --interval` and the API take it: at least a second. */
export function parseInterval(input: string): number {
  const ms = parseDuration(input)
  if (ms === null || ms < MIN_INTERVAL_MS) {
    throw new InvalidInputError(`invalid interval ${quoted(input)}: expected ${DURATION_EXPECTED} and at least 1s`, {code: 'invalid_interval'})
  }
  return ms
}
