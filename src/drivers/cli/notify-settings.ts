import {parseDuration} from '../../model/config/duration.js'
import {InvalidInputError, quoted} from '../../model/errors.js'

/** A duration flag of serve's notifier (--notify-fold-window, --notify-error-after): 0 is allowed, and sends everything at once. */
export function parseDurationFlag(input: string, flag: string): number {
  if (input.trim() === '0') return 0
  const ms = parseDuration(input)
  if (ms === null || ms > MAX_NOTIFY_DURATION_MS) throw new InvalidInputError(`invalid ${flag} ${quoted(input)}: expected a duration of at most 24h (such as 30s, 10m or 1h), or 0`, {code: 'invalid_interval'})
  return ms
}

/** A day: longer windows would outlast a timer (about 24.8 days at most), and tell nobody anything. */
const MAX_NOTIFY_DURATION_MS = 24 * 60 * 60_000

/** serve's public URL, for the links commit statuses carry: an http(s) URL without credentials. */
export function parsePublicUrl(input: string, source = '--public-url'): string {
  let url: URL | null = null
  try {
    url = new URL(input)
  } catch {
    // refused below
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new InvalidInputError(`invalid ${source} ${quoted(input)}: expected an http(s) URL without credentials`, {code: 'invalid_url', hint: 'e.g. https://kedge.example.com'})
  }
  return input.replace(/\/+$/, '')
}
