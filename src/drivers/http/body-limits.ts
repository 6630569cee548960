/** The largest request bodies the HTTP side reads: the API takes small JSON documents. */
export const API_BODY_LIMIT = 256 * 1024

/** GitHub caps a webhook's payload at 25 MB; a push of many commits comes near it. */
export const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024

/** "256 KiB", "25 MiB": a limit as the 413 answer and the docs state it. */
export function describeLimit(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}
