/** How the page writes commits, times and durations. */

export function shortSha(commit: string): string {
  return commit.slice(0, 7)
}

const relative = new Intl.RelativeTimeFormat('en', {numeric: 'auto'})

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
]

/** "3 minutes ago", "yesterday": how long ago `iso` was, by the browser's clock. */
export function timeAgo(iso: string, now = Date.now()): string {
  const seconds = (Date.parse(iso) - now) / 1000
  if (Number.isNaN(seconds)) return iso
  if (Math.abs(seconds) < 10) return 'just now'
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') return relative.format(Math.round(seconds / size), unit)
  }
  return iso
}

/** "850 ms", "12 s", "2 min 5 s", "1 h 3 min". */
export function duration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`
  if (seconds < 10) return `${seconds.toFixed(1)} s`
  if (seconds < 60) return `${Math.round(seconds)} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

/** Seconds from `startedAt` to `finishedAt`; null while under way or when a time is not one. */
export function secondsBetween(startedAt: string, finishedAt: string | null): number | null {
  if (finishedAt === null) return null
  const seconds = (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000
  return Number.isNaN(seconds) ? null : Math.max(0, seconds)
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}
