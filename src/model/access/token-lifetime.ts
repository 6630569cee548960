import {InvalidInputError, quoted} from '../errors.js'

const UNIT_MS = {d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000} as const
const LIFETIME_PATTERN = /^(?:\d+[dhms])+$/
const PART_PATTERN = /(\d+)([dhms])/g

/** The longest lifetime `--expires` takes: longer is a typo, and a token that should never expire is made without it. */
export const MAX_TOKEN_LIFETIME_MS = 365 * UNIT_MS.d

export const TOKEN_LIFETIME_EXPECTED = 'a duration such as "90d", "12h", "30m" or "1d12h", of at most 365d'

/**
 * How long a token lasts (`token create --expires`), in milliseconds. Like the durations of kedge.yaml
 * (model/config/duration.ts), with days, which a token's lifetime is counted in; without a bare number,
 * which could mean seconds or days.
 */
export function parseTokenLifetime(input: string): number {
  const text = input.trim().toLowerCase()
  let total = 0
  if (LIFETIME_PATTERN.test(text)) {
    for (const [, amount, unit] of text.matchAll(PART_PATTERN)) total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  }
  if (!(total > 0 && total <= MAX_TOKEN_LIFETIME_MS)) {
    throw new InvalidInputError(`invalid expiry ${quoted(input)}: expected ${TOKEN_LIFETIME_EXPECTED}`, {hint: 'leave --expires out for a token that does not expire'})
  }
  return total
}
