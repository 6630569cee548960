const UNIT_MS = {ms: 1, s: 1000, m: 60_000, h: 3_600_000} as const
const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/
const PART_PATTERN = /(\d+(?:\.\d+)?)(ms|s|m|h)/g

/**
 * The longest duration taken: a year is more than any interval, window or timeout needs, and a number
 * that large is a typo. (Timers are capped where they are set: Node fires one longer than 2^31-1 ms at once.)
 */
export const MAX_DURATION_MS = 365 * 24 * 3_600_000

/** The longest delay Node's timers take; a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export const DURATION_EXPECTED = 'a duration such as "30s", "5m" or "1h30m", or a whole number of seconds, at most 8760h'

/**
 * Reads a duration as Go kedge and most peers write it ("90s", "1m30s", "1.5h") or as a plain number of
 * seconds; returns milliseconds, or null when the input is not a positive duration of at most MAX_DURATION_MS.
 */
export function parseDuration(input: string | number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) ? positive(Math.round(input * 1000)) : null
  const text = input.trim().toLowerCase()
  if (/^\d+$/.test(text)) return positive(Number(text) * 1000)
  if (!DURATION_PATTERN.test(text)) return null
  let total = 0
  for (const [, amount, unit] of text.matchAll(PART_PATTERN)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  }
  return positive(Math.round(total))
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  let rest = ms
  let out = ''
  for (const [unit, size] of [
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
    ['ms', UNIT_MS.ms],
  ] as const) {
    const count = Math.floor(rest / size)
    if (count > 0) out += `${count}${unit}`
    rest -= count * size
  }
  return out
}

function positive(ms: number): number | null {
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : null
}
